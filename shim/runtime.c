/* The runtime: one stack per process, started on the first AF_INET
 * socket() so that a process which never opens one never touches the TAP.
 *
 * Threads: the program's threads call into the stack under the stack lock
 * and run whatever is due inline (loopback traffic, expired timers) before
 * letting go of it.  One driver thread, started with the stack, sleeps in
 * poll() on the stack's rx fds and an eventfd, until the stack's deadline,
 * and polls the stack when either fires: an idle process uses no CPU, and
 * a thread that moves the deadline earlier wakes it through the eventfd. */
#include "shim.h"

#include "bell.h"
#include "bridge.h"
#include "fdtable.h"
#include "rendezvous.h"
#include "runtime.h"
#include "shared.h"
#include "sock.h"

#include <dirent.h>
#include <fcntl.h>
#include <mynet/config.h>
#include <mynet/stack.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define MAX_RX_FDS 8
#define PCAP_SNAPLEN 65535

enum { RT_IDLE, RT_RUNNING, RT_FAILED };

static struct {
  /* The lock before the stack exists (starting it, epoll_create...);
   * once it runs, the stack lock in its shared region (shared.h). */
  pthread_mutex_t lock;
  struct shim_shared *shared;
  int memfd;
  int slot;         /* this process's in the shared process table */
  int listener;     /* where later programs on the TAP find the stack */
  int fail_errno;   /* what socket() answers when the stack cannot start */
  bool need_driver; /* a forked child: its driver thread starts on first use */
  pthread_once_t config_once;
  struct mynet_config cfg;
  int config_rc;
  char err[MYNET_PATH_MAX + 256]; /* why the stack could not start */
  int state;                      /* RT_*, read without the lock */
  int reported;                   /* err has been printed */
  mynet_stack *st;
  mynet_port *ports[1]; /* this process's device for the TAP, if any */
  int nports;
  int wakefd;       /* the driver's wake-up (an eventfd) */
  mynet_time armed; /* the time the driver sleeps until */
  int log_fd;
  int pcap_fd;
  char who[64];        /* "pid N name": which process captured a frame */
  int64_t unix_offset; /* realtime - monotonic, in us, for pcap stamps */
  pid_t pid;           /* the process that started the stack */
} rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .config_once = PTHREAD_ONCE_INIT,
    .wakefd = -1,
    .memfd = -1,
    .slot = -1,
    .listener = -1,
    .fail_errno = EAFNOSUPPORT,
    .armed = MYNET_TIME_NEVER,
    .log_fd = STDERR_FILENO,
    .pcap_fd = -1,
};

static __thread bool inside SHIM_TLS;
/* Which locks this thread holds: the private one alone (before the stack
 * runs), or the private one and then the shared one. */
static __thread bool holds_shared SHIM_TLS;
static __thread bool holds_private SHIM_TLS;
/* The process is exiting: threads other than the one that ends it never
 * enter the stack again (a thread killed by the exit while inside would
 * leave the others a stack in the middle of a change). */
static bool exiting;
static __thread bool is_exiter SHIM_TLS;
/* The program's cancellation state, kept while the lock is held. */
static __thread int cancel_state SHIM_TLS;

mynet_time shim_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (mynet_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

mynet_time shim_deadline_after(mynet_time timeout)
{
  if (timeout == 0)
    return MYNET_TIME_NEVER;
  return timeout < 0 ? 0 : shim_now() + timeout;
}

bool shim_inside(void)
{
  return inside;
}

mynet_stack *shim_stack(void)
{
  return rt.st;
}

int shim_my_slot(void)
{
  return rt.slot;
}

struct shim_shared *shim_shared_rec(void)
{
  return rt.shared;
}

/* A fork() child has been through atfork_child() and is no longer
 * RT_RUNNING; a vfork() child runs no atfork handler and sees our memory. */
bool shim_in_vfork_child(void)
{
  return __atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) == RT_RUNNING && getpid() != rt.pid;
}

/* --- output ------------------------------------------------------------ */

/* One write per line so that lines from several threads or processes
 * sharing the file do not interleave; the real writev, never ours.  Each
 * line names its process: with a shared stack, the process that held the
 * lock is the one that handled what the stack logged. */
static void log_line(int fd, const char *msg)
{
  char tag[32];
  int n = snprintf(tag, sizeof tag, "mynet[%d]: ", (int)getpid());
  struct iovec iov[3] = {
      {.iov_base = tag, .iov_len = (size_t)n},
      {.iov_base = (void *)msg, .iov_len = strlen(msg)},
      {.iov_base = (void *)"\n", .iov_len = 1},
  };
  int saved = errno;
  ssize_t r = REAL(writev)(fd, iov, 3);
  (void)r; /* nowhere left to report a failing log */
  errno = saved;
}

/* What the stack logged during this hold of the lock (it keeps messages
 * in a buffer of its own rather than calling out). */
