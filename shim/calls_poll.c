/* Interposed readiness calls: poll, ppoll, select, pselect and the
 * checking variants of poll and ppoll.
 *
 * A set with no socket of ours goes to libc untouched.  Otherwise the
 * stack's sockets are looked at first (mynet_sock_events); if one is ready
 * the kernel's fds are checked with a zero timeout and the call returns.
 * If none is, every socket of ours is replaced by its eventfd (POLLIN: "look
 * at me"), interest in POLLOUT is registered where asked, and one real
 * ppoll() waits for the remaining time over the kernel's fds and the
 * eventfds together; then readiness is computed again, until something is
 * ready or the time is up.  Results are the kernel's: poll counts fds with
 * nonzero revents, select counts set bits, POLLNVAL and EBADF for the
 * kernel's fds come from the kernel. */
#include "shim.h"

#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

extern void __chk_fail(void) __attribute__((noreturn));

#define SMALL 32 /* entries handled without malloc */

struct pollset {
  struct pollfd *fds; /* the caller's */
  nfds_t n;
  struct shim_sock **socks; /* socks[i]: ours at fds[i], else NULL */
  struct pollfd *kfds;      /* what the real ppoll() sees */
  bool registered;          /* interests are registered */
};

static bool any_ours(const struct pollfd *fds, nfds_t n)
{
  if (!shim_fd_any_socks())
    return false;
  for (nfds_t i = 0; i < n; i++)
    if (shim_fd_sock(fds[i].fd))
      return true;
  return false;
}

/* Under the lock: sets revents of our entries, returns how many are set. */
static int ours_ready(struct pollset *p)
{
  int ready = 0;
  for (nfds_t i = 0; i < p->n; i++) {
    if (!p->socks[i])
      continue;
    p->fds[i].revents = shim_sock_revents(p->socks[i], p->fds[i].events);
    if (p->fds[i].revents)
      ready++;
  }
  return ready;
}

static void set_interest(struct pollset *p, bool on)
{
  if (p->registered == on)
    return;
  for (nfds_t i = 0; i < p->n; i++)
    if (p->socks[i])
      shim_sock_interest(p->socks[i], p->fds[i].events, on ? +1 : -1);
  p->registered = on;
}

/* Copies the kernel's answers for the kernel's fds; returns how many have
 * nonzero revents. */
static int kernel_ready(struct pollset *p)
{
  int ready = 0;
  for (nfds_t i = 0; i < p->n; i++) {
    if (p->socks[i])
      continue;
    p->fds[i].revents = p->kfds[i].revents;
    if (p->fds[i].revents)
      ready++;
  }
  return ready;
}

/* The kernel's fds only, without waiting; our entries are hidden (fd -1). */
static int kernel_now(struct pollset *p)
{
  bool any = false;
  for (nfds_t i = 0; i < p->n; i++) {
    p->kfds[i] = p->fds[i];
    p->kfds[i].revents = 0;
    if (p->socks[i])
      p->kfds[i].fd = -1;
    else
      any = any || p->fds[i].fd >= 0;
  }
  if (any && REAL(poll)(p->kfds, p->n, 0) < 0)
    return -errno;
  return kernel_ready(p);
}

static struct timespec *time_left(mynet_time deadline, struct timespec *ts)
{
  if (deadline == MYNET_TIME_NEVER)
    return NULL;
  mynet_time left = deadline - shim_now();
  if (left < 0)
    left = 0;
  *ts = (struct timespec){.tv_sec = left / 1000000, .tv_nsec = (long)(left % 1000000) * 1000};
  return ts;
}

static void pollset_release(struct pollset *p)
{
  set_interest(p, false);
  for (nfds_t i = 0; i < p->n; i++)
    if (p->socks[i])
      shim_sock_unref(p->socks[i]);
  if (p->n > SMALL) {
    free(p->socks);
    free(p->kfds);
  }
}

/* pthread_cancel() in ppoll(): give back what the call holds. */
static void pollset_cancelled(void *arg)
{
  shim_lock();
  pollset_release(arg);
  shim_unlock();
}

/* ppoll() is a cancellation point: one with the call's cleanup. */
static int cancellable_ppoll(struct pollset *p, const struct timespec *tp, const sigset_t *sigmask)
{
  int n;
  pthread_cleanup_push(pollset_cancelled, p);
  n = REAL(ppoll)(p->kfds, p->n, tp, sigmask);
  pthread_cleanup_pop(0);
  return n;
}

/* Under the lock, with p->socks filled and referenced; returns with the
 * lock held.  The count of ready entries, or a negative errno. */
