/* Interposed data calls: send, sendto, sendmsg, write, writev, recv,
 * recvfrom, recvmsg, read, readv and the _FORTIFY_SOURCE checking
 * variants.  read/write/readv/writev on a socket are recv/send with no
 * flags, as on the kernel.
 *
 * Blocking: the stack never blocks, so a blocking call loops: try, and on
 * -EAGAIN wait in shim_sock_wait() and try again.  A blocking send on a
 * stream socket returns once everything is queued (or on a signal or
 * timeout after part of it: the part's length), MSG_WAITALL makes a
 * stream receive wait for the whole buffer, as on the kernel. */
#include "shim.h"

#include "addr.h"
#include "fdtable.h"
#include "io.h"
#include "runtime.h"
#include "sock.h"

#include <limits.h>
#include <mynet/socket.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* glibc's reaction to a buffer overflow caught by _FORTIFY_SOURCE. */
extern void __chk_fail(void) __attribute__((noreturn));

#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024 /* the kernel's limit on iovec counts */
#endif

/* Drops the first n bytes from the iovec array *iov (cnt entries), copying
 * the caller's array into *copy the first time (it is const).  Returns 0 or
 * -ENOMEM. */
static int iov_advance(const struct iovec **iov, int *cnt, size_t n, struct iovec **copy)
{
  if (!*copy) {
    *copy = malloc((size_t)*cnt * sizeof **copy);
    if (!*copy)
      return -ENOMEM;
    memcpy(*copy, *iov, (size_t)*cnt * sizeof **copy);
    *iov = *copy;
  }
  struct iovec *v = (struct iovec *)*iov;
  while (*cnt > 0 && n >= v->iov_len) {
    n -= v->iov_len;
    v++;
    (*cnt)--;
  }
  if (*cnt > 0) {
    v->iov_base = (char *)v->iov_base + n;
    v->iov_len -= n;
  }
  *iov = v;
  return 0;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
  size_t n = 0;
  for (int i = 0; i < cnt; i++)
    n += iov[i].iov_len;
  return n;
}

ssize_t shim_send_locked(struct shim_sock *ss, const struct iovec *iov, int cnt,
                         const struct sockaddr *addr, socklen_t addrlen, int flags)
{
  int r = shim_sock_check(ss);
  if (r < 0)
    return r;
  /* The stack takes a sockaddr_in without a length, so the length rule is
   * applied here: too short is EINVAL for datagrams; Linux's TCP ignores
   * msg_name altogether. */
  struct sockaddr_in sin, *to = NULL;
  if (addr) {
    r = mynet_sock_addr_in(ss->s, MYNET_ADDR_SEND, addr, addrlen, &sin);
    if (r == 0)
      to = &sin;
    else if (ss->type != SOCK_STREAM)
      return r;
  }
  bool block = !shim_sock_nonblock(ss) && !(flags & MSG_DONTWAIT);
  bool whole = block && ss->type == SOCK_STREAM;
  mynet_time deadline = block ? shim_deadline_after(mynet_sock_driver(ss->s)->sndtimeo) : 0;
  size_t want = whole ? iov_total(iov, cnt) : 0;
  size_t done = 0;
  struct iovec *copy = NULL;
  ssize_t n;
  for (;;) {
    n = mynet_sendmsg(ss->s, iov, cnt, to, flags);
    if (n >= 0) {
      done += (size_t)n;
      if (!whole || done >= want || n == 0)
        break;
      r = iov_advance(&iov, &cnt, (size_t)n, &copy);
      if (r < 0) {
        n = r;
        break;
      }
      continue;
    }
    if (n != -EAGAIN || !block)
      break;
    r = shim_sock_wait(ss, POLLOUT, deadline);
    if (r < 0) {
      n = r == -ETIMEDOUT ? -EAGAIN : r;
      break;
    }
  }
  free(copy);
  /* After part of the data went out, the error waits for the next call. */
  return done > 0 ? (ssize_t)done : n;
}

