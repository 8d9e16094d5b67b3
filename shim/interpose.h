/* The one list of interposed calls.
 *
 * Every libc function the preload library replaces is named here once, with
 * the prototype of the real function.  The list declares our wrappers (so
 * the compiler checks each definition against it and against libc's own
 * declaration), holds the pointers to the real functions, and resolves them
 * all in one place (interpose.c).  libmynet.map exports exactly these names;
 * keep the two in step.
 *
 * FIXED(ret, name, params, args) is a call with a fixed parameter list;
 * VARIADIC(ret, name, params) is one whose wrapper must read its optional
 * argument by hand (fcntl, ioctl).
 *
 * Deliberately not interposed, each a visible decision:
 *   fstat on a socket (it shows the eventfd, not S_IFSOCK);
 *   pread/pwrite (ESPIPE on sockets anyway);
 *   stdio on a socket the program made (fdopen: libc's internal read and
 *   write); a program exec()ed with a socket as its standard input,
 *   output or error gets a relay instead (bridge.h);
 *   getaddrinfo_a, res_query and the rest of libresolv (the names calls
 *   above answer through the stack; these would reach the kernel's);
 *   the exported internal aliases __send, __recv, __connect, __close,
 *   __read, __write, __poll, __select (programs do not call them);
 *   io_uring (its operations never pass through libc);
 *   vfork (no wrapper can return twice on its caller's stack): its child
 *   is known by its pid (shim_in_vfork_child) in the calls it makes.
 * _FORTIFY_SOURCE variants present in glibc 2.36 and interposed:
 *   __read_chk, __recv_chk, __recvfrom_chk, __poll_chk, __ppoll_chk.
 *
 * Every shim source includes shim.h (and so this file) first and compiles
 * without _FORTIFY_SOURCE (which would turn read & co. into inline
 * functions clashing with our definitions).  With _GNU_SOURCE glibc
 * declares accept & co. with a transparent union for the address; gcc and
 * clang accept our definitions with struct sockaddr * against it. */
