/* Output, the watchdog, bounded waits and the client's side of the
 * control protocol, shared by every scenario of sockapi_probe. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- output ----
 * Written with raw system calls: what the probe prints must not go
 * through the socket library under test, and the watchdog writes from a
 * signal handler. */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static char mem[1 << 18];
static size_t mem_len;
static const char *mem_path;

static void raw_write(int fd, const char *p, size_t n)
{
  while (n > 0) {
    long r = syscall(SYS_write, fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return;
    p += r;
    n -= (size_t)r;
  }
}

static void emit(const char *line, size_t n)
{
  if (mem_path) {
    if (mem_len + n <= sizeof mem) {
      memcpy(mem + mem_len, line, n);
      mem_len += n;
    }
  } else {
    raw_write(1, line, n);
  }
}

void out(const char *fmt, ...)
{
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof line - 2)
    n = sizeof line - 2;
  line[n++] = '\n';
  pthread_mutex_lock(&out_lock);
  emit(line, (size_t)n);
  pthread_mutex_unlock(&out_lock);
}

void out_to_memory(const char *path)
{
  mem_path = path;
}

/* Also called from the SIGALRM handler: raw calls only. */
void out_flush_memory(void)
{
  if (!mem_path)
    return;
  int fd = (int)syscall(SYS_openat, AT_FDCWD, mem_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return;
  raw_write(fd, mem, mem_len);
  syscall(SYS_close, fd);
}

const char *errname(int e)
{
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

void out_rc(const char *label, long rc)
{
  if (rc < 0)
    out("%s err %s", label, errname(errno));
  else
    out("%s ok", label);
}

void out_val(const char *label, long rc)
{
  if (rc < 0)
    out("%s err %s", label, errname(errno));
  else
    out("%s %ld", label, rc);
}

const char *mask_str(uint32_t mask, char *buf)
{
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {{0x1, "IN"},       {0x2, "PRI"},      {0x4, "OUT"},     {0x8, "ERR"},
               {0x10, "HUP"},     {0x20, "NVAL"},    {0x40, "RDNORM"}, {0x80, "RDBAND"},
               {0x100, "WRNORM"}, {0x200, "WRBAND"}, {0x400, "MSG"},   {0x2000, "RDHUP"}};
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(mask & names[i].bit))
      continue;
    len += (size_t)snprintf(buf + len, MASKBUF - len, "%s%s", len ? "|" : "", names[i].name);
    mask &= ~names[i].bit;
  }
  if (mask)
    len += (size_t)snprintf(buf + len, MASKBUF - len, "%s0x%x", len ? "|" : "", mask);
  if (len == 0)
    strcpy(buf, "-");
  return buf;
}

const char *tcp_state_name(int st)
{
  const char *names[] = {"?",          "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                         "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                         "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
  return st >= 0 && st < (int)(sizeof names / sizeof names[0]) ? names[st] : "?";
}

/* ---- the watchdog ---- */

volatile sig_atomic_t sig_expect, sig_caught;
static const char *volatile wd_label;
static volatile int wd_next = -1;
static const char *volatile wd_resume;

static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
  while (*s && len < cap)
    buf[len++] = *s++;
  return len;
}

static void on_alarm(int sig)
{
  (void)sig;
  if (sig_expect) {
    sig_expect = 0;
    sig_caught = sig_caught + 1;
    return;
  }
  char line[256];
  size_t n = append(line, 0, sizeof line - 1, wd_label ? wd_label : "probe");
  n = append(line, n, sizeof line - 1, " TIMEOUT");
  line[n++] = '\n';
  emit(line, n);
  out_flush_memory();
  if (wd_resume && wd_next >= 0) {
    char num[16];
    size_t k = sizeof num;
    int v = wd_next;
    num[--k] = '\n';
    do {
      num[--k] = (char)('0' + v % 10);
      v /= 10;
    } while (v > 0);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, wd_resume, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      raw_write(fd, num + k, sizeof num - k);
      syscall(SYS_close, fd);
    }
  }
  _exit(3);
}