static void drain_stack_log(void)
{
  char msg[4608];
  while (mynet_stack_take_log(rt.st, NULL, msg, sizeof msg) > 0)
    log_line(rt.log_fd, msg);
}

void shim_log(int level, const char *fmt, ...)
{
  if (level > rt.cfg.log_level)
    return;
  char msg[4608];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  log_line(rt.log_fd, msg);
}

/* Each frame is one block in one write to a file opened O_APPEND, so the
 * processes of a stack capturing to one file interleave whole blocks. */
static void hook_frame(void *ctx, int dir, const uint8_t *frame, size_t len, mynet_time now)
{
  (void)ctx;
  uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN], tail[MYNET_PCAPNG_PKT_TAIL_MAX];
  uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
  size_t n =
      mynet_pcapng_packet(head, tail, now + rt.unix_offset, caplen, (uint32_t)len, dir, rt.who);
  struct iovec iov[3] = {{.iov_base = head, .iov_len = sizeof head},
                         {.iov_base = (void *)frame, .iov_len = caplen},
                         {.iov_base = tail, .iov_len = n}};
  int saved = errno;
  if (REAL(writev)(rt.pcap_fd, iov, 3) < 0 && errno != EINTR) {
    shim_log(MYNET_LOG_ERROR, "MYNET_PCAP: write failed: %s; capture stopped", strerror(errno));
    rt.pcap_fd = -1;
  }
  errno = saved;
}

/* This process as captures name it; again after fork and exec. */
static void name_process(void)
{
  char comm[32] = "";
  int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = REAL(read)(fd, comm, sizeof comm - 1);
    comm[n > 0 ? n : 0] = 0;
    comm[strcspn(comm, "\n")] = 0;
    REAL(close)(fd);
  }
  snprintf(rt.who, sizeof rt.who, "pid %d %s", (int)getpid(), comm);
}

/* The process that makes a stack starts its capture file; one that joins
 * the stack or is exec()ed in it appends, writing the file header only to
 * a file still empty (its own MYNET_PCAP, another path).  Returns the fd
 * or -errno. */
static int open_capture(bool start)
{
  int fd =
      open(rt.cfg.pcap, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (start ? O_TRUNC : 0), 0644);
  if (fd < 0)
    return -errno;
  struct stat sb;
  if (fstat(fd, &sb) == 0 && sb.st_size == 0) {
    uint8_t hdr[MYNET_PCAPNG_FILE_HDR_MAX];
    size_t n = mynet_pcapng_file_header(hdr, rt.cfg.tap[0] ? rt.cfg.tap : NULL, PCAP_SNAPLEN);
    if (REAL(write)(fd, hdr, n) != (ssize_t)n) {
      int err = errno ? errno : EIO;
      REAL(close)(fd);
      return -err;
    }
  }
  name_process();
  return shim_fd_internalize(fd);
}

/* --- the stack lock ---------------------------------------------------- */

/* The driver sleeps in poll() until the time it was last told (armed);
 * a deadline earlier than that wakes it through its eventfd (a write,
 * which even a seccomp sandbox allows, where timerfd_settime is not). */
static void arm_timer(mynet_time deadline)
{
  if (deadline >= rt.armed)
    return;
  rt.armed = deadline;
  uint64_t one = 1;
  ssize_t r = REAL(write)(rt.wakefd, &one, sizeof one);
  (void)r; /* a full counter wakes it as well */
}

/* Runs what is due now (loopback deliveries, timers) and has the driver
 * wake for the rest.  The bound keeps a stack that is always due from
 * holding the lock forever: the driver thread picks up from there. */
static mynet_time deadline(void)
{
  mynet_time d = mynet_stack_deadline(rt.st);
  for (int i = 0; i < rt.nports; i++) {
    mynet_time p = mynet_port_deadline(rt.ports[i]);
    if (p < d)
      d = p;
  }
  return d;
}

static void drive_due(void)
{
  /* What the calls under the lock queued goes out now. */
  mynet_stack_flush(rt.st, rt.ports, rt.nports);
  for (int i = 0; i < 16; i++) {
    mynet_time now = shim_now();
    mynet_time d = deadline();
    if (d > now) {
      arm_timer(d);
      return;
    }
    mynet_stack_poll(rt.st, rt.ports, rt.nports, now);
  }
  arm_timer(deadline());
}

static int start_driver(void);

/* Nothing under the lock may be a cancellation point: a thread cancelled
 * in a write() to an eventfd or the log would exit holding the lock and
 * every other thread would hang.  Threads are cancelled while they wait,
 * with the lock dropped (shim_sock_wait and the poll family). */