#ifndef SHIM_INTERPOSE_H
#define SHIM_INTERPOSE_H

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#define SHIM_INTERPOSED(FIXED, VARIADIC)                                                           \
  FIXED(int, socket, (int domain, int type, int protocol), (domain, type, protocol))               \
  FIXED(int, bind, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len))          \
  FIXED(int, connect, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len))       \
  FIXED(int, listen, (int fd, int backlog), (fd, backlog))                                         \
  FIXED(int, accept, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))             \
  FIXED(int, accept4, (int fd, struct sockaddr *addr, socklen_t *len, int flags),                  \
        (fd, addr, len, flags))                                                                    \
  FIXED(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags))        \
  FIXED(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags))              \
  FIXED(                                                                                           \
      ssize_t, sendto,                                                                             \
      (int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len),  \
      (fd, buf, n, flags, addr, len))                                                              \
  FIXED(ssize_t, recvfrom,                                                                         \
        (int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *len),           \
        (fd, buf, n, flags, addr, len))                                                            \
  FIXED(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags))         \
  FIXED(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags))               \
  FIXED(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))                                \
  FIXED(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))                         \
  FIXED(ssize_t, readv, (int fd, const struct iovec *iov, int iovcnt), (fd, iov, iovcnt))          \
  FIXED(ssize_t, writev, (int fd, const struct iovec *iov, int iovcnt), (fd, iov, iovcnt))         \
  FIXED(int, close, (int fd), (fd))                                                                \
  FIXED(int, shutdown, (int fd, int how), (fd, how))                                               \
  FIXED(int, getsockname, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))        \
  FIXED(int, getpeername, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))        \
  FIXED(int, setsockopt, (int fd, int level, int name, const void *val, socklen_t len),            \
        (fd, level, name, val, len))                                                               \
  FIXED(int, getsockopt, (int fd, int level, int name, void *val, socklen_t *len),                 \
        (fd, level, name, val, len))                                                               \
  VARIADIC(int, fcntl, (int fd, int cmd, ...))                                                     \
  VARIADIC(int, fcntl64, (int fd, int cmd, ...))                                                   \
  VARIADIC(int, ioctl, (int fd, unsigned long request, ...))                                       \
  FIXED(int, poll, (struct pollfd * fds, nfds_t nfds, int timeout), (fds, nfds, timeout))          \
  FIXED(                                                                                           \
      int, ppoll,                                                                                  \
      (struct pollfd * fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask), \
      (fds, nfds, timeout, sigmask))                                                               \
  FIXED(int, select,                                                                               \
        (int nfds, fd_set *rfds, fd_set *wfds, fd_set *efds, struct timeval *timeout),             \
        (nfds, rfds, wfds, efds, timeout))                                                         \
  FIXED(int, pselect,                                                                              \
        (int nfds, fd_set *rfds, fd_set *wfds, fd_set *efds, const struct timespec *timeout,       \
         const sigset_t *sigmask),                                                                 \
        (nfds, rfds, wfds, efds, timeout, sigmask))                                                \
  FIXED(int, dup, (int fd), (fd))                                                                  \
  FIXED(int, dup2, (int fd, int newfd), (fd, newfd))                                               \
  FIXED(int, dup3, (int fd, int newfd, int flags), (fd, newfd, flags))                             \
  FIXED(int, close_range, (unsigned int first, unsigned int last, int flags),                      \
        (first, last, flags))                                                                      \
  FIXED(void, closefrom, (int lowfd), (lowfd))                                                     \
  FIXED(int, epoll_create, (int size), (size))                                                     \
  FIXED(int, epoll_create1, (int flags), (flags))                                                  \
  FIXED(int, epoll_ctl, (int epfd, int op, int fd, struct epoll_event *ev), (epfd, op, fd, ev))    \
  FIXED(int, epoll_wait, (int epfd, struct epoll_event *ev, int max, int timeout),                 \
        (epfd, ev, max, timeout))                                                                  \
  FIXED(int, epoll_pwait,                                                                          \
        (int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *sigmask),         \
        (epfd, ev, max, timeout, sigmask))                                                         \
  FIXED(int, epoll_pwait2,                                                                         \
        (int epfd, struct epoll_event *ev, int max, const struct timespec *timeout,                \
         const sigset_t *sigmask),                                                                 \
        (epfd, ev, max, timeout, sigmask))                                                         \
  FIXED(ssize_t, sendfile, (int out, int in, off_t *offset, size_t n), (out, in, offset, n))       \
  FIXED(ssize_t, sendfile64, (int out, int in, off64_t *offset, size_t n), (out, in, offset, n))   \
  FIXED(ssize_t, splice,                                                                           \
        (int in, off64_t *in_off, int out, off64_t *out_off, size_t n, unsigned int flags),        \
        (in, in_off, out, out_off, n, flags))                                                      \
  FIXED(int, sendmmsg, (int fd, struct mmsghdr *msgs, unsigned int n, int flags),                  \
        (fd, msgs, n, flags))                                                                      \
  FIXED(int, recvmmsg,                                                                             \
        (int fd, struct mmsghdr *msgs, unsigned int n, int flags, struct timespec *timeout),       \
        (fd, msgs, n, flags, timeout))                                                             \
  VARIADIC(long, syscall, (long number, ...))                                                      \
  FIXED(pid_t, fork, (void), ())                                                                   \
  FIXED(void, _exit, (int status), (status))                                                       \
  FIXED(int, posix_spawn,                                                                          \
        (pid_t * pid, const char *path, const posix_spawn_file_actions_t *actions,                 \
         const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),                   \
        (pid, path, actions, attr, argv, envp))                                                    \
  FIXED(int, posix_spawnp,                                                                         \
        (pid_t * pid, const char *file, const posix_spawn_file_actions_t *actions,                 \
         const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),                   \
        (pid, file, actions, attr, argv, envp))                                                    \
  FIXED(int, execve, (const char *path, char *const argv[], char *const envp[]),                   \
        (path, argv, envp))                                                                        \
  FIXED(int, execv, (const char *path, char *const argv[]), (path, argv))                          \
  FIXED(int, execvp, (const char *file, char *const argv[]), (file, argv))                         \
  FIXED(int, execvpe, (const char *file, char *const argv[], char *const envp[]),                  \
        (file, argv, envp))                                                                        \
  FIXED(int, fexecve, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))          \
  VARIADIC(int, execl, (const char *path, const char *arg, ...))                                   \
  VARIADIC(int, execlp, (const char *file, const char *arg, ...))                                  \
  VARIADIC(int, execle, (const char *path, const char *arg, ...))                                  \
  FIXED(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t buflen), (fd, buf, n, buflen))   \
  FIXED(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t buflen, int flags),              \
        (fd, buf, n, buflen, flags))                                                               \
  FIXED(ssize_t, __recvfrom_chk,                                                                   \
        (int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,             \
         socklen_t *len),                                                                          \
        (fd, buf, n, buflen, flags, addr, len))                                                    \
  FIXED(int, __poll_chk, (struct pollfd * fds, nfds_t nfds, int timeout, size_t fdslen),           \
        (fds, nfds, timeout, fdslen))                                                              \
  FIXED(int, __ppoll_chk,                                                                          \
        (struct pollfd * fds, nfds_t nfds, const struct timespec *timeout,                         \
         const sigset_t *sigmask, size_t fdslen),                                                  \
        (fds, nfds, timeout, sigmask, fdslen))                                                     \
  FIXED(int, getaddrinfo,                                                                          \
        (const char *node, const char *service, const struct addrinfo *hints,                      \
         struct addrinfo **res),                                                                   \
        (node, service, hints, res))                                                               \
  FIXED(struct hostent *, gethostbyname, (const char *name), (name))                               \
  FIXED(int, gethostbyname_r,                                                                      \
        (const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result, \
         int *h_errnop),                                                                           \
        (name, ret, buf, buflen, result, h_errnop))                                                \
  FIXED(struct hostent *, gethostbyname2, (const char *name, int af), (name, af))                  \
  FIXED(int, gethostbyname2_r,                                                                     \
        (const char *name, int af, struct hostent *ret, char *buf, size_t buflen,                  \
         struct hostent **result, int *h_errnop),                                                  \
        (name, af, ret, buf, buflen, result, h_errnop))                                            \
  FIXED(struct hostent *, gethostbyaddr, (const void *addr, socklen_t len, int type),              \
        (addr, len, type))                                                                         \
  FIXED(int, gethostbyaddr_r,                                                                      \
        (const void *addr, socklen_t len, int type, struct hostent *ret, char *buf, size_t buflen, \
         struct hostent **result, int *h_errnop),                                                  \
        (addr, len, type, ret, buf, buflen, result, h_errnop))                                     \
  FIXED(int, getnameinfo,                                                                          \
        (const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen, char *serv,    \
         socklen_t servlen, int flags),                                                            \
        (sa, salen, host, hostlen, serv, servlen, flags))

