/* syscall(): programs and libraries (libuv among them) make some socket
 * and descriptor calls through syscall(SYS_...), which would reach the
 * kernel with the number of a stack socket's eventfd.  Those numbers are
 * routed to the interposed functions, which pass the program's own fds on
 * to libc; every other number goes to the real syscall() untouched.
 *
 * Where the raw call's arguments differ from libc's (ppoll, pselect6 and
 * epoll_pwait carry the size of the signal set; pselect6 packs the set
 * and its size in one struct) they are unpacked here.  Like the libc
 * functions, and unlike the raw ppoll and pselect6, the timeout is not
 * written back. */
#include "shim.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define I(x) ((int)(x))
#define U(x) ((unsigned int)(x))
#define P(T, x) ((T)(x))

/* pselect6's last argument. */
struct sigset_arg {
  const sigset_t *ss;
  size_t len;
};

long syscall(long nr, ...)
{
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (int i = 0; i < 6; i++)
    a[i] = va_arg(ap, long);
  va_end(ap);
  switch (nr) {
  case SYS_socket:
    return socket(I(a[0]), I(a[1]), I(a[2]));
  case SYS_bind:
    return bind(I(a[0]), P(const struct sockaddr *, a[1]), (socklen_t)a[2]);
  case SYS_connect:
    return connect(I(a[0]), P(const struct sockaddr *, a[1]), (socklen_t)a[2]);
  case SYS_listen:
    return listen(I(a[0]), I(a[1]));
  case SYS_accept:
    return accept(I(a[0]), P(struct sockaddr *, a[1]), P(socklen_t *, a[2]));
  case SYS_accept4:
    return accept4(I(a[0]), P(struct sockaddr *, a[1]), P(socklen_t *, a[2]), I(a[3]));
  case SYS_sendto:
    return sendto(I(a[0]), P(const void *, a[1]), (size_t)a[2], I(a[3]),
                  P(const struct sockaddr *, a[4]), (socklen_t)a[5]);
  case SYS_recvfrom:
    return recvfrom(I(a[0]), P(void *, a[1]), (size_t)a[2], I(a[3]), P(struct sockaddr *, a[4]),
                    P(socklen_t *, a[5]));
  case SYS_sendmsg:
    return sendmsg(I(a[0]), P(const struct msghdr *, a[1]), I(a[2]));
  case SYS_recvmsg:
    return recvmsg(I(a[0]), P(struct msghdr *, a[1]), I(a[2]));
  case SYS_sendmmsg:
    return sendmmsg(I(a[0]), P(struct mmsghdr *, a[1]), U(a[2]), I(a[3]));
  case SYS_recvmmsg:
    return recvmmsg(I(a[0]), P(struct mmsghdr *, a[1]), U(a[2]), I(a[3]),
                    P(struct timespec *, a[4]));
  case SYS_shutdown:
    return shutdown(I(a[0]), I(a[1]));
  case SYS_getsockname:
    return getsockname(I(a[0]), P(struct sockaddr *, a[1]), P(socklen_t *, a[2]));
  case SYS_getpeername:
    return getpeername(I(a[0]), P(struct sockaddr *, a[1]), P(socklen_t *, a[2]));
  case SYS_setsockopt:
    return setsockopt(I(a[0]), I(a[1]), I(a[2]), P(const void *, a[3]), (socklen_t)a[4]);
  case SYS_getsockopt:
    return getsockopt(I(a[0]), I(a[1]), I(a[2]), P(void *, a[3]), P(socklen_t *, a[4]));
  case SYS_read:
    return read(I(a[0]), P(void *, a[1]), (size_t)a[2]);
  case SYS_write:
    return write(I(a[0]), P(const void *, a[1]), (size_t)a[2]);
  case SYS_readv:
    return readv(I(a[0]), P(const struct iovec *, a[1]), I(a[2]));
  case SYS_writev:
    return writev(I(a[0]), P(const struct iovec *, a[1]), I(a[2]));
  case SYS_close:
    return close(I(a[0]));
  case SYS_close_range:
    return close_range(U(a[0]), U(a[1]), I(a[2]));
  case SYS_dup:
    return dup(I(a[0]));
  case SYS_dup2:
    return dup2(I(a[0]), I(a[1]));
  case SYS_dup3:
    return dup3(I(a[0]), I(a[1]), I(a[2]));
  case SYS_fcntl:
    return fcntl(I(a[0]), I(a[1]), a[2]);
  case SYS_ioctl:
    return ioctl(I(a[0]), (unsigned long)a[1], a[2]);
  case SYS_poll:
    return poll(P(struct pollfd *, a[0]), (nfds_t)a[1], I(a[2]));
  case SYS_ppoll:
    return ppoll(P(struct pollfd *, a[0]), (nfds_t)a[1], P(const struct timespec *, a[2]),
                 P(const sigset_t *, a[3]));
  case SYS_select:
    return select(I(a[0]), P(fd_set *, a[1]), P(fd_set *, a[2]), P(fd_set *, a[3]),
                  P(struct timeval *, a[4]));
  case SYS_pselect6: {
    const struct sigset_arg *sa = P(const struct sigset_arg *, a[5]);
    return pselect(I(a[0]), P(fd_set *, a[1]), P(fd_set *, a[2]), P(fd_set *, a[3]),
                   P(const struct timespec *, a[4]), sa ? sa->ss : NULL);
  }
  case SYS_epoll_create:
    return epoll_create(I(a[0]));
  case SYS_epoll_create1:
    return epoll_create1(I(a[0]));
  case SYS_epoll_ctl:
    return epoll_ctl(I(a[0]), I(a[1]), I(a[2]), P(struct epoll_event *, a[3]));
  case SYS_epoll_wait:
    return epoll_wait(I(a[0]), P(struct epoll_event *, a[1]), I(a[2]), I(a[3]));
  case SYS_epoll_pwait:
    return epoll_pwait(I(a[0]), P(struct epoll_event *, a[1]), I(a[2]), I(a[3]),
                       P(const sigset_t *, a[4]));
  case SYS_epoll_pwait2:
    return epoll_pwait2(I(a[0]), P(struct epoll_event *, a[1]), I(a[2]),
                        P(const struct timespec *, a[3]), P(const sigset_t *, a[4]));
  case SYS_sendfile:
    return sendfile(I(a[0]), I(a[1]), P(off_t *, a[2]), (size_t)a[3]);
  case SYS_splice:
    return splice(I(a[0]), P(off64_t *, a[1]), I(a[2]), P(off64_t *, a[3]), (size_t)a[4], U(a[5]));
  default:
    return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
}