void shim_lock(void)
{
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  /* This process's threads pass its private lock first, and the exit
   * check, and only then take the shared one.  Were the check made with
   * the shared lock held, a thread that had waited for it while the
   * exiting thread left the stack would hold it, just for the check, as
   * exit_group() ended the process: the other processes would find the
   * lock's owner dead for nothing. */
  pthread_mutex_lock(&rt.lock);
  if (__builtin_expect(__atomic_load_n(&exiting, __ATOMIC_ACQUIRE), 0) && !is_exiter) {
    pthread_mutex_unlock(&rt.lock);
    for (;;)
      pause(); /* until the exit takes the thread */
  }
  struct shim_shared *sh = __atomic_load_n(&rt.shared, __ATOMIC_ACQUIRE);
  if (sh)
    shim_shared_lock(sh);
  holds_private = true;
  holds_shared = sh != NULL;
  inside = true;
  if (rt.st)
    mynet_stack_set_now(rt.st, shim_now());
  if (__builtin_expect(rt.need_driver, 0)) {
    rt.need_driver = false;
    int r = start_driver();
    if (r < 0)
      shim_log(MYNET_LOG_ERROR, "cannot start the driver thread in pid %d: %s", (int)getpid(),
               strerror(-r));
  }
}

void shim_unlock(void)
{
  int saved = errno;
  if (rt.st) {
    drive_due();
    drain_stack_log();
  }
  shim_sock_flush();
  inside = false;
  if (holds_shared)
    shim_shared_unlock(rt.shared);
  if (holds_private)
    pthread_mutex_unlock(&rt.lock);
  holds_shared = holds_private = false;
  pthread_setcancelstate(cancel_state, NULL);
  errno = saved;
}

/* --- the driver thread ------------------------------------------------- */

/* Other processes attached to the stack (read without the lock: a hint
 * for how long the driver may sleep). */
static bool others_attached(void)
{
  return __atomic_load_n(&rt.shared->nprocs, __ATOMIC_RELAXED) > 1;
}

/* Under the lock: a process that is gone (killed, or ended without
 * running our exit code) lets go of what it held, as the kernel closes a
 * dead process's descriptors: a socket nobody else holds is closed (FIN,
 * or RST with unread data). */
static void reap_dead(void)
{
  struct shim_shared *sh = rt.shared;
  for (int slot = 0; slot < SHIM_MAX_PROCS; slot++) {
    struct shim_proc *p = &sh->procs[slot];
    if (slot == rt.slot || p->pid <= 0 || shim_proc_alive(p->pid, p->start_time))
      continue;
    int held = 0;
    for (mynet_sock *s = mynet_stack_next_sock(rt.st, NULL), *next; s; s = next) {
      next = mynet_stack_next_sock(rt.st, s);
      struct mynet_sock_driver *d = mynet_sock_driver(s);
      if ((d->holders[slot / 64] >> (slot % 64)) & 1) {
        held++;
        /* Another reference keeps s while it is let go of: closing it may
         * free it, and next may be freed with it only after. */
        mynet_sock_ref(s);
        shim_sock_let_go(s, slot);
        next = mynet_stack_next_sock(rt.st, s);
        mynet_sock_unref(s); /* ours */
        mynet_sock_unref(s); /* the dead process's wrapper's */
      } else {
        d->watchers[slot / 64] &= ~(UINT64_C(1) << (slot % 64));
      }
    }
    shim_log(MYNET_LOG_INFO, "process %d of the stack is gone; let go of its %d sockets",
             (int)p->pid, held);
    shim_shared_free_slot(sh, slot);
  }
}

static void *driver_main(void *arg)
{
  struct pollfd pfd[MAX_RX_FDS + 2];
  int n = 0;
  for (int i = 0; i < rt.nports; i++)
    pfd[n++] = (struct pollfd){.fd = mynet_port_fd(rt.ports[i]), .events = POLLIN};
  int wake = n;
  pfd[n++] = (struct pollfd){.fd = rt.wakefd, .events = POLLIN};
  int listener = n;
  pfd[n++] = (struct pollfd){.fd = rt.listener, .events = POLLIN};
  mynet_time next_reap = 0;

  shim_lock();
  for (;;) {
    /* Sleep until the stack's next deadline; with other processes on the
     * stack, wake every second too, to look for dead ones (their sockets
     * are let go of within about that). */
    bool shared = others_attached();
    mynet_time now = shim_now(), d = deadline();
    rt.armed = d;
    mynet_time cap = shared ? MYNET_SEC(1) : MYNET_TIME_NEVER;
    mynet_time wait = d == MYNET_TIME_NEVER ? cap : d > now ? d - now : 0;
    if (wait > cap)
      wait = cap;
    int timeout = wait == MYNET_TIME_NEVER ? -1 : (int)((wait + 999) / 1000);
    shim_unlock();
    if (REAL(poll)(pfd, (nfds_t)n, timeout) < 0)
      pfd[wake].revents = 0; /* EINTR cannot happen (signals blocked); ENOMEM: retry */
    shim_lock();
    if (pfd[wake].revents & POLLIN) {
      uint64_t v;
      if (REAL(read)(rt.wakefd, &v, sizeof v) < 0)
        v = 0;
    }
    shim_sock_bell(); /* sockets other processes queued for this one */
    if (pfd[listener].revents & POLLIN)
      shim_rv_serve(rt.listener, rt.memfd, rt.shared->owner_uid, rt.cfg.tap);
    if (shared && shim_now() >= next_reap) {
      reap_dead();
      next_reap = shim_now() + MYNET_SEC(1);
    }
    for (int i = 0; i < wake; i++) {
      /* A TAP whose interface was deleted reports POLLHUP/POLLERR for
       * ever: stop watching it rather than spin. */
      if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
        shim_log(MYNET_LOG_ERROR, "device fd %d failed (revents 0x%x); no longer receiving",
                 pfd[i].fd, (unsigned)pfd[i].revents);
        pfd[i].fd = -1;
      }
    }
    mynet_stack_poll(rt.st, rt.ports, rt.nports, shim_now());
  }
  return NULL;
}