static int wait_loop(struct pollset *p, mynet_time deadline, const sigset_t *sigmask)
{
  for (;;) {
    set_interest(p, false);
    int ready = ours_ready(p);
    if (ready > 0 || shim_now() >= deadline) {
      int k = kernel_now(p);
      return k < 0 ? k : ready + k;
    }
    for (nfds_t i = 0; i < p->n; i++) {
      p->kfds[i] = p->fds[i];
      p->kfds[i].revents = 0;
      if (p->socks[i]) /* the number is the socket's eventfd */
        p->kfds[i] = (struct pollfd){.fd = p->fds[i].fd, .events = POLLIN};
    }
    set_interest(p, true);
    struct timespec ts;
    struct timespec *tp = time_left(deadline, &ts);
    shim_unlock();
    int n = cancellable_ppoll(p, tp, sigmask);
    int err = errno;
    shim_lock();
    if (n < 0) {
      set_interest(p, false);
      return -err;
    }
    int k = kernel_ready(p);
    if (k > 0) {
      set_interest(p, false);
      return k + ours_ready(p);
    }
    /* Only eventfds fired, or the time is up: look at ours again. */
  }
}

/* poll() over a set with sockets of ours.  deadline is absolute. */
static int poll_mixed(struct pollfd *fds, nfds_t n, mynet_time deadline, const sigset_t *sigmask)
{
  struct shim_sock *small_socks[SMALL];
  struct pollfd small_kfds[SMALL];
  struct pollset p = {.fds = fds, .n = n, .socks = small_socks, .kfds = small_kfds};
  if (n > SMALL) {
    p.socks = malloc(n * sizeof *p.socks);
    p.kfds = malloc(n * sizeof *p.kfds);
    if (!p.socks || !p.kfds) {
      free(p.socks);
      free(p.kfds);
      return -ENOMEM;
    }
  }
  shim_lock();
  for (nfds_t i = 0; i < n; i++) {
    fds[i].revents = 0;
    p.socks[i] = fds[i].fd >= 0 ? shim_fd_sock(fds[i].fd) : NULL;
    if (p.socks[i])
      shim_sock_ref(p.socks[i]);
  }
  int r = wait_loop(&p, deadline, sigmask);
  pollset_release(&p);
  shim_unlock();
  return r;
}

static mynet_time deadline_ms(int timeout)
{
  return timeout < 0 ? MYNET_TIME_NEVER : shim_now() + (mynet_time)timeout * 1000;
}

/* -EINVAL for a malformed timespec, as ppoll/pselect answer. */
static int deadline_ts(const struct timespec *ts, mynet_time *deadline)
{
  if (!ts) {
    *deadline = MYNET_TIME_NEVER;
    return 0;
  }
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
    return -EINVAL;
  if (ts->tv_sec >= INT64_MAX / 1000000 - 1) {
    *deadline = MYNET_TIME_NEVER;
    return 0;
  }
  /* Round up: a timeout never ends early. */
  *deadline = shim_now() + (mynet_time)ts->tv_sec * 1000000 + (ts->tv_nsec + 999) / 1000;
  return 0;
}

/* glibc 2.36 declares poll's and ppoll's fds write-only (__attr_access),
 * though poll reads the events; gcc then warns that we read them.  An
 * empty asm hides where the pointer came from. */
static struct pollfd *read_write(struct pollfd *fds)
{
  __asm__("" : "+r"(fds));
  return fds;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
  fds = read_write(fds);
  if (!any_ours(fds, n))
    return REAL(poll)(fds, n, timeout);
  return (int)shim_result(poll_mixed(fds, n, deadline_ms(timeout), NULL));
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *sigmask)
{
  fds = read_write(fds);
  if (!any_ours(fds, n))
    return REAL(ppoll)(fds, n, timeout, sigmask);
  mynet_time deadline;
  int r = deadline_ts(timeout, &deadline);
  if (r == 0)
    r = poll_mixed(fds, n, deadline, sigmask);
  return (int)shim_result(r);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
  if (fdslen / sizeof *fds < n)
    __chk_fail();
  return poll(fds, n, timeout);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                const sigset_t *sigmask, size_t fdslen)
{
  if (fdslen / sizeof *fds < n)
    __chk_fail();
  return ppoll(fds, n, timeout, sigmask);
}

/* --- select ------------------------------------------------------------ */

/* fd_set as the kernel reads it: nfds bits in unsigned longs, whatever
 * FD_SETSIZE says (FD_ISSET would abort above it under _FORTIFY_SOURCE). */
#define LONG_BITS (int)(sizeof(unsigned long) * CHAR_BIT)

