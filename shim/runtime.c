/* The runtime: one stack per process, started on the first AF_INET
 * socket() so that a process which never opens one never touches the TAP.
 *
 * Threads: the program's threads call into the stack under the stack lock
 * and run whatever is due inline (loopback traffic, expired timers) before
 * letting go of it.  One driver thread, started with the stack, sleeps in
 * poll() on the stack's rx fds and a timerfd armed at the stack's deadline,
 * and polls the stack when either fires: an idle process uses no CPU, and
 * the timerfd is re-armed by whichever thread moved the deadline
 * (timerfd_settime() works from any thread, so no wake-up is needed). */
#include "shim.h"

#include "fdtable.h"
#include "runtime.h"
#include "shared.h"
#include "sock.h"

#include <fcntl.h>
#include <mynet/config.h>
#include <mynet/stack.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
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
  pthread_once_t config_once;
  struct mynet_config cfg;
  int config_rc;
  char err[MYNET_PATH_MAX + 256]; /* why the stack could not start */
  int state;                      /* RT_*, read without the lock */
  int reported;                   /* err has been printed */
  mynet_stack *st;
  mynet_port *ports[1]; /* this process's device for the TAP, if any */
  int nports;
  int timerfd;
  mynet_time armed; /* what the timerfd is set to */
  int log_fd;
  int pcap_fd;
  int64_t unix_offset; /* realtime - monotonic, in us, for pcap stamps */
  pid_t pid;           /* the process that started the stack */
} rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .config_once = PTHREAD_ONCE_INIT,
    .timerfd = -1,
    .memfd = -1,
    .armed = MYNET_TIME_NEVER,
    .log_fd = STDERR_FILENO,
    .pcap_fd = -1,
};

static __thread bool inside SHIM_TLS;
/* Which locks this thread holds: the private one, the shared one, or
 * (while it starts the stack) both. */
static __thread bool holds_shared SHIM_TLS;
static __thread bool holds_private SHIM_TLS;
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

/* A fork() child has been through atfork_child() and is no longer
 * RT_RUNNING; a vfork() child runs no atfork handler and sees our memory. */
bool shim_in_vfork_child(void)
{
  return __atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) == RT_RUNNING && getpid() != rt.pid;
}

/* --- output ------------------------------------------------------------ */

/* One write per line so that lines from several threads or processes
 * sharing the file do not interleave; the real writev, never ours. */