/* The library's threads must not take the program's signals: a
 * process-directed signal has to interrupt the program's own blocking
 * calls, so they start with every signal blocked. */
int shim_start_thread(void *(*fn)(void *), void *arg, size_t stack)
{
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, stack);
  int r = pthread_create(&thread, &attr, fn, arg);
  /* glibc carves the program's static thread-local storage out of the
   * stack asked for; a program with more than that gets EINVAL.  The
   * default size is what its own threads get, so it fits. */
  if (r == EINVAL) {
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&thread, &attr, fn, arg);
  }
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return -r;
}

static int start_driver(void)
{
  return shim_start_thread(driver_main, NULL, 256 * 1024);
}

/* --- start ------------------------------------------------------------- */

/* The configuration is read in the constructor, before the program can
 * change its environment, or on the first socket() if another library's
 * constructor gets there first. */
static void load_config(void)
{
  static char *empty[] = {NULL};
  mynet_config_defaults(&rt.cfg);
  rt.config_rc = mynet_config_from_env(&rt.cfg, environ ? environ : empty, rt.err, sizeof rt.err);
}

static uint64_t random_seed(void)
{
  uint64_t seed;
  if (getrandom(&seed, sizeof seed, 0) == (ssize_t)sizeof seed)
    return seed;
  /* No getrandom (old kernel, seccomp): still different per process. */
  return (uint64_t)shim_now() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
}

static int open_internal(const char *path, int flags)
{
  int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  return fd < 0 ? -errno : shim_fd_internalize(fd);
}

static void close_internal(int *fd)
{
  if (*fd > STDERR_FILENO) {
    shim_fd_forget(*fd);
    REAL(close)(*fd);
  }
  *fd = -1;
}

static int start_failed(void)
{
  close_internal(&rt.wakefd);
  close_internal(&rt.pcap_fd);
  close_internal(&rt.log_fd);
  rt.log_fd = STDERR_FILENO;
  for (int i = 0; i < rt.nports; i++) {
    shim_fd_forget(mynet_port_fd(rt.ports[i]));
    mynet_port_close(rt.ports[i]);
  }
  rt.nports = 0;
  if (rt.st) {
    mynet_stack_free(rt.st);
    rt.st = NULL;
  }
  __atomic_store_n(&rt.state, RT_FAILED, __ATOMIC_RELEASE);
  return -rt.fail_errno;
}

