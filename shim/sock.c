/* Stack sockets behind file descriptors: lifetime across dup and close,
 * readiness (eventfd, futex, epoll items) and the one place where a
 * blocking call waits. */
#include "shim.h"

#include "bell.h"
#include "epoll.h"
#include "fdtable.h"
#include "runtime.h"
#include "shared.h"
#include "sock.h"
#include "sockmap.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IN_EVENTS (POLLIN | POLLRDNORM | POLLRDBAND)
#define OUT_EVENTS (POLLOUT | POLLWRNORM | POLLWRBAND)

void shim_sock_ref(struct shim_sock *ss)
{
  ss->refs++;
}

void shim_sock_unref(struct shim_sock *ss)
{
  if (--ss->refs > 0)
    return;
  mynet_sock_unref(ss->s);
  free(ss);
}

int shim_sock_check(const struct shim_sock *ss)
{
  return ss->closed ? -EBADF : 0;
}

/* The word is the stack socket's, in memory other processes may share:
 * a shared (not _PRIVATE) futex operation. */
static void futex_wake_all(const uint32_t *word)
{
  REAL(syscall)(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* The events registered poll/select callers want to hear about. */
static unsigned poll_mask(const struct shim_sock *ss)
{
  if (!ss->pollers)
    return 0;
  unsigned mask = POLLERR | POLLHUP;
  if (ss->poll_in)
    mask |= POLLIN;
  if (ss->poll_out)
    mask |= POLLOUT;
  if (ss->poll_pri)
    mask |= POLLPRI;
  if (ss->poll_rdhup)
    mask |= POLLRDHUP;
  return mask;
}

/* Makes the eventfd readable iff a registered poller has an event, with a
 * system call only on a change. */
static void set_level(struct shim_sock *ss, bool want)
{
  if (want == ss->level || ss->evfd < 0)
    return;
  uint64_t v = 1;
  /* Never blocks: the eventfd is non-blocking, and its count is 0 or 1. */
  ssize_t r = want ? REAL(write)(ss->evfd, &v, sizeof v) : REAL(read)(ss->evfd, &v, sizeof v);
  if (r == (ssize_t)sizeof v || (!want && errno == EAGAIN))
    ss->level = want;
}

/* Brings every kind of waiter up to date with the socket's events. */
/* This process's waiters: poll/select (the eventfd) and epoll items. */
static void refresh(struct shim_sock *ss)
{
  if (ss->closed) {
    set_level(ss, true); /* wake pollers, to see POLLNVAL */
    return;
  }
  unsigned ev = mynet_sock_events(ss->s);
  set_level(ss, (ev & poll_mask(ss)) != 0);
  if (ss->items)
    shim_epoll_sock_changed(ss, ev, mynet_sock_rx_gen(ss->s));
}

/* Threads of any process asleep in a blocking call on s, for what they
 * wait for (the counts are in the socket, in shared memory). */
static void wake_sleepers(mynet_sock *s)
{
  struct mynet_sock_driver *d = mynet_sock_driver(s);
  if (!d->sleep_in && !d->sleep_out)
    return;
  unsigned ev = mynet_sock_events(s);
  uint32_t gen = mynet_sock_rx_gen(s);
  unsigned mask = 0;
  if (d->sleep_in)
    mask |= POLLIN | POLLRDHUP | POLLERR | POLLHUP;
  if (d->sleep_out)
    mask |= POLLOUT | POLLERR | POLLHUP;
  /* A receive that has part of what it waits for (MSG_WAITALL,
   * SO_RCVLOWAT) wakes for any new input, as sk_wait_data does, even
   * below the low-water mark that POLLIN reports. */
  bool more_input = d->sleep_in && gen != d->gen_seen;
  d->gen_seen = gen;
  if ((ev & mask) || more_input)
    futex_wake_all(mynet_sock_wake_word(s));
}

static void bit_put(uint64_t *m, int i, bool on)
{
  if (on)
    m[i / 64] |= UINT64_C(1) << (i % 64);
  else
    m[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static bool bits_any(const uint64_t *m)
{
  for (int i = 0; i < MYNET_MAX_PROCS / 64; i++)
    if (m[i])
      return true;
  return false;
}

/* Another process watches s: queue it for that process to look at. */
static void tell(struct shim_shared *sh, int slot, mynet_sock *s, uint64_t *ring)
{
  struct shim_proc *p = &sh->procs[slot];
  if (p->pid == 0)
    return;
  if (p->q_tail - p->q_head >= SHIM_PROC_QUEUE)
    p->q_overflow = true;
  else
    p->q[p->q_tail++ % SHIM_PROC_QUEUE] = s;
  bit_put(ring, slot, true);
}

/* The next slot at or after *from set in m, but me; -1 if none.  Word by
 * word: this runs for every socket woken, and most words are empty. */
static int next_bit(const uint64_t *m, int *from, int me)
{
  for (int i = *from; i < MYNET_MAX_PROCS;) {
    uint64_t word = m[i / 64] >> (i % 64);
    if (!word) {
      i = (i / 64 + 1) * 64;
      continue;
    }
    i += __builtin_ctzll(word);
    *from = i + 1;
    if (i != me)
      return i;
    i++;
  }
  *from = MYNET_MAX_PROCS;
  return -1;
}

void shim_sock_flush(void)
{
  mynet_stack *st = shim_stack();
  if (!st)
    return;
  struct shim_shared *sh = shim_shared_rec();
  int me = shim_my_slot();
  uint64_t ring[MYNET_MAX_PROCS / 64] = {0};
  mynet_sock *s;
  while ((s = mynet_stack_next_woken(st))) {
    wake_sleepers(s);
    struct shim_sock *ss = shim_sockmap_get(s);
    if (ss)
      refresh(ss);
    const uint64_t *w = mynet_sock_driver(s)->watchers;
    for (int from = 0, i; sh && (i = next_bit(w, &from, me)) >= 0;)
      tell(sh, i, s, ring);
  }
  for (int from = 0, i; sh && (i = next_bit(ring, &from, -1)) >= 0;)
    shim_bell_ring(sh, i);
}

void shim_sock_bell(void)
{
  struct shim_shared *sh = shim_shared_rec();
  int me = shim_my_slot();
  if (!sh || me < 0)
    return;
  struct shim_proc *p = &sh->procs[me];
  bool all = p->q_overflow;
  while (p->q_head != p->q_tail) {
    /* A socket freed since it was queued is not in the map: only the
     * pointer is compared, never followed. */
    struct shim_sock *ss = shim_sockmap_get(p->q[p->q_head++ % SHIM_PROC_QUEUE]);
    if (ss && !all)
      refresh(ss);
  }
  p->q_overflow = false;
  if (!all)
    return;
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++)
    if (f->kind == SHIM_FILE_SOCK)
      refresh((struct shim_sock *)f);
}

/* Whether this process watches the socket (pollers or epoll items): the
 * others queue it for us when its events change. */
void shim_sock_watch_update(struct shim_sock *ss)
{
  int me = shim_my_slot();
  if (ss->closed || me < 0)
    return;
  bit_put(mynet_sock_driver(ss->s)->watchers, me, ss->pollers > 0 || ss->items != NULL);
}

struct shim_sock *shim_sock_lock_control(int fd)
{
  struct shim_file *f = shim_fd_file(fd);
  if (!f || f->kind != SHIM_FILE_BRIDGED)
    return shim_sock_lock(fd);
  if (shim_inside())
    return NULL;
  shim_lock();
  f = shim_fd_file(fd);
  if (!f || f->kind == SHIM_FILE_EPOLL) { /* closed by another thread meanwhile */
    shim_unlock();
    return NULL;
  }
  struct shim_sock *ss = (struct shim_sock *)f;
  shim_sock_ref(ss);
  return ss;
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
  /* Also here, not only for woken sockets: a call that consumed the input
   * may leave waiters' views stale if the stack did not wake it. */
  refresh(ss);
  shim_sock_unref(ss);
  shim_unlock();
  errno = saved;
}

/* Which socket a descriptor is, in the process's record in shared
 * memory, for the program it may exec (shared.h). */
static void record_fd(int fd, const struct shim_sock *ss)
{
  if (ss && shim_sock_bridged(ss))
    return; /* a kernel socket: what a program exec()ed inherits */
  struct shim_shared *sh = shim_shared_rec();
  if (sh && shim_my_slot() >= 0 &&
      shim_proc_fd_set(sh, shim_my_slot(), fd, ss ? ss->evid : 0, ss ? ss->s : NULL) < 0)
    shim_log(MYNET_LOG_WARN,
             "cannot record fd %d as a stack socket: a program exec()ed will not "
             "find it",
             fd);
}

int shim_sock_open(mynet_sock *s, int type, int flags)
{
  /* Always non-blocking: set_level() must never block under the lock.
   * The socket's own O_NONBLOCK lives in shim_sock_nonblock(ss) (fcntl, FIONBIO). */
  int fd = eventfd(0, EFD_NONBLOCK | ((flags & SOCK_CLOEXEC) ? EFD_CLOEXEC : 0));
  if (fd < 0) {
    int r = -errno;
    mynet_close(s);
    return r;
  }
  struct shim_sock *ss = calloc(1, sizeof *ss);
  if (ss) /* before the table sees it: it counts sockets by kind */
    ss->file = (struct shim_file){.kind = SHIM_FILE_SOCK, .nfds = 1};
  int r = ss ? shim_sockmap_put(s, ss) : -ENOMEM;
  if (r == 0) {
    r = shim_fd_attach(fd, &ss->file);
    if (r < 0)
      shim_sockmap_del(s);
  }
  if (r < 0) {
    free(ss);
    REAL(close)(fd);
    mynet_close(s);
    return r;
  }
  mynet_sock_ref(s);
  /* This process holds it: the open file the kernel counts, in shared
   * memory so that another process can let go of it if this one dies. */
  if (shim_my_slot() >= 0)
    bit_put(mynet_sock_driver(s)->holders, shim_my_slot(), true);
  ss->s = s;
  ss->evfd = fd;
  ss->evid = shim_eventfd_id(fd);
  ss->type = type;
  ss->refs = 1; /* the descriptor's */
  mynet_sock_driver(ss->s)->nonblock = (flags & SOCK_NONBLOCK) != 0;
  record_fd(fd, ss);
  return fd;
}

int shim_sock_add_fd(struct shim_sock *ss, int fd)
{
  int r = shim_fd_attach(fd, &ss->file);
  if (r < 0)
    return r;
  record_fd(fd, ss);
  ss->file.nfds++;
  shim_sock_ref(ss);
  if (ss->evfd < 0 && !shim_sock_bridged(ss))
    ss->evfd = fd;
  return 0;
}

/* Another number of ss's, for set_level(), or -1. */
static int other_number(const struct shim_sock *ss)
{
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++)
    if (f == &ss->file)
      return fd;
  return -1;
}

/* A process lets go of s (its last number closed, or the process gone):
 * the socket is closed in the stack when no process holds it any more,
 * as the kernel releases a file with its last reference. */
void shim_sock_let_go(mynet_sock *s, int slot)
{
  struct mynet_sock_driver *d = mynet_sock_driver(s);
  if (slot >= 0) {
    bit_put(d->holders, slot, false);
    bit_put(d->watchers, slot, false);
  }
  if (!bits_any(d->holders))
    mynet_close(s);
  else
    mynet_sock_poke(s); /* this process's threads inside calls look again */
}

/* The last number is gone: the socket leaves every epoll set of this
 * process, and threads still inside a call on it wake up to find EBADF. */
static void release(struct shim_sock *ss)
{
  shim_epoll_sock_closed(ss);
  shim_sockmap_del(ss->s);
  ss->closed = true;
  shim_sock_let_go(ss->s, shim_my_slot()); /* changes the wake word */
  futex_wake_all(mynet_sock_wake_word(ss->s));
}

int shim_sock_drop_fd(struct shim_sock *ss, int fd, bool close_fd)
{
  shim_fd_forget(fd);
  record_fd(fd, NULL);
  ss->file.nfds--;
  if (ss->file.nfds == 0)
    release(ss);
  if (ss->evfd == fd) {
    /* Every number refers to the same eventfd, so its level stands. */
    if (close_fd && ss->closed)
      set_level(ss, true); /* a poll() in progress on it looks again */
    ss->evfd = ss->closed ? -1 : other_number(ss);
  }
  int r = 0;
  if (close_fd && REAL(close)(fd) < 0)
    r = -errno;
  shim_sock_unref(ss); /* the number's reference */
  return r;
}

void shim_sock_interest(struct shim_sock *ss, short events, int delta)
{
  if (events & IN_EVENTS)
    ss->poll_in += delta;
  if (events & OUT_EVENTS)
    ss->poll_out += delta;
  if (events & POLLPRI)
    ss->poll_pri += delta;
  if (events & POLLRDHUP)
    ss->poll_rdhup += delta;
  ss->pollers += delta; /* asking for nothing still waits for POLLERR, POLLHUP */
  if (ss->pollers == (delta > 0 ? 1u : 0u))
    shim_sock_watch_update(ss);
  refresh(ss);
}

short shim_sock_revents(const struct shim_sock *ss, short events)
{
  if (ss->closed)
    return POLLNVAL;
  unsigned ev = mynet_sock_events(ss->s);
  if (ev & POLLIN)
    ev |= POLLRDNORM;
  if (ev & POLLOUT)
    ev |= POLLWRNORM;
  return (short)(ev & ((unsigned short)events | POLLERR | POLLHUP));
}

struct sleeper {
  struct shim_sock *ss;
  bool in, out;
};

static void sleeper_count(struct sleeper *sl, int delta)
{
  if (sl->in)
    mynet_sock_driver(sl->ss->s)->sleep_in += (uint32_t)delta;
  if (sl->out)
    mynet_sock_driver(sl->ss->s)->sleep_out += (uint32_t)delta;
}

/* pthread_cancel() of a thread asleep in a blocking call: the call never
 * returns, so undo what it holds (its sleeper count and its reference);
 * the stack lock is not held while asleep. */
static void sleeper_cancelled(void *arg)
{
  struct sleeper *sl = arg;
  shim_lock();
  sleeper_count(sl, -1);
  shim_sock_unref(sl->ss);
  shim_unlock();
}

/* The futex wait, made a cancellation point as the kernel's blocking
 * socket calls are (a system call made through syscall() is not one). */
static long sleep_on(struct sleeper *sl, uint32_t seen, const struct timespec *tp)
{
  long n;
  int err;
  pthread_cleanup_push(sleeper_cancelled, sl);
  int oldtype;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &oldtype);
  n = REAL(syscall)(SYS_futex, mynet_sock_wake_word(sl->ss->s), FUTEX_WAIT, seen, tp, NULL, 0);
  err = errno;
  pthread_setcanceltype(oldtype, NULL);
  pthread_cleanup_pop(0);
  errno = err;
  return n;
}

int shim_sock_wait(struct shim_sock *ss, unsigned events, mynet_time deadline)
{
  int r = shim_sock_check(ss);
  if (r < 0)
    return r;
  struct sleeper sl = {
      .ss = ss, .in = (events & (IN_EVENTS | POLLRDHUP)) != 0, .out = (events & OUT_EVENTS) != 0};
  sleeper_count(&sl, +1);
  uint32_t seen = __atomic_load_n(mynet_sock_wake_word(ss->s), __ATOMIC_ACQUIRE);
  struct timespec ts, *tp = NULL;
  if (deadline != MYNET_TIME_NEVER) {
    mynet_time left = deadline - shim_now();
    if (left < 0)
      left = 0;
    ts = (struct timespec){.tv_sec = left / 1000000, .tv_nsec = (long)(left % 1000000) * 1000};
    tp = &ts;
  }
  shim_unlock();
  long n = sleep_on(&sl, seen, tp);
  int err = errno;
  shim_lock();
  sleeper_count(&sl, -1);
  r = shim_sock_check(ss);
  if (r < 0)
    return r;
  if (n < 0 && err == EINTR)
    return -EINTR;
  if (deadline != MYNET_TIME_NEVER && shim_now() >= deadline)
    return -ETIMEDOUT;
  return 0; /* woken, EAGAIN (changed before we slept) or a spurious wake */
}

void shim_sock_release_all(void)
{
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++) {
    if (f->kind == SHIM_FILE_EPOLL)
      continue;
    struct shim_sock *ss = (struct shim_sock *)f;
    if (ss->closed)
      continue;
    release(ss);
    refresh(ss);
  }
}

