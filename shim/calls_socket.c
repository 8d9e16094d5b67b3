/* Interposed socket-management calls: socket, bind, connect, listen,
 * accept, accept4, shutdown, getsockname, getpeername, setsockopt,
 * getsockopt.
 *
 * Every wrapper has one shape: if fd is not one of our sockets, call libc;
 * otherwise call the stack under the lock (waiting in shim_sock_wait() if
 * the call blocks) and turn a negative errno into -1/errno. */
#include "shim.h"

#include "addr.h"
#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <mynet/socket.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>

int socket(int domain, int type, int protocol)
{
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if ((domain != AF_INET && domain != AF_INET6) || (base != SOCK_STREAM && base != SOCK_DGRAM) ||
      shim_inside())
    return REAL(socket)(domain, type, protocol);
  int r = shim_start();
  if (r == 0) {
    shim_lock();
    mynet_sock *s;
    r = mynet_socket_in(shim_stack(), domain, base, protocol, &s);
    if (r >= 0)
      r = shim_sock_open(s, base, type);
    shim_unlock();
  }
  return (int)shim_result(r);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(bind)(fd, addr, len);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = mynet_bind_addr(ss->s, addr, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

/* A blocking connect waits for the handshake to end (POLLOUT, or an
 * error), then asks the stack again for the outcome.  Interrupted, it
 * returns EINTR and the handshake goes on, as on the kernel; SO_SNDTIMEO
 * expiring gives what the first answer was: EINPROGRESS, or EALREADY for
 * a connect already under way (inet_stream_connect). */
static int do_connect(struct shim_sock *ss, const struct sockaddr *addr, socklen_t len)
{
  /* The stack reads the address by its family, which may be shorter than
   * sockaddr_in (AF_UNSPEC); give it a buffer it can read in full. */
  struct sockaddr_storage copy = {0};
  if (len > sizeof copy)
    return -EINVAL;
  if (len > 0 && !addr)
    return -EFAULT;
  if (len > 0)
    memcpy(&copy, addr, len);
  int r = mynet_connect(ss->s, (const struct sockaddr *)&copy, len);
  if ((r != -EINPROGRESS && r != -EALREADY) || shim_sock_nonblock(ss))
    return r;
  mynet_time deadline = shim_deadline_after(mynet_sock_driver(ss->s)->sndtimeo);
  while (!(mynet_sock_events(ss->s) & (POLLOUT | POLLERR | POLLHUP))) {
    int w = shim_sock_wait(ss, POLLOUT, deadline);
    if (w < 0)
      return w == -ETIMEDOUT ? r : w; /* EINPROGRESS, or EALREADY if it had started */
  }
  /* Asking again gives what the kernel's blocking connect returns: 0
   * once the handshake is done, or its error (and the socket becomes
   * unconnected, so another connect() may try again). */
  r = mynet_connect(ss->s, (const struct sockaddr *)&copy, len);
  return r == -EISCONN ? 0 : r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(connect)(fd, addr, len);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = do_connect(ss, addr, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int listen(int fd, int backlog)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(listen)(fd, backlog);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = mynet_listen(ss->s, backlog);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

static int do_accept(struct shim_sock *ss, struct sockaddr *addr, socklen_t *len, int flags)
{
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
    return -EINVAL;
  if (addr && (!len || (int)*len < 0))
    return len ? -EINVAL : -EFAULT;
  mynet_time deadline = shim_deadline_after(mynet_sock_driver(ss->s)->rcvtimeo);
  mynet_sock *child;
  struct sockaddr_in peer;
  int r;
  for (;;) {
    r = mynet_accept(ss->s, &child, &peer);
    if (r != -EAGAIN || shim_sock_nonblock(ss))
      break;
    r = shim_sock_wait(ss, POLLIN, deadline);
    if (r < 0)
      return r == -ETIMEDOUT ? -EAGAIN : r;
  }
  if (r < 0)
    return r;
  int fd = shim_sock_open(child, ss->type, flags);
  if (fd >= 0 && addr)
    shim_addr_out(child, &peer, addr, len);
  return fd;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(accept4)(fd, addr, len, flags);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = do_accept(ss, addr, len, flags);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(accept)(fd, addr, len);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = do_accept(ss, addr, len, 0);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int shutdown(int fd, int how)
{
  struct shim_sock *ss = shim_sock_lock(fd);
  if (!ss)
    return REAL(shutdown)(fd, how);
  int r = shim_sock_check(ss);
  if (r == 0)
    r = mynet_shutdown(ss->s, how);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct shim_sock *ss = shim_sock_lock_control(fd);
  if (!ss)
    return REAL(getsockname)(fd, addr, len);
  struct sockaddr_in sin;
  int r = shim_sock_check(ss);
  if (r == 0)
    r = mynet_getsockname(ss->s, &sin);
  if (r == 0)
    r = shim_addr_out(ss->s, &sin, addr, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct shim_sock *ss = shim_sock_lock_control(fd);
  if (!ss)
    return REAL(getpeername)(fd, addr, len);
  struct sockaddr_in sin;
  int r = shim_sock_check(ss);
  if (r == 0)
    r = mynet_getpeername(ss->s, &sin);
  if (r == 0)
    r = shim_addr_out(ss->s, &sin, addr, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

/* SO_RCVTIMEO and SO_SNDTIMEO are the shim's: timeouts of blocking calls
 * are waits, and waits happen here, not in the stack.  The _NEW names take
 * two 64-bit fields; on x86_64 that is struct timeval too. */
static bool is_timeout_opt(int level, int name, mynet_time **slot, struct shim_sock *ss)
{
  if (level != SOL_SOCKET)
    return false;
  switch (name) {
  case SO_RCVTIMEO:
#if defined(SO_RCVTIMEO_NEW) && SO_RCVTIMEO_NEW != SO_RCVTIMEO
  case SO_RCVTIMEO_NEW:
#endif
    *slot = &mynet_sock_driver(ss->s)->rcvtimeo;
    return true;
  case SO_SNDTIMEO:
#if defined(SO_SNDTIMEO_NEW) && SO_SNDTIMEO_NEW != SO_SNDTIMEO
  case SO_SNDTIMEO_NEW:
#endif
    *slot = &mynet_sock_driver(ss->s)->sndtimeo;
    return true;
  }
  return false;
}

_Static_assert(sizeof(struct timeval) == 2 * sizeof(int64_t),
               "SO_*TIMEO_NEW handling assumes a 64-bit struct timeval");

/* The kernel's rules (sock_set_timeout): {0, 0} means no timeout, a
 * negative tv_sec an immediate one, tv_usec out of range EDOM. */
static int set_timeout(mynet_time *slot, const void *val, socklen_t len)
{
  struct timeval tv;
  if (len < sizeof tv)
    return -EINVAL;
  if (!val)
    return -EFAULT;
  memcpy(&tv, val, sizeof tv);
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
    return -EDOM;
  if (tv.tv_sec < 0)
    *slot = -1;
  else if (tv.tv_sec >= INT64_MAX / 1000000 - 1)
    *slot = 0;
  else
    *slot = (mynet_time)tv.tv_sec * 1000000 + tv.tv_usec;
  return 0;
}

static int get_timeout(mynet_time t, void *val, socklen_t *len)
{
  if (!val || !len)
    return -EFAULT;
  if ((int)*len < 0)
    return -EINVAL;
  struct timeval tv = {0};
  if (t > 0) {
    tv.tv_sec = t / 1000000;
    tv.tv_usec = t % 1000000;
  }
  if (*len > sizeof tv)
    *len = sizeof tv;
  memcpy(val, &tv, *len);
  return 0;
}

/* On a bridged socket (bridge.h) the calls wait on the kernel socket
 * its numbers are: its options for waiting are that socket's. */
static bool kernel_side_opt(const struct shim_sock *ss, int level, int name)
{
  if (!shim_sock_bridged(ss) || level != SOL_SOCKET)
    return false;
  switch (name) {
  case SO_RCVTIMEO:
  case SO_SNDTIMEO:
#if defined(SO_RCVTIMEO_NEW) && SO_RCVTIMEO_NEW != SO_RCVTIMEO
  case SO_RCVTIMEO_NEW:
  case SO_SNDTIMEO_NEW:
#endif
  case SO_RCVLOWAT:
  case SO_SNDLOWAT:
    return true;
  }
  return false;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
  struct shim_sock *ss = shim_sock_lock_control(fd);
  if (ss && kernel_side_opt(ss, level, name)) {
    shim_sock_unlock(ss);
    ss = NULL;
  }
  if (!ss)
    return REAL(setsockopt)(fd, level, name, val, len);
  mynet_time *slot;
  int r = shim_sock_check(ss);
  if (r == 0)
    r = is_timeout_opt(level, name, &slot, ss) ? set_timeout(slot, val, len)
                                               : mynet_setsockopt(ss->s, level, name, val, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
  struct shim_sock *ss = shim_sock_lock_control(fd);
  if (ss && kernel_side_opt(ss, level, name)) {
    shim_sock_unlock(ss);
    ss = NULL;
  }
  if (!ss)
    return REAL(getsockopt)(fd, level, name, val, len);
  mynet_time *slot;
  int r = shim_sock_check(ss);
  if (r == 0 && !len)
    r = -EFAULT;
  if (r == 0)
    r = is_timeout_opt(level, name, &slot, ss) ? get_timeout(*slot, val, len)
                                               : mynet_getsockopt(ss->s, level, name, val, len);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}