/* Under the lock. */
static int start_locked(void)
{
  pthread_once(&rt.config_once, load_config);
  if (rt.config_rc < 0)
    return start_failed();

  if (rt.cfg.log_file[0]) {
    int fd = open_internal(rt.cfg.log_file, O_APPEND);
    if (fd < 0) {
      snprintf(rt.err, sizeof rt.err, "MYNET_LOG_FILE: cannot open '%s': %s", rt.cfg.log_file,
               strerror(-fd));
      return start_failed();
    }
    rt.log_fd = fd;
  }

  mynet_time now = shim_now();
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  rt.unix_offset = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000 - now;

  /* The TAP's stack, if another program made it; else a new one, which
   * programs started later find (rendezvous.h). */
  struct shim_shared *sh;
  int memfd = -1, r = 0;
  uint64_t key;
  bool named = rt.cfg.tap[0] && shim_rv_key(rt.cfg.tap, &key) == 0;
  int creating = named ? shim_rv_lock(key) : -1;
  if (named)
    r = shim_rv_find(key, &memfd, rt.err, sizeof rt.err);
  if (r < 0) { /* refused: never a stack of its own on the same TAP */
    shim_rv_unlock(creating);
    rt.fail_errno = EACCES;
    return start_failed();
  }
  bool join = r == 1;
  if (join) {
    r = shim_shared_attach(memfd, &sh);
    if (r < 0) {
      shim_rv_unlock(creating);
      snprintf(rt.err, sizeof rt.err, "cannot map the stack on TAP %s: %s", rt.cfg.tap,
               strerror(-r));
      return start_failed();
    }
    memfd = shim_fd_internalize(memfd);
    shim_shared_keep_across_exec(memfd);
    rt.memfd = memfd;
    rt.st = sh->st;
    /* Joined: the stack is live, so this thread takes its lock now. */
    shim_shared_lock(sh);
    holds_shared = true;
  } else {
    r = shim_shared_create(rt.cfg.mem, &sh, &memfd, rt.err, sizeof rt.err);
    if (r < 0) {
      shim_rv_unlock(creating);
      return start_failed();
    }
    rt.memfd = memfd;
    struct mynet_stack_params params = {
        .seed = random_seed(),
        .now = now,
        .fd_floor = shim_fd_internal_floor(),
        .log_level = rt.cfg.log_level,
        .region = shim_shared_region(),
    };
    r = mynet_stack_new(&params, &rt.st);
    if (r < 0) {
      rt.st = NULL;
      shim_rv_unlock(creating);
      snprintf(rt.err, sizeof rt.err, "cannot create the stack: %s", strerror(-r));
      return start_failed();
    }
    if (mynet_stack_configure(rt.st, &rt.cfg, rt.err, sizeof rt.err) < 0) {
      shim_rv_unlock(creating);
      return start_failed();
    }
  }
  /* Before newcomers can find the stack, so that none appends to the
   * file before this process has started it. */
  if (rt.cfg.pcap[0]) {
    int fd = open_capture(!join);
    if (fd < 0) {
      shim_rv_unlock(creating);
      snprintf(rt.err, sizeof rt.err, "MYNET_PCAP: cannot write '%s': %s", rt.cfg.pcap,
               strerror(-fd));
      return start_failed();
    }
    rt.pcap_fd = fd;
  }
  if (named)
    rt.listener = shim_rv_listen(key);
  shim_rv_unlock(creating);

  if (rt.cfg.tap[0]) {
    if (mynet_port_open(rt.st, &rt.cfg, &rt.ports[0], rt.err, sizeof rt.err) < 0)
      return start_failed();
    rt.nports = 1;
    shim_fd_mark_internal(mynet_port_fd(rt.ports[0]));
    /* A program exec()ed with inherited sockets takes it up again
     * (take_up_stack). */
    shim_shared_keep_across_exec(mynet_port_fd(rt.ports[0]));
    if (rt.pcap_fd >= 0)
      mynet_port_set_frame_hook(rt.ports[0], hook_frame, NULL);
  }

  int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  wfd = wfd < 0 ? -errno : shim_fd_internalize(wfd);
  if (wfd < 0) {
    snprintf(rt.err, sizeof rt.err, "eventfd: %s", strerror(-wfd));
    return start_failed();
  }
  rt.wakefd = wfd;
  if (!join) {
    sh->st = rt.st;
    sh->id = random_seed();
  }
  rt.slot = shim_shared_take_slot(sh, getpid());
  if (rt.slot < 0) {
    snprintf(rt.err, sizeof rt.err, "the stack on TAP %s has %d processes already", rt.cfg.tap,
             SHIM_MAX_PROCS);
    return start_failed();
  }
  sh->procs[rt.slot].tap_fd = rt.nports ? mynet_port_fd(rt.ports[0]) : -1;
  r = shim_bell_start(sh, rt.slot, rt.wakefd);
  if (r < 0) {
    snprintf(rt.err, sizeof rt.err, "cannot start the doorbell thread: %s", strerror(-r));
    return start_failed();
  }
  r = start_driver();
  if (r < 0) {
    snprintf(rt.err, sizeof rt.err, "cannot start the driver thread: %s", strerror(-r));
    return start_failed();
  }
  /* From now on the stack lock is the shared one.  This thread takes it
   * too (it still holds the private one, which others wait on and then
   * leave for the shared one), so that nobody enters the stack before this
   * thread has left it. */
  if (!holds_shared) {
    shim_shared_lock(sh);
    holds_shared = true;
  }
  __atomic_store_n(&rt.shared, sh, __ATOMIC_RELEASE);
  rt.pid = getpid();
  __atomic_store_n(&rt.state, RT_RUNNING, __ATOMIC_RELEASE);
  shim_log(MYNET_LOG_INFO, "%s the stack on %s (pid %d)", join ? "joined" : "started",
           rt.cfg.tap[0] ? rt.cfg.tap : "loopback", (int)rt.pid);
  return 0;
}

/* On a bad configuration or device every AF_INET socket() fails with
 * EAFNOSUPPORT ("address family not supported"), the kernel's answer when
 * IPv4 is absent, after one line on stderr naming the problem.  Falling
 * back to the kernel's stack instead would hide the error and send the
 * program's traffic where the user did not ask. */
int shim_start(void)
{
  int state = __atomic_load_n(&rt.state, __ATOMIC_ACQUIRE);
  if (state == RT_IDLE) {
    shim_lock();
    if (rt.state == RT_IDLE)
      start_locked();
    shim_unlock();
    state = __atomic_load_n(&rt.state, __ATOMIC_ACQUIRE);
  }
  if (state == RT_RUNNING)
    return 0;
  if (!__atomic_exchange_n(&rt.reported, 1, __ATOMIC_ACQ_REL))
    log_line(STDERR_FILENO, rt.err);
  return -rt.fail_errno;
}