ssize_t shim_recv_locked(struct shim_sock *ss, const struct iovec *iov, int cnt,
                         struct sockaddr_in *from, int flags, int *msg_flags)
{
  int r = shim_sock_check(ss);
  if (r < 0)
    return r;
  bool block = !shim_sock_nonblock(ss) && !(flags & MSG_DONTWAIT);
  mynet_time deadline = block ? shim_deadline_after(mynet_sock_driver(ss->s)->rcvtimeo) : 0;
  /* What a blocking stream receive waits for, as tcp_recvmsg's target:
   * the whole buffer with MSG_WAITALL, else SO_RCVLOWAT bytes (at most
   * the buffer). */
  size_t want = 1;
  if (ss->type == SOCK_STREAM && !(flags & MSG_PEEK)) {
    size_t total = iov_total(iov, cnt);
    int lowat = 1;
    socklen_t len = sizeof lowat;
    if (!(flags & MSG_WAITALL) &&
        mynet_getsockopt(ss->s, SOL_SOCKET, SO_RCVLOWAT, &lowat, &len) == 0)
      total = (size_t)lowat < total ? (size_t)lowat : total;
    want = total;
  }
  size_t done = 0;
  struct iovec *copy = NULL;
  ssize_t n;
  for (;;) {
    n = mynet_recvmsg(ss->s, iov, cnt, from, flags, msg_flags);
    if (n > 0) {
      done += (size_t)n;
      if (done >= want)
        break;
      r = iov_advance(&iov, &cnt, (size_t)n, &copy);
      if (r < 0) {
        n = r;
        break;
      }
      continue;
    }
    if (n != -EAGAIN || !block)
      break; /* 0: end of stream (or an empty datagram) */
    r = shim_sock_wait(ss, POLLIN, deadline);
    if (r < 0) {
      n = r == -ETIMEDOUT ? -EAGAIN : r;
      break;
    }
  }
  free(copy);
  return done > 0 ? (ssize_t)done : n;
}

/* The kernel raises SIGPIPE at the calling thread when a stream send
 * fails with EPIPE, unless MSG_NOSIGNAL; raise() does the same.  Called
 * after the lock is dropped, since a handler may call us again. */
ssize_t shim_send_result(ssize_t r, int flags)
{
  if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
    raise(SIGPIPE);
  return shim_result(r);
}

static ssize_t send_iov(struct shim_sock *ss, const struct iovec *iov, int cnt,
                        const struct sockaddr *addr, socklen_t addrlen, int flags)
{
  ssize_t r = shim_send_locked(ss, iov, cnt, addr, addrlen, flags);
  shim_sock_unlock(ss);
  return shim_send_result(r, flags);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(send)(fd, buf, n, flags);
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
  return send_iov(ss, &iov, 1, NULL, 0, flags);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t len)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(sendto)(fd, buf, n, flags, addr, len);
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
  return send_iov(ss, &iov, 1, addr, len, flags);
}

/* Control messages (cmsg) are not supported yet and ignored on send. */
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(sendmsg)(fd, msg, flags);
  if (!msg || msg->msg_iovlen > UIO_MAXIOV) {
    shim_sock_unlock(ss);
    return shim_result(msg ? -EMSGSIZE : -EFAULT);
  }
  return send_iov(ss, msg->msg_iov, (int)msg->msg_iovlen, msg->msg_name, msg->msg_namelen, flags);
}

ssize_t write(int fd, const void *buf, size_t n)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(write)(fd, buf, n);
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
  return send_iov(ss, &iov, 1, NULL, 0, 0);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(writev)(fd, iov, cnt);
  if (cnt < 0 || cnt > UIO_MAXIOV) {
    shim_sock_unlock(ss);
    return shim_result(-EINVAL);
  }
  return send_iov(ss, iov, cnt, NULL, 0, 0);
}

/* recvfrom's address: the stack fills `from` only where there is one (not
 * on a TCP socket, where the kernel reports length 0). */
static ssize_t recv_iov(struct shim_sock *ss, const struct iovec *iov, int cnt, int flags,
                        struct sockaddr *addr, socklen_t *addrlen, int *msg_flags)
{
  struct sockaddr_in from = {.sin_family = AF_UNSPEC};
  int mflags = 0;
  ssize_t r = -EINVAL;
  if (!addr || !addrlen || (int)*addrlen >= 0)
    r = shim_recv_locked(ss, iov, cnt, &from, flags, &mflags);
  if (r >= 0 && addr && addrlen) {
    if (from.sin_family == AF_INET)
      shim_addr_out(ss->s, &from, addr, addrlen);
    else
      *addrlen = 0;
  }
  shim_sock_unlock(ss);
  if (msg_flags)
    *msg_flags = mflags;
  return shim_result(r);
}

