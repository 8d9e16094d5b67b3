/* Interposed zero-copy calls: sendfile, sendfile64 and splice, with a
 * stack socket at one end.
 *
 * The kernel moves pages; we copy through a buffer, a chunk at a time,
 * and keep its promises about what is consumed.  From a file the chunk is
 * read at an offset without the stack lock (a read from disk may block)
 * and only what the socket took counts: the offset or file position moves
 * by exactly that.  From a pipe, bytes once read cannot be put back, so
 * under the lock we read no more than the pipe holds and the socket can
 * queue at that moment. */
#include "shim.h"

#include "fdtable.h"
#include "io.h"
#include "runtime.h"
#include "sock.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

/* The kernel's MAX_RW_COUNT: the most one call moves. */
#define MAX_RW_COUNT (INT_MAX & ~(size_t)4095)

static bool is_pipe(int fd)
{
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static bool pipe_nonblock(int fd)
{
  int fl = REAL(fcntl)(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

/* Waits (without the lock) until fd has events; 0 or a negative errno. */
static int wait_fd(int fd, short events)
{
  struct pollfd p = {.fd = fd, .events = events};
  return REAL(poll)(&p, 1, -1) < 0 ? -errno : 0;
}

/* A pipe into a stack socket: splice(2)'s splice_from_pipe.  Returns once
 * something has moved and the pipe is empty, or len bytes have moved. */
static ssize_t from_pipe(int out, int in, size_t len, unsigned flags)
{
  uint8_t *buf = malloc(len < CHUNK ? len : CHUNK);
  if (!buf)
    return -ENOMEM;
  size_t total = 0;
  ssize_t err = 0;
  while (total < len) {
    struct shim_sock *ss = shim_sock_lock(out);
    if (!ss) {
      err = -EBADF;
      break;
    }
    int avail = 0;
    ssize_t r = shim_sock_check(ss);
    if (r == 0 && REAL(ioctl)(in, FIONREAD, &avail) < 0)
      r = -errno;
    if (r == 0 && avail > 0) {
      size_t space = mynet_sock_send_space(ss->s);
      if (space == 0) {
        if (shim_sock_nonblock(ss))
          r = -EAGAIN;
        else
          r = shim_sock_wait(ss, POLLOUT, MYNET_TIME_NEVER);
        if (r == 0) {
          shim_sock_unlock(ss);
          continue;
        }
      } else {
        size_t n = len - total;
        n = n < (size_t)avail ? n : (size_t)avail;
        n = n < space ? n : space;
        n = n < CHUNK ? n : CHUNK;
        /* No more than the pipe holds: this read does not block. */
        ssize_t got = REAL(read)(in, buf, n);
        if (got < 0) {
          r = -errno;
        } else {
          struct iovec iov = {.iov_base = buf, .iov_len = (size_t)got};
          r = mynet_sendmsg(ss->s, &iov, 1, NULL, (flags & SPLICE_F_MORE) ? MSG_MORE : 0);
          if (r >= 0)
            total += (size_t)r;
          if (r >= 0 && r < got)
            shim_log(MYNET_LOG_ERROR, "splice: %zd of %zd bytes from a pipe were not queued",
                     got - r, got);
        }
      }
    }
    shim_sock_unlock(ss);
    if (r < 0) {
      err = r;
      break;
    }
    if (avail > 0)
      continue;
    /* The pipe is empty: done if something moved or no writer is left
     * (end of file, 0), else wait for it unless told not to. */
    struct pollfd p = {.fd = in, .events = POLLIN};
    if (total > 0 || (REAL(poll)(&p, 1, 0) == 1 && !(p.revents & POLLIN)))
      break;
    if ((flags & SPLICE_F_NONBLOCK) || pipe_nonblock(in)) {
      err = -EAGAIN;
      break;
    }
    err = wait_fd(in, POLLIN);
    if (err < 0)
      break;
  }
  free(buf);
  return total > 0 ? (ssize_t)total : err;
}

/* A stack socket into a pipe: tcp_splice_read.  No more than the pipe has
 * room for is received, so the write does not block. */
static ssize_t to_pipe(int out, int in, size_t len, unsigned flags)
{
  for (;;) {
    int size = REAL(fcntl)(out, F_GETPIPE_SZ), queued = 0;
    if (size < 0 || REAL(ioctl)(out, FIONREAD, &queued) < 0)
      return -errno;
    size_t room = size > queued ? (size_t)(size - queued) : 0;
    if (room > 0) {
      size_t n = len < room ? len : room;
      n = n < CHUNK ? n : CHUNK;
      uint8_t *buf = malloc(n);
      if (!buf)
        return -ENOMEM;
      struct shim_sock *ss = shim_sock_lock(in);
      if (!ss) {
        free(buf);
        return -EBADF;
      }
      struct iovec iov = {.iov_base = buf, .iov_len = n};
      struct sockaddr_in from;
      int mflags;
      ssize_t got = shim_recv_locked(ss, &iov, 1, &from,
                                     (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0, &mflags);
      shim_sock_unlock(ss);
      ssize_t w = got > 0 ? REAL(write)(out, buf, (size_t)got) : 0;
      int err = errno;
      free(buf);
      if (got <= 0)
        return got;
      return w < 0 ? -err : w;
    }
    if ((flags & SPLICE_F_NONBLOCK) || pipe_nonblock(out))
      return -EAGAIN;
    int r = wait_fd(out, POLLOUT);
    if (r < 0)
      return r;
  }
}

/* A file into a stack socket, from *pos; *pos moves by what was sent. */
static ssize_t from_file(int out, int in, off64_t *pos, size_t count)
{
  uint8_t *buf = malloc(count < CHUNK ? count : CHUNK);
  if (!buf)
    return -ENOMEM;
  size_t total = 0;
  ssize_t err = 0;
  while (total < count) {
    size_t want = count - total < CHUNK ? count - total : CHUNK;
    struct shim_sock *ss = shim_sock_lock(out);
    if (!ss) {
      err = -EBADF;
      break;
    }
    /* A non-blocking socket takes what it has room for; reading more
     * would only be read again by the next call.  With no room, an empty
     * send tells a full buffer (EAGAIN) from an error. */
    if (shim_sock_nonblock(ss) && shim_sock_check(ss) == 0) {
      size_t space = mynet_sock_send_space(ss->s);
      if (space == 0) {
        ssize_t r = mynet_sendmsg(ss->s, NULL, 0, NULL, 0);
        err = r < 0 ? r : -EAGAIN;
        shim_sock_unlock(ss);
        break;
      }
      if (space < want)
        want = space;
    }
    shim_sock_unlock(ss);
    ssize_t n = pread64(in, buf, want, *pos);
    if (n <= 0) {
      err = n < 0 ? -errno : 0;
      break;
    }
    ss = shim_sock_lock(out);
    if (!ss) {
      err = -EBADF;
      break;
    }
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n};
    ssize_t sent = shim_send_locked(ss, &iov, 1, NULL, 0, total + (size_t)n < count ? MSG_MORE : 0);
    shim_sock_unlock(ss);
    if (sent < 0) {
      err = sent;
      break;
    }
    total += (size_t)sent;
    *pos += sent;
    if (sent < n)
      break;
  }
  free(buf);
  return total > 0 ? (ssize_t)total : err;
}

static ssize_t do_sendfile(int out, int in, off64_t *offset, size_t count)
{
  if (shim_fd_file(in) || shim_fd_internal(in))
    return -EINVAL; /* a socket cannot be sendfile's source */
  if (REAL(fcntl)(in, F_GETFL) < 0)
    return -EBADF;
  if (count > MAX_RW_COUNT)
    count = MAX_RW_COUNT;
  if (!offset && is_pipe(in))
    return count ? from_pipe(out, in, count, 0) : 0;
  off64_t pos;
  if (offset) {
    if (*offset < 0)
      return -EINVAL;
    pos = *offset;
  } else if ((pos = lseek64(in, 0, SEEK_CUR)) < 0) {
    return -errno == -ESPIPE ? -EINVAL : -errno;
  }
  if (count == 0)
    return 0;
  ssize_t r = from_file(out, in, &pos, count);
  if (offset)
    *offset = pos;
  else
    lseek64(in, pos, SEEK_SET);
  return r;
}

ssize_t sendfile64(int out, int in, off64_t *offset, size_t count)
{
  if (shim_inside() || !shim_fd_sock(out)) {
    if (!shim_inside() && shim_fd_sock(in))
      return shim_result(-EINVAL);
    return REAL(sendfile64)(out, in, offset, count);
  }
  /* The kernel's sendfile raises SIGPIPE on a reset stream, as send does. */
  return shim_send_result(do_sendfile(out, in, offset, count), 0);
}

ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
  if (shim_inside() || (!shim_fd_sock(out) && !shim_fd_sock(in)))
    return REAL(sendfile)(out, in, offset, count);
  _Static_assert(sizeof(off_t) == sizeof(off64_t), "64-bit off_t");
  return sendfile64(out, in, (off64_t *)offset, count);
}

/* splice(2)'s checks (fs/splice.c do_splice): one end must be a pipe,
 * a pipe end takes no offset (ESPIPE) and a socket none either (EINVAL). */
ssize_t splice(int in, off64_t *in_off, int out, off64_t *out_off, size_t len, unsigned flags)
{
  bool in_ours = !shim_inside() && shim_fd_sock(in);
  bool out_ours = !shim_inside() && shim_fd_sock(out);
  if (!in_ours && !out_ours)
    return REAL(splice)(in, in_off, out, out_off, len, flags);
  ssize_t r;
  if (in_ours && out_ours)
    r = -EINVAL;
  else if (out_ours && !is_pipe(in))
    r = REAL(fcntl)(in, F_GETFL) < 0 ? -EBADF : -EINVAL;
  else if (in_ours && !is_pipe(out))
    r = REAL(fcntl)(out, F_GETFL) < 0 ? -EBADF : -EINVAL;
  else if (out_ours)
    r = in_off ? -ESPIPE : out_off ? -EINVAL : len ? from_pipe(out, in, len, flags) : 0;
  else
    r = out_off ? -ESPIPE : in_off ? -EINVAL : len ? to_pipe(out, in, len, flags) : 0;
  return out_ours ? shim_send_result(r, 0) : shim_result(r);
}