void sigalrm_handler_flags(int flags)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
}

void watchdog_install(void)
{
  sigalrm_handler_flags(0);
}

void watchdog_arm(const char *label, unsigned seconds, int next_index, const char *resume_file)
{
  wd_label = label;
  wd_next = next_index;
  wd_resume = resume_file;
  alarm(seconds);
}

void watchdog_disarm(void)
{
  alarm(0);
}

/* ---- waiting ---- */

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void sleep_ms(int ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

short wait_events(int fd, short want, int ms)
{
  long deadline = now_ms() + ms;
  for (;;) {
    long left = deadline - now_ms();
    if (left < 0)
      left = 0;
    struct pollfd p = {fd, (short)(want & (POLLIN | POLLOUT | POLLPRI | POLLRDHUP)), 0};
    int r = poll(&p, 1, (int)left);
    if (r > 0 && (p.revents & want) == want)
      break;
    if (left == 0)
      break;
    if (r != 0) /* other events, or an error: do not spin */
      sleep_ms(10);
  }
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0};
  if (poll(&p, 1, 0) < 0)
    return 0;
  return p.revents;
}

int wait_inq(int fd, int n, int ms)
{
  long deadline = now_ms() + ms;
  int v = -1;
  for (;;) {
    if (ioctl(fd, FIONREAD, &v) < 0)
      return -1;
    if (v >= n || now_ms() >= deadline)
      return v;
    sleep_ms(5);
  }
}

/* Whether a thread sleeps inside a system call, from /proc: state S and
 * a call number.  Which call is not looked at: the kernel's recv sleeps
 * in recvfrom, the shim's in futex (a wait the kernel restarts after
 * SA_RESTART handlers, as it does recvfrom).  A brief wait for a lock is
 * also a futex, which is why wait_blocked wants several looks in a row. */
bool thread_sleeps_in_call(pid_t tid)
{
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ' || p[2] != 'S')
    return false;
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
  fd = open(path, O_RDONLY);
  if (fd < 0)
    return false;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return buf[0] >= '0' && buf[0] <= '9'; /* not "running" */
}

bool wait_blocked(pid_t tid, int ms)
{
  long deadline = now_ms() + ms;
  int streak = 0;
  while (now_ms() < deadline) {
    streak = thread_sleeps_in_call(tid) ? streak + 1 : 0;
    if (streak >= 3)
      return true;
    sleep_ms(20);
  }
  return false;
}

long thread_cpu_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

/* ---- sockets ---- */

int tcp_socket(void)
{
  return socket(AF_INET, SOCK_STREAM, 0);
}

int set_nonblock(int fd, bool on)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0)
    return -1;
  return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

ssize_t read_full(int fd, void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return got ? (ssize_t)got : -1;
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

int write_full(int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n > 0) {
    ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void pattern_fill(unsigned char *buf, uint64_t off, size_t n)
{
  for (size_t i = 0; i < n; i++)
    buf[i] = pattern_byte(off + i);
}

/* Write chunks of size from the pattern until EAGAIN. */
static long write_until_eagain(int fd, size_t size, long total, uint64_t *h)
{
  static unsigned char chunk[65536];
  for (;;) {
    pattern_fill(chunk, (uint64_t)total, size);
    ssize_t r = write(fd, chunk, size);
    if (r < 0)
      return total;
    *h = fnv1a(*h, chunk, (size_t)r);
    total += r;
  }
}

long fill_send_buffer(int fd, uint64_t *fnv)
{
  long total = 0;
  uint64_t h = FNV_INIT;
  set_nonblock(fd, true);
  for (int round = 0; round < 400; round++) {
    total = write_until_eagain(fd, 65536, total, &h);
    if (errno != EAGAIN)
      break;
    /* Full once no room comes back for half a second: the peer's
     * window is closed and everything sent has been acknowledged. */
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, 500) == 0)
      break;
  }
  /* Room too small for POLLOUT may still take a small write: fill it
   * too, so that even one byte gets EAGAIN from now on. */
  for (size_t size = 4096; size >= 1 && errno == EAGAIN; size /= 8)
    total = write_until_eagain(fd, size, total, &h);
  *fnv = h;
  return total;
}