static ssize_t recv_buf(struct shim_sock *ss, void *buf, size_t n, int flags, struct sockaddr *addr,
                        socklen_t *addrlen)
{
  struct iovec iov = {.iov_base = buf, .iov_len = n};
  return recv_iov(ss, &iov, 1, flags, addr, addrlen, NULL);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(recv)(fd, buf, n, flags);
  return recv_buf(ss, buf, n, flags, NULL, NULL);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(recvfrom)(fd, buf, n, flags, addr, len);
  return recv_buf(ss, buf, n, flags, addr, len);
}

/* No control messages are produced: msg_controllen comes back 0. */
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(recvmsg)(fd, msg, flags);
  if (!msg || msg->msg_iovlen > UIO_MAXIOV) {
    shim_sock_unlock(ss);
    return shim_result(msg ? -EMSGSIZE : -EFAULT);
  }
  int mflags = 0;
  ssize_t r = recv_iov(ss, msg->msg_iov, (int)msg->msg_iovlen, flags, msg->msg_name,
                       msg->msg_name ? &msg->msg_namelen : NULL, &mflags);
  if (r >= 0) {
    msg->msg_controllen = 0;
    msg->msg_flags = mflags;
  }
  return r;
}

ssize_t read(int fd, void *buf, size_t n)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(read)(fd, buf, n);
  return recv_buf(ss, buf, n, 0, NULL, NULL);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(readv)(fd, iov, cnt);
  if (cnt < 0 || cnt > UIO_MAXIOV) {
    shim_sock_unlock(ss);
    return shim_result(-EINVAL);
  }
  return recv_iov(ss, iov, cnt, 0, NULL, NULL, NULL);
}

/* The checking variants: glibc's test, then the plain call (ours). */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
  if (n > buflen)
    __chk_fail();
  return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
  if (n > buflen)
    __chk_fail();
  return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *len)
{
  if (n > buflen)
    __chk_fail();
  return recvfrom(fd, buf, n, flags, addr, len);
}

/* sendmmsg: one sendmsg per message, as the kernel's __sys_sendmmsg; an
 * error after the first message is dropped and the count returned. */
int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
  if (shim_inside() || !shim_fd_sock(fd))
    return REAL(sendmmsg)(fd, msgs, n, flags);
  if (n > UIO_MAXIOV)
    n = UIO_MAXIOV;
  if (n > 0 && !msgs)
    return (int)shim_result(-EFAULT);
  unsigned int i;
  for (i = 0; i < n; i++) {
    ssize_t r = sendmsg(fd, &msgs[i].msg_hdr, flags);
    if (r < 0) {
      if (i == 0)
        return -1;
      break;
    }
    msgs[i].msg_len = (unsigned int)r;
  }
  return (int)i;
}

/* recvmmsg: one recvmsg per message, as the kernel's do_recvmmsg: after
 * the first one MSG_WAITFORONE stops waiting; the timeout is looked at
 * only between messages (the kernel's documented quirk) and gets the time
 * left. */
int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags, struct timespec *timeout)
{
  if (shim_inside() || !shim_fd_sock(fd))
    return REAL(recvmmsg)(fd, msgs, n, flags, timeout);
  mynet_time end = 0;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)
      return (int)shim_result(-EINVAL);
    end = shim_now() + (mynet_time)timeout->tv_sec * 1000000 + timeout->tv_nsec / 1000;
  }
  if (n > UIO_MAXIOV)
    n = UIO_MAXIOV;
  if (n > 0 && !msgs)
    return (int)shim_result(-EFAULT);
  int each = flags & ~MSG_WAITFORONE;
  unsigned int i;
  for (i = 0; i < n; i++) {
    ssize_t r = recvmsg(fd, &msgs[i].msg_hdr, each);
    if (r < 0) {
      if (i == 0)
        return -1;
      break;
    }
    msgs[i].msg_len = (unsigned int)r;
    if (flags & MSG_WAITFORONE)
      each |= MSG_DONTWAIT;
    if (timeout) {
      mynet_time left = end - shim_now();
      if (left <= 0) {
        *timeout = (struct timespec){0, 0};
        i++;
        break;
      }
      *timeout =
          (struct timespec){.tv_sec = left / 1000000, .tv_nsec = (long)(left % 1000000) * 1000};
    }
  }
  return (int)i;
}
