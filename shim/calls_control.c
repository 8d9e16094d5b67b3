/* Interposed control calls: fcntl, fcntl64 and ioctl, hand-written
 * because they are variadic.  Like glibc, we read the optional argument as
 * a pointer-sized value whatever the command and pass it on as is.
 *
 * On a socket of ours O_NONBLOCK belongs to the shim: the eventfd itself
 * always stays non-blocking (the shim must never block on it under the
 * lock), so F_GETFL reports the socket's flag in its place.  Every other
 * command acts on the eventfd, which is what the kernel would act on for a
 * socket's file (FD_CLOEXEC, locks) or an honest refusal (ENOTTY, EINVAL).
 * F_DUPFD and F_DUPFD_CLOEXEC are dup() (calls_fd.c). */
#include "shim.h"

#include "fdops.h"
#include "runtime.h"
#include "sock.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <mynet/socket.h>
#include <stdarg.h>
#include <sys/ioctl.h>

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
    return shim_fd_dup(fd, (int)(long)arg, cmd == F_DUPFD_CLOEXEC);
  struct shim_sock *ss;
  if ((cmd != F_GETFL && cmd != F_SETFL) || !(ss = shim_sock_lock(fd)))
    return real(fd, cmd, arg);
  int r;
  if (cmd == F_GETFL) {
    r = real(fd, F_GETFL);
    if (r >= 0)
      r = (r & ~O_NONBLOCK) | (shim_sock_nonblock(ss) ? O_NONBLOCK : 0);
  } else {
    int flags = (int)(long)arg;
    r = real(fd, F_SETFL, flags | O_NONBLOCK);
    if (r >= 0)
      mynet_sock_driver(ss->s)->nonblock = (flags & O_NONBLOCK) != 0;
  }
  shim_sock_unlock(ss); /* keeps errno */
  return r;
}

int fcntl(int fd, int cmd, ...)
{
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return do_fcntl(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return do_fcntl(REAL(fcntl64), fd, cmd, arg);
}

/* FIONBIO sets O_NONBLOCK; the queue requests (SIOCINQ alias FIONREAD,
 * SIOCOUTQ, SIOCOUTQNSD, SIOCATMARK) are the stack's to answer.  Other
 * requests reach the eventfd (ENOTTY), including interface queries
 * (SIOCGIF*) that programs sometimes make on any AF_INET socket: the
 * kernel would answer them about its own interfaces, not the stack's. */
static bool sock_request(unsigned long request)
{
  switch (request) {
  case FIONBIO:
  case SIOCINQ:
  case SIOCOUTQ:
  case SIOCOUTQNSD:
  case SIOCATMARK:
    return true;
  default:
    return false;
  }
}

int ioctl(int fd, unsigned long request, ...)
{
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct shim_sock *ss;
  if (!sock_request(request) || !(ss = shim_sock_lock(fd)))
    return REAL(ioctl)(fd, request, arg);
  int r = shim_sock_check(ss);
  if (r == 0 && !arg)
    r = -EFAULT;
  if (r == 0 && request == FIONBIO)
    mynet_sock_driver(ss->s)->nonblock = *(const int *)arg != 0;
  else if (r == 0)
    r = mynet_sock_ioctl(ss->s, request, arg);
  shim_sock_unlock(ss);
  return (int)shim_result(r);
}