/* Every socket this process has open, once each (several numbers may
 * share one). */
static void each_open_sock(void (*fn)(struct shim_sock *ss, int arg), int arg)
{
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++) {
    if (f->kind == SHIM_FILE_EPOLL)
      continue;
    struct shim_sock *ss = (struct shim_sock *)f;
    /* Once each: at the number its level is kept on, or for a bridged
     * one (which has none), its lowest. */
    int first = shim_sock_bridged(ss) ? other_number(ss) : ss->evfd;
    if (!ss->closed && first == fd)
      fn(ss, arg);
  }
}

static void hand_to_child(struct shim_sock *ss, int slot)
{
  struct mynet_sock_driver *d = mynet_sock_driver(ss->s);
  mynet_sock_ref(ss->s); /* the child's copy of ss */
  bit_put(d->holders, slot, true);
  if (ss->items) /* its copies of the epoll sets watch it too */
    bit_put(d->watchers, slot, true);
}

void shim_sock_fork_prepare(int child_slot)
{
  each_open_sock(hand_to_child, child_slot);
  /* The child has the same descriptors. */
  struct shim_shared *sh = shim_shared_rec();
  if (shim_proc_fd_copy(sh, shim_my_slot(), child_slot) < 0)
    shim_log(MYNET_LOG_WARN, "cannot record the child's sockets: a program it exec()s will not "
                             "find them");
  sh->procs[child_slot].tap_fd = sh->procs[shim_my_slot()].tap_fd;
}

