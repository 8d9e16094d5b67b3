/* Stack sockets behind file descriptors: lifetime, readiness eventfd and
 * the one place where a blocking call waits. */
#include "shim.h"

#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define IN_EVENTS (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLRDHUP)
#define OUT_EVENTS (POLLOUT | POLLWRNORM | POLLWRBAND)

/* Sockets whose events may have changed during the current hold of the
 * stack lock.  The stack calls notify from deep inside its own code, where
 * it must not be re-entered (mynet_notify_fn), so the eventfds are updated
 * by shim_unlock(), once per socket. */
static struct shim_sock *dirty_head;

void shim_sock_ref(struct shim_sock *ss)
{
  ss->refs++;
}

void shim_sock_unref(struct shim_sock *ss)
{
  if (--ss->refs > 0)
    return;
  if (ss->evfd >= 0) { /* the private copy kept after close */
    shim_fd_forget(ss->evfd);
    REAL(close)(ss->evfd);
  }
  if (!ss->forked)
    mynet_sock_unref(ss->s);
  free(ss);
}

int shim_sock_check(const struct shim_sock *ss)
{
  if (ss->forked)
    return -ENOTSUP;
  return ss->closed ? -EBADF : 0;
}

/* Makes the eventfd readable iff the socket wants attention from the
 * threads that wait on it (see sock.h), with a syscall only on a change. */
static void refresh(struct shim_sock *ss)
{
  if (ss->evfd < 0 || ss->forked)
    return;
  bool want;
  if (ss->closed) {
    want = true; /* wake whoever still waits, to see EBADF */
  } else {
    unsigned mask = POLLERR | POLLHUP;
    if (ss->waiters_out)
      mask |= POLLOUT;
    if (ss->waiters_in || !ss->waiters_out)
      mask |= POLLIN | POLLRDHUP;
    want = (mynet_sock_events(ss->s) & mask) != 0;
  }
  if (want == ss->level)
    return;
  uint64_t v = 1;
  /* Never blocks: the eventfd is non-blocking, and its count is 0 or 1. */
  ssize_t r = want ? REAL(write)(ss->evfd, &v, sizeof v) : REAL(read)(ss->evfd, &v, sizeof v);
  if (r == (ssize_t)sizeof v || (!want && errno == EAGAIN))
    ss->level = want;
}

static void notify(void *ctx, mynet_sock *s)
{
  struct shim_sock *ss = ctx;
  if (ss->dirty)
    return;
  ss->dirty = true;
  shim_sock_ref(ss);
  ss->next_dirty = dirty_head;
  dirty_head = ss;
}

void shim_sock_flush(void)
{
  while (dirty_head) {
    struct shim_sock *ss = dirty_head;
    dirty_head = ss->next_dirty;
    ss->dirty = false;
    refresh(ss);
    shim_sock_unref(ss);
  }
}

struct shim_sock *shim_sock_lock(int fd)
{
  /* Lock-free first look: the program's own fds never take the lock. */
  if (!shim_fd_sock(fd) || shim_inside())
    return NULL;
  shim_lock();
  struct shim_sock *ss = shim_fd_sock(fd);
  if (!ss) { /* closed by another thread meanwhile */
    shim_unlock();
    return NULL;
  }
  shim_sock_ref(ss);
  return ss;
}

void shim_sock_unlock(struct shim_sock *ss)
{
  int saved = errno;
  /* Also here, not only on notify: a call that consumed the input may
   * leave the eventfd readable if the stack did not notify for it. */
  refresh(ss);
  shim_sock_unref(ss);
  shim_unlock();
  errno = saved;
}

int shim_sock_open(mynet_sock *s, int type, int flags)
{
  /* Always non-blocking: refresh() must never block under the lock.  The
   * socket's own O_NONBLOCK lives in ss->nonblock (fcntl, FIONBIO). */
  int fd = eventfd(0, EFD_NONBLOCK | ((flags & SOCK_CLOEXEC) ? EFD_CLOEXEC : 0));
  if (fd < 0) {
    int r = -errno;
    mynet_close(s);
    return r;
  }
  struct shim_sock *ss = calloc(1, sizeof *ss);
  int r = ss ? shim_fd_attach(fd, ss) : -ENOMEM;
  if (r < 0) {
    free(ss);
    REAL(close)(fd);
    mynet_close(s);
    return r;
  }
  mynet_sock_ref(s);
  ss->s = s;
  ss->evfd = fd;
  ss->type = type;
  ss->refs = 1; /* the fd-table entry */
  ss->nonblock = (flags & SOCK_NONBLOCK) != 0;
  mynet_sock_set_notify(s, notify, ss);
  refresh(ss);
  return fd;
}

