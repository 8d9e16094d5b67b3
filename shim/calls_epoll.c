/* Interposed epoll calls: epoll_create, epoll_create1, epoll_ctl,
 * epoll_wait, epoll_pwait, epoll_pwait2 (see epoll.h for the design).
 *
 * A wait over an instance with stack sockets first takes what is ready
 * among them; if nothing is, it sleeps in the kernel's epoll_wait, which
 * wakes for the program's own fds and, through the internal eventfd, for
 * stack sockets; then it looks again.  Like the kernel's, it is never
 * restarted after a signal handler (EINTR), whatever SA_RESTART says. */
#include "shim.h"

#include "epoll.h"
#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* fs/eventpoll.c: EP_MAX_EVENTS. */
#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_event))

static int opened(int fd)
{
  if (fd < 0 || shim_inside())
    return fd;
  shim_lock();
  int r = shim_epoll_open(fd);
  shim_unlock();
  if (r < 0) {
    REAL(close)(fd);
    return (int)shim_result(r);
  }
  return fd;
}

int epoll_create(int size)
{
  return opened(REAL(epoll_create)(size));
}

int epoll_create1(int flags)
{
  return opened(REAL(epoll_create1)(flags));
}

/* An epoll fd the library did not see created (inherited, or made with a
 * raw system call): adopted the first time a stack socket joins it. */
static bool is_kernel_epoll(int fd)
{
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n < 0)
    return false;
  link[n] = '\0';
  return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

/* Under the lock: the instance behind epfd, for a stack socket to join;
 * -EBADF or -EINVAL as the kernel checks epfd. */
static int instance(int epfd, struct shim_epoll **out)
{
  struct shim_epoll *ep = shim_fd_epoll(epfd);
  if (!ep) {
    if (shim_fd_internal(epfd) || REAL(fcntl)(epfd, F_GETFD) < 0)
      return -EBADF;
    if (shim_fd_file(epfd) || !is_kernel_epoll(epfd))
      return -EINVAL;
    int r = shim_epoll_open(epfd);
    if (r < 0)
      return r;
    ep = shim_fd_epoll(epfd);
  }
  *out = ep;
  return 0;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
  if (shim_inside() || (!shim_fd_sock(fd) && !shim_fd_internal(fd)))
    return REAL(epoll_ctl)(epfd, op, fd, ev);
  if (op != EPOLL_CTL_DEL && !ev)
    return (int)shim_result(-EFAULT);
  shim_lock();
  struct shim_sock *ss = shim_fd_sock(fd);
  struct shim_epoll *ep;
  int r = ss ? instance(epfd, &ep) : -EBADF;
  if (r == 0)
    r = shim_epoll_ctl(ep, epfd, op, ss, fd, ev);
  shim_unlock();
  return (int)shim_result(r);
}

struct waiter {
  struct shim_epoll *ep;
};

static void waiter_cancelled(void *arg)
{
  struct waiter *w = arg;
  shim_lock();
  shim_epoll_unref(w->ep);
  shim_unlock();
}

/* The kernel's epoll for the time left, in its finest unit. */
static int kernel_wait(int epfd, struct epoll_event *ev, int max, mynet_time deadline,
                       const sigset_t *sigmask)
{
  if (deadline == MYNET_TIME_NEVER)
    return REAL(epoll_pwait)(epfd, ev, max, -1, sigmask);
  mynet_time left = deadline - shim_now();
  if (left < 0)
    left = 0;
  if (REAL(epoll_pwait2)) {
    struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (long)(left % 1000000) * 1000};
    return REAL(epoll_pwait2)(epfd, ev, max, &ts, sigmask);
  }
  mynet_time ms = (left + 999) / 1000;
  return REAL(epoll_pwait)(epfd, ev, max, ms > INT_MAX ? INT_MAX : (int)ms, sigmask);
}