static bool bit_get(const fd_set *set, int fd)
{
  return set && (((const unsigned long *)set)[fd / LONG_BITS] >> (fd % LONG_BITS)) & 1;
}

static void bit_set(fd_set *set, int fd)
{
  ((unsigned long *)set)[fd / LONG_BITS] |= 1ul << (fd % LONG_BITS);
}

/* Like the kernel, write back whole words: bits at or above nfds in the
 * last word come back clear. */
static void bits_clear(fd_set *set, int nfds)
{
  if (set)
    memset(set, 0, (size_t)(nfds + LONG_BITS - 1) / LONG_BITS * sizeof(unsigned long));
}

static bool select_any_ours(int nfds, const fd_set *r, const fd_set *w, const fd_set *e)
{
  if (!shim_fd_any_socks())
    return false;
  for (int fd = 0; fd < nfds; fd++)
    if ((bit_get(r, fd) || bit_get(w, fd) || bit_get(e, fd)) && shim_fd_sock(fd))
      return true;
  return false;
}

/* The kernel's mapping (fs/select.c): readable = POLLIN_SET, writable =
 * POLLOUT_SET, exceptional = POLLEX_SET. */
#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX (POLLPRI)

static int select_mixed(int nfds, fd_set *r, fd_set *w, fd_set *e, mynet_time deadline,
                        const sigset_t *sigmask)
{
  nfds_t n = 0;
  for (int fd = 0; fd < nfds; fd++)
    if (bit_get(r, fd) || bit_get(w, fd) || bit_get(e, fd))
      n++;
  struct pollfd small[SMALL];
  struct pollfd *fds = n > SMALL ? malloc(n * sizeof *fds) : small;
  if (!fds)
    return -ENOMEM;
  n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short ev = (short)((bit_get(r, fd) ? POLLIN | POLLRDNORM | POLLRDBAND : 0) |
                       (bit_get(w, fd) ? POLLOUT | POLLWRNORM | POLLWRBAND : 0) |
                       (bit_get(e, fd) ? POLLPRI : 0));
    if (ev)
      fds[n++] = (struct pollfd){.fd = fd, .events = ev};
  }
  int ret = poll_mixed(fds, n, deadline, sigmask);
  for (nfds_t i = 0; ret >= 0 && i < n; i++)
    if (fds[i].revents & POLLNVAL)
      ret = -EBADF;
  if (ret >= 0) {
    /* events still says which sets each fd was in. */
    ret = 0;
    bits_clear(r, nfds);
    bits_clear(w, nfds);
    bits_clear(e, nfds);
    for (nfds_t i = 0; i < n; i++) {
      short asked = fds[i].events, got = fds[i].revents;
      if ((asked & POLLIN) && (got & SEL_IN)) {
        bit_set(r, fds[i].fd);
        ret++;
      }
      if ((asked & POLLOUT) && (got & SEL_OUT)) {
        bit_set(w, fds[i].fd);
        ret++;
      }
      if ((asked & POLLPRI) && (got & SEL_EX)) {
        bit_set(e, fds[i].fd);
        ret++;
      }
    }
  }
  if (fds != small)
    free(fds);
  return ret;
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
  if (nfds < 0 || !select_any_ours(nfds, r, w, e))
    return REAL(select)(nfds, r, w, e, timeout);
  mynet_time deadline = MYNET_TIME_NEVER;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_usec < 0)
      return (int)shim_result(-EINVAL);
    if (timeout->tv_sec < INT64_MAX / 1000000 - 1)
      deadline = shim_now() + (mynet_time)timeout->tv_sec * 1000000 + timeout->tv_usec;
  }
  int ret = select_mixed(nfds, r, w, e, deadline, NULL);
  /* Linux writes the time left back into the timeval. */
  if (timeout && deadline != MYNET_TIME_NEVER) {
    mynet_time left = deadline - shim_now();
    if (left < 0)
      left = 0;
    timeout->tv_sec = left / 1000000;
    timeout->tv_usec = left % 1000000;
  }
  return (int)shim_result(ret);
}

/* pselect leaves its timeout alone (glibc passes the kernel a copy). */
int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
            const sigset_t *sigmask)
{
  if (nfds < 0 || !select_any_ours(nfds, r, w, e))
    return REAL(pselect)(nfds, r, w, e, timeout, sigmask);
  mynet_time deadline;
  int ret = deadline_ts(timeout, &deadline);
  if (ret == 0)
    ret = select_mixed(nfds, r, w, e, deadline, sigmask);
  return (int)shim_result(ret);
}