/* --- fork and exit ----------------------------------------------------- */

/* fork(): the child shares the stack and every socket, as on the kernel.
 * The handlers run inside libc's fork, under the stack lock (so the
 * library's private state is not copied in the middle of a change):
 * the parent takes a process slot for the child and gives it a hold on
 * each socket; the child takes the slot, its own timer, doorbell and
 * eventfds, and starts its driver thread on first use; fork() below
 * learns the child's pid, or undoes all that if there is no child. */
static int fork_slot = -1; /* the child's, between prepare and fork's return */

static void atfork_prepare(void)
{
  shim_lock();
  fork_slot = -1;
  if (rt.state != RT_RUNNING || !rt.shared)
    return;
  fork_slot = shim_shared_take_slot(rt.shared, -1);
  if (fork_slot >= 0)
    shim_sock_fork_prepare(fork_slot);
}

static void atfork_parent(void)
{
  shim_unlock();
}

/* Forgets an internal descriptor inherited from the parent (the same
 * file as the parent's: the child needs its own). */
static void drop_inherited(int *fd)
{
  if (*fd >= 0) {
    shim_fd_forget(*fd);
    REAL(close)(*fd);
  }
  *fd = -1;
}

static void atfork_child(void)
{
  /* The parent's thread holds the stack lock and lets go of it in the
   * parent; this thread's copy of the lock state is not its own. */
  inside = false;
  holds_shared = holds_private = false;
  pthread_setcancelstate(cancel_state, NULL);
  pthread_mutex_init(&rt.lock, NULL);
  if (rt.state != RT_RUNNING)
    return;
  rt.pid = getpid();
  if (fork_slot < 0) { /* the process table is full */
    rt.st = NULL;
    __atomic_store_n(&rt.shared, NULL, __ATOMIC_RELEASE);
    snprintf(rt.err, sizeof rt.err,
             "the stack has %d processes already; this child (pid %d) cannot use it",
             SHIM_MAX_PROCS, (int)rt.pid);
    rt.reported = 0;
    rt.state = RT_FAILED;
    return;
  }
  rt.slot = fork_slot;
  name_process();
  struct shim_proc *me = &rt.shared->procs[rt.slot];
  __atomic_store_n(&me->pid, (int32_t)rt.pid, __ATOMIC_RELAXED);
  me->start_time = shim_proc_start_time(rt.pid);
  drop_inherited(&rt.wakefd);
  drop_inherited(&rt.listener); /* the parent answers newcomers */
  int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  rt.wakefd = wfd < 0 ? -1 : shim_fd_internalize(wfd);
  rt.armed = MYNET_TIME_NEVER;
  shim_sock_fork_child();
  if (shim_bell_start(rt.shared, rt.slot, rt.wakefd) < 0)
    shim_log(MYNET_LOG_ERROR, "cannot start the doorbell thread in pid %d", (int)rt.pid);
  /* Now, not on first use: a child may confine itself right after fork
   * (sshd's privilege-separated child installs a seccomp filter that kills
   * it for clone). */
  int r = start_driver();
  if (r < 0)
    shim_log(MYNET_LOG_ERROR, "cannot start the driver thread in pid %d: %s", (int)rt.pid,
             strerror(-r));
}

pid_t fork(void)
{
  pid_t pid = REAL(fork)();
  if (pid == 0 || fork_slot < 0)
    return pid;
  int err = errno;
  shim_lock();
  if (pid > 0) {
    struct shim_proc *child = &rt.shared->procs[fork_slot];
    __atomic_store_n(&child->pid, (int32_t)pid, __ATOMIC_RELAXED);
    child->start_time = shim_proc_start_time(pid);
  } else {
    shim_sock_fork_failed(fork_slot);
    shim_shared_free_slot(rt.shared, fork_slot);
  }
  fork_slot = -1;
  shim_unlock();
  errno = err;
  return pid;
}

/* posix_spawn runs no fork handlers, and returns once the child has
 * exec()ed: the parent may then close the sockets the child inherited
 * before the child has taken them up.  So, as fork does, the parent makes
 * the child a holder of every socket first (its program lets go of those
 * that did not survive the exec), and keeps the stack lock until the
 * child's pid is in its slot, which the child's take-up waits for. */
static int spawn(bool search, pid_t *pid, const char *path,
                 const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[])
{
  int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
              char *const[], char *const[]) = search ? REAL(posix_spawnp) : REAL(posix_spawn);
  if (__atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) != RT_RUNNING || shim_inside() ||
      shim_in_vfork_child())
    return real(pid, path, actions, attr, argv, envp);
  shim_lock();
  int slot = rt.shared ? shim_shared_take_slot(rt.shared, -1) : -1;
  if (slot >= 0)
    shim_sock_fork_prepare(slot);
  pid_t child = -1;
  int r = real(&child, path, actions, attr, argv, envp);
  if (slot >= 0 && r == 0) {
    struct shim_proc *p = &rt.shared->procs[slot];
    __atomic_store_n(&p->pid, (int32_t)child, __ATOMIC_RELAXED);
    p->start_time = shim_proc_start_time(child);
  } else if (slot >= 0) {
    shim_sock_fork_failed(slot);
    shim_shared_free_slot(rt.shared, slot);
  }
  shim_unlock();
  if (r == 0 && pid)
    *pid = child;
  return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
  return spawn(false, pid, path, actions, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
  return spawn(true, pid, file, actions, attr, argv, envp);
}