/* ---- lines ---- */

int line_read(struct linebuf *lb, char *line, size_t size)
{
  for (;;) {
    char *nl = memchr(lb->buf, '\n', lb->len);
    if (nl) {
      size_t n = (size_t)(nl - lb->buf);
      size_t k = n < size - 1 ? n : size - 1;
      memcpy(line, lb->buf, k);
      line[k] = '\0';
      lb->len -= n + 1;
      memmove(lb->buf, nl + 1, lb->len);
      return (int)k;
    }
    if (lb->len == sizeof lb->buf)
      return -1;
    ssize_t r = read(lb->fd, lb->buf + lb->len, sizeof lb->buf - lb->len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    lb->len += (size_t)r;
  }
}

int line_write(int fd, const char *fmt, ...)
{
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n > sizeof line - 2)
    return -1;
  line[n++] = '\n';
  return write_full(fd, line, (size_t)n);
}

/* ---- the client's side of the control protocol ---- */

struct peer P = {.ctl = -1};
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;

struct sockaddr_in peer_at(int port)
{
  struct sockaddr_in a = P.addr;
  a.sin_port = htons((uint16_t)port);
  return a;
}

struct sockaddr_in local_addr(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(&a, 0, sizeof a);
  getsockname(P.ctl, (struct sockaddr *)&a, &len);
  a.sin_port = 0;
  return a;
}

int peer_open(const struct sockaddr_in *addr, bool tap)
{
  P.addr = *addr;
  P.tap = tap;
  P.ctl = tcp_socket();
  if (P.ctl < 0 || connect(P.ctl, (const struct sockaddr *)addr, sizeof *addr) < 0) {
    out("peer connect err %s", errname(errno));
    return -1;
  }
  P.lb.fd = P.ctl;
  P.lb.len = 0;
  char line[256];
  if (line_read(&P.lb, line, sizeof line) < 0 ||
      sscanf(line, "hello %d %d %d", &P.dport, &P.uport, &P.rport) != 3) {
    out("peer hello failed");
    return -1;
  }
  return 0;
}

static __thread char reply[512];

static const char *vcmd(const char *fmt, va_list ap)
{
  char cmd[512];
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  pthread_mutex_lock(&ctl_lock);
  if (line_write(P.ctl, "%s", cmd) < 0 || line_read(&P.lb, reply, sizeof reply) < 0)
    snprintf(reply, sizeof reply, "control connection lost");
  pthread_mutex_unlock(&ctl_lock);
  return reply;
}

const char *peer_cmd(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const char *r = vcmd(fmt, ap);
  va_end(ap);
  return r;
}

void peer_show(const char *label, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  const char *r = vcmd(fmt, ap);
  va_end(ap);
  out("%s %s", label, r);
}

int data_conn(const char *label)
{
  struct sockaddr_in a = peer_at(P.dport);
  pthread_mutex_lock(&ctl_lock);
  int fd = -1, cerr = 0;
  if (line_write(P.ctl, "accept") == 0) {
    fd = tcp_socket();
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      cerr = errno;
      close(fd);
      fd = -1;
    }
    if (line_read(&P.lb, reply, sizeof reply) < 0)
      snprintf(reply, sizeof reply, "control connection lost");
  }
  pthread_mutex_unlock(&ctl_lock);
  if (fd < 0 || sscanf(reply, "ok %d", &P.last_slot) != 1) {
    out("%s data_conn failed: connect %s, peer %s", label, cerr ? errname(cerr) : "ok", reply);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}