static void log_line(int fd, const char *msg)
{
  struct iovec iov[3] = {
      {.iov_base = (void *)"mynet: ", .iov_len = 7},
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

static void hook_frame(void *ctx, int dir, const uint8_t *frame, size_t len, mynet_time now)
{
  uint8_t hdr[MYNET_PCAP_REC_HDR_LEN];
  uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
  mynet_pcap_record_header(hdr, now + rt.unix_offset, caplen, (uint32_t)len);
  struct iovec iov[2] = {{.iov_base = hdr, .iov_len = sizeof hdr},
                         {.iov_base = (void *)frame, .iov_len = caplen}};
  int saved = errno;
  if (REAL(writev)(rt.pcap_fd, iov, 2) < 0 && errno != EINTR) {
    shim_log(MYNET_LOG_ERROR, "MYNET_PCAP: write failed: %s; capture stopped", strerror(errno));
    rt.pcap_fd = -1;
  }
  errno = saved;
}

/* --- the stack lock ---------------------------------------------------- */

static void arm_timer(mynet_time deadline)
{
  if (deadline == rt.armed)
    return;
  struct itimerspec its = {0};
  if (deadline != MYNET_TIME_NEVER) {
    if (deadline <= 0)
      deadline = 1; /* a zero it_value would disarm instead */
    its.it_value.tv_sec = deadline / 1000000;
    its.it_value.tv_nsec = (long)(deadline % 1000000) * 1000;
  }
  if (timerfd_settime(rt.timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
    rt.armed = deadline;
}

/* Runs what is due now (loopback deliveries, timers) and arms the timerfd
 * for the rest.  The bound keeps a stack that is always due from holding
 * the lock forever: the driver thread picks up from the timerfd. */
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

/* Nothing under the lock may be a cancellation point: a thread cancelled
 * in a write() to an eventfd or the log would exit holding the lock and
 * every other thread would hang.  Threads are cancelled while they wait,
 * with the lock dropped (shim_sock_wait and the poll family). */
void shim_lock(void)
{
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  struct shim_shared *sh = __atomic_load_n(&rt.shared, __ATOMIC_ACQUIRE);
  if (sh) {
    shim_shared_lock(sh);
    holds_shared = true;
    holds_private = false;
  } else {
    pthread_mutex_lock(&rt.lock);
    /* The stack started while this thread waited: its lock is the one. */
    sh = __atomic_load_n(&rt.shared, __ATOMIC_ACQUIRE);
    if (sh) {
      pthread_mutex_unlock(&rt.lock);
      shim_shared_lock(sh);
    }
    holds_shared = sh != NULL;
    holds_private = sh == NULL;
  }
  inside = true;
  if (rt.st)
    mynet_stack_set_now(rt.st, shim_now());
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

static void *driver_main(void *arg)
{
  struct pollfd pfd[MAX_RX_FDS + 1];
  int n = 0;
  for (int i = 0; i < rt.nports; i++)
    pfd[n++] = (struct pollfd){.fd = mynet_port_fd(rt.ports[i]), .events = POLLIN};
  int timer = n;
  pfd[n++] = (struct pollfd){.fd = rt.timerfd, .events = POLLIN};

  for (;;) {
    if (REAL(poll)(pfd, (nfds_t)n, -1) < 0)
      continue; /* EINTR cannot happen (signals blocked); ENOMEM: retry */
    shim_lock();
    for (int i = 0; i < timer; i++) {
      /* A TAP whose interface was deleted reports POLLHUP/POLLERR for
       * ever: stop watching it rather than spin. */
      if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
        shim_log(MYNET_LOG_ERROR, "device fd %d failed (revents 0x%x); no longer receiving",
                 pfd[i].fd, (unsigned)pfd[i].revents);
        pfd[i].fd = -1;
      }
    }
    if (pfd[timer].revents & POLLIN) {
      uint64_t expirations = 0;
      if (REAL(read)(rt.timerfd, &expirations, sizeof expirations) == sizeof expirations)
        rt.armed = MYNET_TIME_NEVER; /* one-shot: it is disarmed now */
    }
    mynet_stack_poll(rt.st, rt.ports, rt.nports, shim_now());
    shim_unlock();
  }
  return NULL;
}

/* The driver must not take the program's signals: a process-directed
 * signal has to interrupt the program's own blocking calls, so it is
 * started with every signal blocked. */
static int start_driver(void)
{
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int r = pthread_create(&thread, &attr, driver_main, NULL);
  /* glibc carves the program's static thread-local storage out of the
   * stack asked for; a program with more than that gets EINVAL.  The
   * default size is what its own threads get, so it fits. */
  if (r == EINVAL) {
    pthread_attr_destroy(&attr);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&thread, &attr, driver_main, NULL);
  }
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return -r;
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
  close_internal(&rt.timerfd);
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
  return -EAFNOSUPPORT;
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
  if (rt.cfg.pcap[0]) {
    int fd = open_internal(rt.cfg.pcap, O_TRUNC);
    uint8_t hdr[MYNET_PCAP_FILE_HDR_LEN];
    mynet_pcap_file_header(hdr, PCAP_SNAPLEN);
    if (fd >= 0 && REAL(write)(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr)
      fd = -errno;
    if (fd < 0) {
      snprintf(rt.err, sizeof rt.err, "MYNET_PCAP: cannot write '%s': %s", rt.cfg.pcap,
               strerror(-fd));
      return start_failed();
    }
    rt.pcap_fd = fd;
  }

  mynet_time now = shim_now();
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  rt.unix_offset = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000 - now;

  struct shim_shared *sh;
  int memfd;
  int r = shim_shared_create(rt.cfg.mem, &sh, &memfd, rt.err, sizeof rt.err);
  if (r < 0)
    return start_failed();
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
    snprintf(rt.err, sizeof rt.err, "cannot create the stack: %s", strerror(-r));
    return start_failed();
  }
  if (mynet_stack_configure(rt.st, &rt.cfg, rt.err, sizeof rt.err) < 0)
    return start_failed();

  if (rt.cfg.tap[0]) {
    if (mynet_port_open(rt.st, &rt.cfg, &rt.ports[0], rt.err, sizeof rt.err) < 0)
      return start_failed();
    rt.nports = 1;
    shim_fd_mark_internal(mynet_port_fd(rt.ports[0]));
    if (rt.pcap_fd >= 0)
      mynet_port_set_frame_hook(rt.ports[0], hook_frame, NULL);
  }

  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  tfd = tfd < 0 ? -errno : shim_fd_internalize(tfd);
  if (tfd < 0) {
    snprintf(rt.err, sizeof rt.err, "timerfd_create: %s", strerror(-tfd));
    return start_failed();
  }
  rt.timerfd = tfd;
  r = start_driver();
  if (r < 0) {
    snprintf(rt.err, sizeof rt.err, "cannot start the driver thread: %s", strerror(-r));
    return start_failed();
  }
  sh->st = rt.st;
  sh->procs[0].pid = getpid();
  /* From now on the stack lock is the shared one.  This thread takes it
   * too (it still holds the private one, which others wait on and then
   * leave for the shared one), so that nobody enters the stack before this
   * thread has left it. */
  shim_shared_lock(sh);
  holds_shared = true;
  __atomic_store_n(&rt.shared, sh, __ATOMIC_RELEASE);
  rt.pid = getpid();
  __atomic_store_n(&rt.state, RT_RUNNING, __ATOMIC_RELEASE);
  shim_log(MYNET_LOG_INFO, "stack started (pid %d)", (int)rt.pid);
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
  return -EAFNOSUPPORT;
}

/* --- fork and exit ----------------------------------------------------- */

/* The library's private state must not be copied into a child in the
 * middle of a change: fork happens under the stack lock. */
static void atfork_prepare(void)
{
  shim_lock();
}

static void atfork_parent(void)
{
  shim_unlock();
}

/* The child has a copy of the stack but shares the parent's TAP: it must
 * never poll or send on it, so the stack is abandoned here.  Sharing
 * sockets with a child is a later issue (ROADMAP, phase 3). */
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
  rt.st = NULL;
  __atomic_store_n(&rt.shared, NULL, __ATOMIC_RELEASE);
  shim_sock_forked();
  snprintf(rt.err, sizeof rt.err,
           "AF_INET sockets in a forked child are not supported yet (stack of pid %d)",
           (int)rt.pid);
  rt.reported = 0;
  rt.state = RT_FAILED;
}

__attribute__((constructor)) static void shim_init(void)
{
  shim_resolve_real();
  pthread_once(&rt.config_once, load_config);
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* After the program's exit handlers: the kernel would close the program's
 * sockets and go on delivering their data; we close them in the stack and
 * keep driving it until nothing lingers or MYNET_LINGER has passed.  No fd
 * is closed and nothing is freed, so a thread of the program still running
 * (or the driver thread, which is left to die with the process) never
 * touches freed memory. */
__attribute__((destructor)) static void shim_fini(void)
{
  if (__atomic_load_n(&rt.state, __ATOMIC_ACQUIRE) != RT_RUNNING || getpid() != rt.pid)
    return;
  shim_lock();
  shim_sock_release_all();
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