/* The stack's memfd, if this process has one (it survives exec). */
static int find_memfd(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  int found = -1;
  for (struct dirent *e; found < 0 && (e = readdir(d)) != NULL;) {
    char path[300], link[128];
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n <= 0)
      continue;
    link[n] = 0;
    if (strncmp(link, "/memfd:mynet-stack", 18) == 0)
      found = atoi(e->d_name);
  }
  closedir(d);
  return found;
}

static int slot_of(struct shim_shared *sh, pid_t pid)
{
  for (int i = 0; i < SHIM_MAX_PROCS; i++)
    if (sh->procs[i].pid == pid)
      return i;
  return -1;
}

/* A vfork() child (python's subprocess, a shell's) about to exec: unlike
 * posix_spawn's, its parent cannot make it a holder first, and after the
 * exec the parent runs on and may close the sockets before the program
 * has taken them up.  So the child makes itself a holder of everything
 * its parent has open, in the shared state only: it takes the stack lock
 * itself (never shim_lock, whose unlock drives the stack through the
 * parent's private state) and touches none of the memory it shares with
 * its parent but to read it.  Its program lets go of what it did not
 * inherit; if the exec fails, its death does.  A second exec attempt
 * (execvp along PATH) finds its slot taken already. */
static void vfork_child_holds(void)
{
  struct shim_shared *sh = rt.shared;
  pid_t pid = getpid();
  shim_shared_lock(sh);
  if (slot_of(sh, pid) < 0) {
    int slot = shim_shared_take_slot(sh, pid);
    if (slot >= 0)
      shim_sock_fork_prepare(slot);
  }
  shim_shared_unlock(sh);
}

/* Any other process about to exec: the exec ends its other threads
 * wherever they are, and one of them (the driver, most often) may be
 * inside the stack, the shared lock held, leaving the other processes a
 * dead owner and a change half made.  So the exec'ing thread keeps this
 * process's private lock, which every thread passes before the shared
 * one, until the exec is done; only if it fails do the others go on. */
static __thread bool holds_threads_off SHIM_TLS;

void shim_exec_prepare(void)
{
  if (__atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) != RT_RUNNING || shim_inside() || !rt.shared)
    return;
  if (shim_in_vfork_child()) {
    vfork_child_holds();
    return;
  }
  shim_lock();
  holds_private = false; /* kept: shim_unlock lets go of the shared lock only */
  shim_unlock();
  holds_threads_off = true;
}

void shim_exec_failed(void)
{
  if (!holds_threads_off)
    return;
  holds_threads_off = false;
  pthread_mutex_unlock(&rt.lock);
}

/* A program exec()ed by a process of a stack (the same process, or the
 * child of a posix_spawn): it finds the stack by the memfd it inherited
 * (the environment may have been scrubbed, the descriptors cannot lie),
 * and takes up the sockets it inherited, the TAP descriptor and a slot
 * of the process table.  Its own timer, doorbell and driver thread are
 * made as a forked child's are. */
static void take_up_stack(void)
{
  /* A bad configuration is reported as always (the first socket() names
   * the variable); the inherited sockets are then unusable. */
  if (rt.config_rc < 0)
    return;
  int memfd = find_memfd();
  if (memfd < 0)
    return;
  struct shim_shared *sh;
  int r = shim_shared_attach(memfd, &sh);
  if (r < 0) {
    snprintf(rt.err, sizeof rt.err, "cannot map the stack this program inherited: %s",
             strerror(-r));
    log_line(STDERR_FILENO, rt.err);
    return;
  }
  shim_fd_mark_internal(memfd);
  shim_shared_lock(sh);
  pid_t pid = getpid();
  int slot = slot_of(sh, pid), from = slot;
  bool fresh = slot < 0;
  if (fresh) {
    from = slot_of(sh, getppid());
    slot = shim_shared_take_slot(sh, pid);
  }
  if (slot < 0) {
    shim_shared_unlock(sh);
    return;
  }
  rt.shared = sh;
  rt.st = sh->st;
  rt.slot = slot;
  rt.memfd = memfd;
  rt.pid = pid;
  /* The log and the capture as this program's environment says (they
   * were close-on-exec); a failure is reported, the sockets still work. */
  if (rt.cfg.log_file[0]) {
    int fd = open_internal(rt.cfg.log_file, O_APPEND);
    if (fd >= 0)
      rt.log_fd = fd;
  }
  if (rt.cfg.pcap[0]) {
    int fd = open_capture(false);
    if (fd >= 0)
      rt.pcap_fd = fd;
    else
      log_line(rt.log_fd, "MYNET_PCAP: cannot append to the capture file; no capture");
  }
  int tap = from >= 0 ? sh->procs[from].tap_fd : -1;
  if (tap >= 0 && REAL(fcntl)(tap, F_GETFD) >= 0 &&
      mynet_port_adopt(rt.st, tap, &rt.ports[0]) == 0) {
    rt.nports = 1;
    shim_fd_mark_internal(tap);
    sh->procs[slot].tap_fd = tap;
    if (rt.pcap_fd >= 0)
      mynet_port_set_frame_hook(rt.ports[0], hook_frame, NULL);
  }
  if (from >= 0)
    shim_sock_adopt(sh, from, fresh);
  int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  rt.wakefd = wfd < 0 ? -1 : shim_fd_internalize(wfd);
  rt.armed = MYNET_TIME_NEVER;
  if (shim_bell_start(sh, slot, rt.wakefd) < 0)
    log_line(STDERR_FILENO, "cannot start the doorbell thread");
  rt.need_driver = true;
  __atomic_store_n(&rt.state, RT_RUNNING, __ATOMIC_RELEASE);
  shim_shared_unlock(sh);
}