/* The program's own fds, without waiting. */
static int kernel_now(int epfd, struct epoll_event *ev, int max)
{
  if (max <= 0)
    return 0;
  int k = REAL(epoll_wait)(epfd, ev, max, 0);
  return k < 0 ? -errno : shim_epoll_filter(ev, k);
}

/* Under the lock with a reference on ep; returns with both. */
static int wait_loop(int epfd, struct shim_epoll *ep, struct epoll_event *ev, int max,
                     mynet_time deadline, const sigset_t *sigmask)
{
  for (;;) {
    int n = shim_epoll_harvest(ep, ev, max);
    if (n > 0 || shim_now() >= deadline) {
      int k = kernel_now(epfd, ev + n, max - n);
      return k < 0 ? (n > 0 ? n : k) : n + k;
    }
    struct waiter w = {.ep = ep};
    shim_unlock();
    int k;
    pthread_cleanup_push(waiter_cancelled, &w);
    k = kernel_wait(epfd, ev, max, deadline, sigmask);
    pthread_cleanup_pop(0);
    int err = errno;
    shim_lock();
    if (k < 0)
      return -err;
    k = shim_epoll_filter(ev, k);
    if (k > 0)
      return k + shim_epoll_harvest(ep, ev + k, max - k);
    /* Only the internal eventfd fired, or the time is up: look again. */
  }
}

static int do_wait(int epfd, struct epoll_event *ev, int max, mynet_time deadline,
                   const sigset_t *sigmask)
{
  if (max <= 0 || max > EP_MAX_EVENTS)
    return -EINVAL;
  if (!ev)
    return -EFAULT;
  shim_lock();
  struct shim_epoll *ep = shim_fd_epoll(epfd);
  int r;
  if (!ep) { /* closed meanwhile */
    shim_unlock();
    return kernel_wait(epfd, ev, max, deadline, sigmask) < 0 ? -errno : 0;
  }
  shim_epoll_ref(ep);
  r = wait_loop(epfd, ep, ev, max, deadline, sigmask);
  shim_epoll_unref(ep);
  shim_unlock();
  return r;
}

/* Only instances that stack sockets have joined need more than the
 * kernel's epoll_wait (the flag is read without the lock: a socket added
 * by another thread during the call is seen on the next one, as the
 * kernel's own wait may miss a registration made while it runs). */
static bool plain(int epfd)
{
  if (shim_inside())
    return true;
  struct shim_epoll *ep = shim_fd_epoll(epfd);
  return !ep || __atomic_load_n(&ep->sigfd, __ATOMIC_RELAXED) < 0;
}

static mynet_time deadline_ms(int timeout)
{
  return timeout < 0 ? MYNET_TIME_NEVER : shim_now() + (mynet_time)timeout * 1000;
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
  if (plain(epfd))
    return REAL(epoll_wait)(epfd, ev, max, timeout);
  return (int)shim_result(do_wait(epfd, ev, max, deadline_ms(timeout), NULL));
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *sigmask)
{
  if (plain(epfd))
    return REAL(epoll_pwait)(epfd, ev, max, timeout, sigmask);
  return (int)shim_result(do_wait(epfd, ev, max, deadline_ms(timeout), sigmask));
}

int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *timeout,
                 const sigset_t *sigmask)
{
  if (plain(epfd)) {
    if (!REAL(epoll_pwait2))
      return (int)shim_result(-ENOSYS);
    return REAL(epoll_pwait2)(epfd, ev, max, timeout, sigmask);
  }
  mynet_time deadline = MYNET_TIME_NEVER;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)
      return (int)shim_result(-EINVAL);
    if (timeout->tv_sec < INT64_MAX / 1000000 - 1)
      deadline =
          shim_now() + (mynet_time)timeout->tv_sec * 1000000 + (timeout->tv_nsec + 999) / 1000;
  }
  return (int)shim_result(do_wait(epfd, ev, max, deadline, sigmask));
}
