/* Interposed descriptor calls: close, dup, dup2, dup3, close_range,
 * closefrom, and (through shim_fd_dup) fcntl's F_DUPFD family.
 *
 * A duplicate of a stack socket or of an epoll instance is one more
 * number for the same open file, as in the kernel: the kernel copies the
 * eventfd (or the epoll fd) behind it, and the table enters the new number
 * with a reference.  The file is released with its last number.  The
 * library's own descriptors look closed to the program: dup of one fails
 * with EBADF, and close, close_range and closefrom pass over them. */
#include "shim.h"

#include "epoll.h"
#include "fdops.h"
#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Under the lock. */
static int file_add_fd(struct shim_file *f, int fd)
{
  if (f->kind != SHIM_FILE_EPOLL)
    return shim_sock_add_fd((struct shim_sock *)f, fd);
  return shim_epoll_add_fd((struct shim_epoll *)f, fd);
}

int shim_file_drop_fd(struct shim_file *f, int fd, bool close_fd)
{
  if (f->kind != SHIM_FILE_EPOLL)
    return shim_sock_drop_fd((struct shim_sock *)f, fd, close_fd);
  return shim_epoll_drop_fd((struct shim_epoll *)f, fd, close_fd);
}

static bool ours(int fd)
{
  return shim_fd_file(fd) || shim_fd_internal(fd);
}

/* A vfork() child shares our memory but has its own descriptor table:
 * what it does to its descriptors (before exec) must leave ours alone. */
static bool leave_alone(void)
{
  return shim_inside() || shim_in_vfork_child();
}

int shim_fd_dup(int fd, int min, bool cloexec)
{
  if (leave_alone() || !ours(fd))
    return REAL(fcntl)(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min);
  shim_lock();
  struct shim_file *f = shim_fd_file(fd);
  int r;
  if (!f) {
    r = -EBADF; /* internal, or closed by another thread meanwhile */
  } else {
    r = REAL(fcntl)(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min);
    if (r < 0) {
      r = -errno;
    } else {
      int a = file_add_fd(f, r);
      if (a < 0) {
        REAL(close)(r);
        r = a;
      }
    }
  }
  shim_unlock();
  return (int)shim_result(r);
}

int dup(int fd)
{
  return shim_fd_dup(fd, 0, false);
}

/* dup2/dup3 under the lock: newfd's old file (if ours) loses a number,
 * fd's (if ours) gains one.  The library's own descriptors cannot be
 * replaced: the kernel's answer to a dup2 racing an open, EBUSY. */
static int dup_onto(int fd, int newfd, int flags)
{
  if (shim_fd_internal(fd))
    return -EBADF;
  if (shim_fd_internal(newfd)) {
    shim_log(MYNET_LOG_WARN, "dup2 onto fd %d: the library's own descriptor; refused with EBUSY",
             newfd);
    return -EBUSY;
  }
  struct shim_file *from = shim_fd_file(fd);
  struct shim_file *old = shim_fd_file(newfd);
  int r = REAL(dup3)(fd, newfd, flags);
  if (r < 0)
    return -errno;
  if (old)
    shim_file_drop_fd(old, newfd, false); /* the kernel closed it */
  if (from && file_add_fd(from, newfd) < 0) {
    REAL(close)(newfd);
    return -EMFILE;
  }
  return newfd;
}

int dup2(int fd, int newfd)
{
  if (leave_alone() || (!ours(fd) && !ours(newfd)))
    return REAL(dup2)(fd, newfd);
  if (fd == newfd) /* valid: newfd; the library's own look closed */
    return shim_fd_internal(fd) ? (int)shim_result(-EBADF) : REAL(dup2)(fd, newfd);
  shim_lock();
  int r = dup_onto(fd, newfd, 0);
  shim_unlock();
  return (int)shim_result(r);
}

int dup3(int fd, int newfd, int flags)
{
  if (leave_alone() || (!ours(fd) && !ours(newfd)) || fd == newfd || (flags & ~O_CLOEXEC))
    return REAL(dup3)(fd, newfd, flags);
  shim_lock();
  int r = dup_onto(fd, newfd, flags);
  shim_unlock();
  return (int)shim_result(r);
}

/* close() of a socket never blocks: the stack finishes the TCP exchange in
 * the background (and at exit, see runtime.c).  close() of one of the
 * library's own descriptors (TAP, timerfd, log, pcap) is pretended, so
 * that programs which close every fd they do not know keep working. */