__attribute__((constructor)) static void shim_init(void)
{
  shim_resolve_real();
  pthread_once(&rt.config_once, load_config);
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  take_up_stack();
  if (__atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) == RT_RUNNING)
    shim_bridge_stdio();
}

/* After the program's exit handlers: the kernel would close the program's
 * sockets and go on delivering their data; we close them in the stack and
 * keep driving it until nothing lingers or MYNET_LINGER has passed.  No fd
 * is closed and nothing is freed, so a thread of the program still running
 * (or the driver thread, which is left to die with the process) never
 * touches freed memory. */
/* Under the lock, as the process ends: it lets go of every socket; true
 * if other processes on the stack go on driving it (what this one leaves
 * to deliver is theirs to finish, as the kernel's is), and then its slot
 * is free. */
static bool leave_stack(void)
{
  shim_sock_release_all();
  if (rt.shared && others_attached()) {
    shim_shared_free_slot(rt.shared, rt.slot);
    return true;
  }
  return false;
}

/* Set by the thread that ends the process once it has left the stack:
 * exit() after shim_exit_stack() leaves only once. */
static bool has_left;

static bool ours_to_end(void)
{
  return __atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) == RT_RUNNING && getpid() == rt.pid &&
         !__atomic_load_n(&has_left, __ATOMIC_ACQUIRE);
}

/* _exit() runs no destructor (a forked server's child, redis's BGSAVE):
 * the process leaves the stack here, or its sockets stay held until the
 * others notice it is gone. */
void _exit(int status)
{
  if (ours_to_end()) {
    is_exiter = true;
    __atomic_store_n(&exiting, true, __ATOMIC_RELEASE);
    __atomic_store_n(&has_left, true, __ATOMIC_RELEASE);
    shim_lock();
    leave_stack();
    shim_unlock();
  }
  REAL(_exit)(status);
  __builtin_unreachable();
}

void shim_exit_stack(void)
{
  if (!ours_to_end())
    return;
  is_exiter = true;
  __atomic_store_n(&exiting, true, __ATOMIC_RELEASE);
  __atomic_store_n(&has_left, true, __ATOMIC_RELEASE);
  shim_lock();
  if (leave_stack()) {
    shim_unlock();
    return;
  }
  mynet_time end = shim_now() + rt.cfg.linger;
  struct pollfd pfd[MAX_RX_FDS];
  for (int i = 0; i < rt.nports; i++)
    pfd[i] = (struct pollfd){.fd = mynet_port_fd(rt.ports[i]), .events = POLLIN};
  for (;;) {
    mynet_time now = shim_now();
    mynet_stack_poll(rt.st, rt.ports, rt.nports, now);
    if (!mynet_stack_lingering(rt.st) || now >= end)
      break;
    mynet_time until = deadline();
    if (until > end)
      until = end;
    mynet_time wait = until > now ? until - now : 0;
    struct timespec ts = {.tv_sec = wait / 1000000, .tv_nsec = (long)(wait % 1000000) * 1000};
    shim_unlock();
    REAL(ppoll)(pfd, (nfds_t)rt.nports, &ts, NULL);
    shim_lock();
  }
  /* What happened, for whoever asked for debug output: retransmissions,
   * drops and why. */
  if (rt.cfg.log_level >= MYNET_LOG_DEBUG) {
    char text[4096];
    mynet_stack_counters_text(rt.st, text, sizeof text);
    shim_log(MYNET_LOG_DEBUG, "counters: %s", text);
  }
  shim_unlock();
}

__attribute__((destructor)) static void shim_fini(void)
{
  shim_exit_stack();
}