int shim_sock_close(int fd, struct shim_sock *ss)
{
  shim_fd_forget(fd);
  if (!ss->forked && !ss->closed) {
    mynet_sock_set_notify(ss->s, NULL, NULL);
    mynet_close(ss->s);
  }
  ss->closed = true;
  /* Threads still waiting (each holds a reference, as do the table entry
   * and our caller) poll the eventfd by number; they get a private copy
   * made readable so that they wake up and find the socket closed. */
  ss->evfd = -1;
  if (ss->refs > 2 && !ss->forked) {
    int copy = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, 0);
    if (copy >= 0 && shim_fd_mark_internal(copy) == 0) {
      ss->evfd = copy;
      refresh(ss); /* closed: readable */
    } else if (copy >= 0) {
      REAL(close)(copy);
    }
  }
  int r = REAL(close)(fd) < 0 ? -errno : 0;
  shim_sock_unref(ss); /* the fd-table entry's reference */
  return r;
}

void shim_sock_interest(struct shim_sock *ss, short events, int delta)
{
  if (events & IN_EVENTS)
    ss->waiters_in += delta;
  if (events & OUT_EVENTS)
    ss->waiters_out += delta;
  refresh(ss);
}

short shim_sock_revents(const struct shim_sock *ss, short events)
{
  if (ss->closed || ss->forked)
    return POLLNVAL;
  unsigned ev = mynet_sock_events(ss->s);
  if (ev & POLLIN)
    ev |= POLLRDNORM;
  if (ev & POLLOUT)
    ev |= POLLWRNORM;
  return (short)(ev & ((unsigned short)events | POLLERR | POLLHUP));
}

/* A thread that was preempted between dropping the lock and entering
 * ppoll() while another closed the socket and a third reused the number
 * polls the wrong file until its timeout; the kernel's own close() racing
 * a blocked call on the same fd is no better defined. */
int shim_sock_wait(struct shim_sock *ss, unsigned events, mynet_time deadline)
{
  int r = shim_sock_check(ss);
  if (r < 0)
    return r;
  shim_sock_interest(ss, (short)events, +1);
  struct pollfd pfd = {.fd = ss->evfd, .events = POLLIN};
  struct timespec ts, *tp = NULL;
  if (deadline != MYNET_TIME_NEVER) {
    mynet_time left = deadline - shim_now();
    if (left < 0)
      left = 0;
    ts = (struct timespec){.tv_sec = left / 1000000, .tv_nsec = (long)(left % 1000000) * 1000};
    tp = &ts;
  }
  shim_unlock();
  int n = REAL(ppoll)(&pfd, 1, tp, NULL);
  int err = errno;
  shim_lock();
  shim_sock_interest(ss, (short)events, -1);
  if (n < 0)
    return -err; /* EINTR: signals interrupt blocking calls, as on the kernel */
  r = shim_sock_check(ss);
  if (r < 0)
    return r;
  if (n == 0 && deadline != MYNET_TIME_NEVER && shim_now() >= deadline)
    return -ETIMEDOUT;
  return 0;
}

void shim_sock_release_all(void)
{
  struct shim_sock *ss;
  for (int fd = 0; (ss = shim_fd_next_sock(&fd)) != NULL; fd++) {
    if (ss->closed || ss->forked)
      continue;
    mynet_sock_set_notify(ss->s, NULL, NULL);
    mynet_close(ss->s);
    ss->closed = true;
    refresh(ss);
  }
}

void shim_sock_forked(void)
{
  struct shim_sock *ss;
  for (int fd = 0; (ss = shim_fd_next_sock(&fd)) != NULL; fd++)
    ss->forked = true;
  dirty_head = NULL; /* the parent's pending work, not ours */
}