/* Our wrappers: exported (the version script agrees), everything else in
 * the library is hidden. */
#define SHIM_DECLARE_FIXED(ret, name, params, args)                                                \
  __attribute__((visibility("default"))) ret name params;
#define SHIM_DECLARE_VARIADIC(ret, name, params)                                                   \
  __attribute__((visibility("default"))) ret name params;
SHIM_INTERPOSED(SHIM_DECLARE_FIXED, SHIM_DECLARE_VARIADIC)
#undef SHIM_DECLARE_FIXED
#undef SHIM_DECLARE_VARIADIC

/* Pointers to the next definition of each name (libc's). */
struct shim_real {
#define SHIM_POINTER_FIXED(ret, name, params, args) ret(*name) params;
#define SHIM_POINTER_VARIADIC(ret, name, params) ret(*name) params;
  SHIM_INTERPOSED(SHIM_POINTER_FIXED, SHIM_POINTER_VARIADIC)
#undef SHIM_POINTER_FIXED
#undef SHIM_POINTER_VARIADIC
};

extern struct shim_real shim_real_fns;
extern bool shim_real_resolved;

/* Looks every name up with dlsym(RTLD_NEXT); safe to call from any thread,
 * any number of times, before or after the library's constructor, and it
 * leaves errno as it found it.  A name libc lacks stays NULL. */
void shim_resolve_real(void);

/* REAL(read)(fd, buf, n): the real function, resolved on first use.  Calls
 * can arrive before our constructor runs (from other libraries'
 * constructors, or from inside dlsym), so every use checks. */
#define REAL(name)                                                                                 \
  (__atomic_load_n(&shim_real_resolved, __ATOMIC_ACQUIRE)                                          \
       ? shim_real_fns.name                                                                        \
       : (shim_resolve_real(), shim_real_fns.name))

#endif