/* SO_LINGER with a time: the close of the last number waits (the lock
 * dropped) until what was sent, FIN included, is acknowledged or the
 * time is up, as Linux's sk_stream_wait_close; then returns 0 either
 * way.  The stack no longer notifies a closed socket, so it is looked at
 * every few milliseconds: a rare call, and a short wait. */
static void linger(struct shim_sock *ss, mynet_time deadline)
{
  for (;;) {
    shim_lock();
    bool closing = mynet_sock_closing(ss->s);
    shim_unlock();
    if (!closing || shim_now() >= deadline)
      break;
    struct timespec nap = {.tv_nsec = 5 * 1000 * 1000};
    nanosleep(&nap, NULL);
  }
  shim_lock();
  shim_sock_unref(ss);
  shim_unlock();
}

int close(int fd)
{
  /* A vfork() child that closes every descriptor before its exec
   * (python's close_fds) keeps the library's own in its table, or the
   * program it exec()s cannot find the stack. */
  if (!shim_inside() && shim_in_vfork_child() && shim_fd_internal(fd))
    return 0;
  if (leave_alone() || !ours(fd))
    return REAL(close)(fd);
  shim_lock();
  struct shim_file *f = shim_fd_file(fd);
  struct shim_sock *lingering = NULL;
  mynet_time until = 0;
  int r;
  if (f) {
    if (f->kind == SHIM_FILE_SOCK && f->nfds == 1) {
      struct shim_sock *ss = (struct shim_sock *)f;
      mynet_time t = ss->closed ? 0 : mynet_sock_linger_time(ss->s);
      if (t > 0) {
        lingering = ss;
        shim_sock_ref(ss);
        until = shim_now() + t;
      }
    }
    r = shim_file_drop_fd(f, fd, true);
  } else if (shim_fd_internal(fd)) {
    shim_log(MYNET_LOG_DEBUG, "close(%d): the library's own descriptor, left open", fd);
    r = 0;
  } else {
    r = REAL(close)(fd) < 0 ? -errno : 0; /* closed and reused meanwhile */
  }
  shim_unlock();
  if (lingering)
    linger(lingering, until);
  return (int)shim_result(r);
}

static int real_close_range(unsigned first, unsigned last, int flags)
{
  if (REAL(close_range))
    return REAL(close_range)(first, last, flags);
  return (int)REAL(syscall)(SYS_close_range, first, last, flags);
}

/* The kernel's close_range() over [first, last] but for the library's
 * own descriptors. */
static int close_range_but_internal(unsigned first, unsigned last, int flags)
{
  int hi = last > (unsigned)INT_MAX ? INT_MAX : (int)last;
  int r = 0;
  unsigned from = first;
  int next = shim_fd_next_internal((int)(first > (unsigned)INT_MAX ? INT_MAX : first));
  while (r == 0 && next >= 0 && next <= hi) {
    if ((unsigned)next > from)
      r = real_close_range(from, (unsigned)next - 1, flags);
    from = (unsigned)next + 1;
    next = shim_fd_next_internal(next + 1);
  }
  if (r == 0 && from <= last)
    r = real_close_range(from, last, flags);
  return r;
}

/* close_range() over the program's descriptors only: the ranges between
 * the library's own are closed by the kernel, then our files lose the
 * numbers that were in range.  A vfork() child closes in its own table
 * only (see close()). */
int close_range(unsigned first, unsigned last, int flags)
{
  if (first > last || (flags & CLOSE_RANGE_CLOEXEC) || shim_inside())
    return real_close_range(first, last, flags); /* close-on-exec: ours have it */
  if (shim_in_vfork_child())
    return close_range_but_internal(first, last, flags);
  int hi = last > (unsigned)INT_MAX ? INT_MAX : (int)last;
  shim_lock();
  int r = close_range_but_internal(first, last, flags);
  int err = errno;
  if (r == 0) {
    struct shim_file *f;
    for (int fd = (int)(first > (unsigned)INT_MAX ? INT_MAX : first);
         (f = shim_fd_next_file(&fd)) != NULL && fd <= hi; fd++)
      shim_file_drop_fd(f, fd, false);
  }
  shim_unlock();
  errno = err;
  return r;
}

/* glibc's closefrom() calls close_range() inside libc, where no preload
 * reaches it, and aborts if that fails; so does this one, after falling
 * back to closing what /proc/self/fd lists (kernels before 5.9). */
void closefrom(int lowfd)
{
  unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;
  if (close_range(first, ~0u, 0) == 0)
    return;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    abort();
  int dfd = dirfd(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end || e->d_name[0] == '.' || fd < (long)first || fd == dfd)
      continue;
    close((int)fd);
  }
  closedir(d);
}