static void take_back(struct shim_sock *ss, int slot)
{
  struct mynet_sock_driver *d = mynet_sock_driver(ss->s);
  bit_put(d->holders, slot, false);
  bit_put(d->watchers, slot, false);
  mynet_sock_unref(ss->s);
}

void shim_sock_fork_failed(int child_slot)
{
  each_open_sock(take_back, child_slot);
}

/* The child's own eventfd under each of the socket's numbers: the one
 * inherited is the same file as the parent's, and the two processes'
 * pollers would read each other's levels. */
static void own_eventfd(struct shim_sock *ss, int unused)
{
  if (shim_sock_bridged(ss))
    return; /* the kernel socket is shared, as the kernel shares it */
  int fresh = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ss->level = false;
  ss->pollers = ss->poll_in = ss->poll_out = ss->poll_pri = ss->poll_rdhup = 0;
  if (fresh < 0)
    return; /* the inherited one still serves, shared */
  ss->evid = shim_eventfd_id(fresh);
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++) {
    if (f != &ss->file)
      continue;
    int cloexec = REAL(fcntl)(fd, F_GETFD) & FD_CLOEXEC;
    REAL(dup3)(fresh, fd, cloexec ? O_CLOEXEC : 0);
    /* In place: the parent copied this process's records at fork. */
    record_fd(fd, ss);
  }
  REAL(close)(fresh);
}

void shim_sock_fork_child(void)
{
  each_open_sock(own_eventfd, 0);
}

static bool is_eventfd(int fd)
{
  static const char want[] = "anon_inode:[eventfd]";
  char path[64], link[sizeof want];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return readlink(path, link, sizeof link) == sizeof want - 1 &&
         memcmp(link, want, sizeof want - 1) == 0;
}

/* The recorded socket an inherited eventfd is: by its id, under whatever
 * number it has now; by its number only where the kernel gives no id. */
static mynet_sock *record_for(const struct shim_fdrec *recs, uint32_t cap, int fd, uint32_t evid)
{
  for (uint32_t i = 0; i < cap; i++) {
    if (recs[i].fd < 0)
      continue;
    if (evid ? recs[i].evid == evid : recs[i].fd == fd)
      return recs[i].s;
  }
  return NULL;
}

/* After exec: the program's inherited descriptors that the record of its
 * process (or, after posix_spawn, of its parent) names as stack sockets
 * become sockets again, each socket one wrapper with all its numbers (they
 * share one eventfd, as dup made them).  fresh: a process new to the
 * stack (the spawned child), which takes a hold of its own; otherwise
 * the holds and references of the image exec replaced carry over, and
 * sockets whose every number was close-on-exec are let go of. */
void shim_sock_adopt(struct shim_shared *sh, int from_slot, bool fresh)
{
  int me = shim_my_slot();
  struct shim_proc *src = &sh->procs[from_slot];
  struct shim_fdrec *recs = src->fds;
  uint32_t cap = src->fd_cap;
  if (!fresh) { /* this process's own record: rebuilt from what survived */
    src->fds = NULL;
    src->fd_cap = src->fd_used = 0;
  }
  DIR *d = opendir("/proc/self/fd");
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) || !is_eventfd(fd))
      continue;
    uint32_t evid = shim_eventfd_id(fd);
    mynet_sock *s = record_for(recs, cap, fd, evid);
    if (!s)
      continue;
    struct shim_sock *ss = shim_sockmap_get(s);
    if (ss) { /* another number of a socket already taken up */
      shim_sock_add_fd(ss, fd);
      continue;
    }
    ss = calloc(1, sizeof *ss);
    if (!ss)
      continue;
    ss->file = (struct shim_file){.kind = SHIM_FILE_SOCK, .nfds = 1};
    ss->s = s;
    ss->evfd = fd;
    ss->evid = evid;
    ss->type = mynet_sock_type(s);
    ss->refs = 1;
    if (shim_sockmap_put(s, ss) < 0 || shim_fd_attach(fd, &ss->file) < 0) {
      shim_sockmap_del(s);
      free(ss);
      continue;
    }
    uint64_t v;
    while (REAL(read)(fd, &v, sizeof v) > 0) /* no poller of the old image is left */
      ;
    if (fresh) {
      mynet_sock_ref(s);
      bit_put(mynet_sock_driver(s)->holders, me, true);
    }
    record_fd(fd, ss);
  }
  if (d)
    closedir(d);
  if (fresh)
    return;
  /* The replaced image's holds on sockets none of whose numbers survived. */
  for (uint32_t i = 0; i < cap; i++) {
    mynet_sock *s = recs[i].s;
    if (recs[i].fd < 0 || shim_sockmap_get(s) ||
        !((mynet_sock_driver(s)->holders[me / 64] >> (me % 64)) & 1))
      continue;
    mynet_sock_ref(s);
    shim_sock_let_go(s, me);
    mynet_sock_unref(s);
    mynet_sock_unref(s); /* the replaced image's wrapper's */
  }
  mynet_region_free(shim_shared_region(), recs);
}

void shim_sock_bridge(struct shim_sock *ss, int kfd)
{
  ss->file.kind = SHIM_FILE_BRIDGED;
  ss->evfd = -1;
  ss->level = false;
  struct shim_file *f;
  for (int fd = 0; (f = shim_fd_next_file(&fd)) != NULL; fd++) {
    if (f != &ss->file)
      continue;
    int cloexec = REAL(fcntl)(fd, F_GETFD) & FD_CLOEXEC;
    /* Entered again, so that the table counts it under its new kind. */
    shim_fd_forget(fd);
    REAL(dup3)(kfd, fd, cloexec ? O_CLOEXEC : 0);
    shim_fd_attach(fd, &ss->file);
    struct shim_shared *sh = shim_shared_rec();
    if (sh && shim_my_slot() >= 0)
      shim_proc_fd_set(sh, shim_my_slot(), fd, 0, NULL);
  }
  shim_sock_watch_update(ss);
}
