/* The probe's peer: a line-based command protocol on a control connection.
 *
 * Each control connection is a session with a thread of its own, its own
 * data listener, UDP socket and a bound TCP socket that does not listen
 * (its port refuses connections), all on the control connection's local
 * address; the greeting gives their ports:
 *
 *   hello DPORT UPORT RPORT
 *
 * Then one reply line per command.  Data connections are kept in slots
 * (the lowest free one, so numbering does not depend on what came before
 * in the session); the newest is the current one unless "use" picks
 * another; "close" and "reset" free the current slot.
 *
 *   accept              accept one connection on the data listener -> ok SLOT
 *   connectback PORT    connect to the client's address at PORT    -> ok SLOT
 *   use SLOT            make that connection current                -> ok
 *   send N              write N pattern bytes, then reply           -> ok
 *   sendasync N         reply ok, then write N pattern bytes
 *   sendstr TEXT        write TEXT                                  -> ok
 *   read N              read exactly N bytes (5 s)                  -> got TEXT | eof after K
 *   echo N              read N bytes and write them back            -> ok
 *   waiteof MS          poll up to MS for input, then peek          -> eof | data | open | err E
 *   recvall             read to end of stream                       -> count N fnv HEX
 *   shutwr              shutdown(SHUT_WR)                           -> ok
 *   reset               SO_LINGER {1, 0} and close: an RST         -> ok
 *   close               close                                       -> ok
 *   udpsend PORT S...   datagrams of sizes S to the client's PORT   -> ok
 *   udprecv K           receive K datagrams (5 s each)              -> lens S...
 *   info                TCP_INFO of the current connection          -> state ... ca N
 *
 * Errors reply "err ENAME".  Every wait is bounded, so a session whose
 * client died ends by itself or stays blocked only in its own calls.
 * The server is the same program on the kernel's side of the TAP (serve
 * mode) and in a thread of the probe over 127.0.0.1. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 16

struct session {
  int ctl;
  struct linebuf lb;
  int dl, us, rl;
  int slot[SLOTS];
  int nslots, cur;
  struct sockaddr_in local, peer;
  /* Bulk I/O buffer: in the session (on the heap), not thread-local, so
   * that the program's static TLS stays small (a preloaded library may
   * start threads with small stacks, which must hold the TLS too). */
  unsigned char big[65536];
};

static int bound_socket(int type, struct sockaddr_in at)
{
  int fd = socket(AF_INET, type, 0);
  if (fd < 0)
    return -1;
  at.sin_port = 0;
  if (bind(fd, (struct sockaddr *)&at, sizeof at) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int port_of(int fd)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
    return -1;
  return ntohs(a.sin_port);
}

static bool readable(int fd, int ms)
{
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {
  }
  return r > 0;
}

static void reply(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct session *s, const char *fmt, ...)
{
  char line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  line_write(s->ctl, "%s", line);
}

static void reply_err(struct session *s)
{
  reply(s, "err %s", errname(errno));
}

static int add_slot(struct session *s, int fd)
{
  int i = 0;
  while (i < s->nslots && s->slot[i] >= 0)
    i++;
  if (i == SLOTS) {
    close(fd);
    errno = EMFILE;
    return -1;
  }
  s->slot[i] = fd;
  if (i == s->nslots)
    s->nslots++;
  s->cur = i;
  return 0;
}

static int cur_fd(struct session *s)
{
  return s->cur >= 0 ? s->slot[s->cur] : -1;
}

static void drop_cur(struct session *s)
{
  if (s->cur >= 0)
    s->slot[s->cur] = -1;
}

static void write_pattern(struct session *s, int fd, long n)
{
  unsigned char *buf = s->big;
  long off = 0;
  while (off < n) {
    size_t k = (size_t)(n - off) < sizeof s->big ? (size_t)(n - off) : sizeof s->big;
    pattern_fill(buf, (uint64_t)off, k);
    if (write_full(fd, buf, k) < 0)
      return;
    off += (long)k;
  }
}

static void cmd_read(struct session *s, long n)
{
  char buf[512];
  int fd = cur_fd(s);
  if (n <= 0 || n >= (long)sizeof buf) {
    reply(s, "err EINVAL");
    return;
  }
  long got = 0;
  while (got < n) {
    if (!readable(fd, 5000)) {
      reply(s, "timeout after %ld", got);
      return;
    }
    ssize_t r = read(fd, buf + got, (size_t)(n - got));
    if (r < 0) {
      reply_err(s);
      return;
    }
    if (r == 0) {
      reply(s, "eof after %ld", got);
      return;
    }
    got += r;
  }
  buf[got] = '\0';
  bool text = true;
  for (long i = 0; i < got; i++)
    text = text && buf[i] >= 0x20 && buf[i] < 0x7f;
  if (text) {
    reply(s, "got %s", buf);
    return;
  }
  char hex[3 * sizeof buf];
  for (long i = 0; i < got && i < 160; i++)
    snprintf(hex + 2 * i, 3, "%02x", (unsigned char)buf[i]);
  reply(s, "got hex %s", hex);
}

static void cmd_echo(struct session *s, long n)
{
  char buf[4096];
  int fd = cur_fd(s);
  if (n <= 0 || n > (long)sizeof buf) {
    reply(s, "err EINVAL");
    return;
  }
  long got = 0;
  while (got < n) {
    if (!readable(fd, 5000)) {
      reply(s, "timeout after %ld", got);
      return;
    }
    ssize_t r = read(fd, buf + got, (size_t)(n - got));
    if (r <= 0) {
      reply(s, "eof after %ld", got);
      return;
    }
    got += r;
  }
  if (write_full(fd, buf, (size_t)n) < 0)
    reply_err(s);
  else
    reply(s, "ok");
}

static void cmd_waiteof(struct session *s, int ms)
{
  int fd = cur_fd(s);
  char c;
  readable(fd, ms);
  ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r == 0)
    reply(s, "eof");
  else if (r > 0)
    reply(s, "data");
  else if (errno == EAGAIN)
    reply(s, "open");
  else
    reply_err(s);
}

static void cmd_recvall(struct session *s)
{
  unsigned char *buf = s->big;
  int fd = cur_fd(s);
  long count = 0;
  uint64_t h = FNV_INIT;
  for (;;) {
    if (!readable(fd, 20000)) {
      reply(s, "timeout count %ld", count);
      return;
    }
    ssize_t r = read(fd, buf, sizeof s->big);
    if (r < 0) {
      reply(s, "err %s count %ld", errname(errno), count);
      return;
    }
    if (r == 0)
      break;
    h = fnv1a(h, buf, (size_t)r);
    count += r;
  }
  reply(s, "count %ld fnv %016llx", count, (unsigned long long)h);
}

static void cmd_udpsend(struct session *s, char *args)
{
  char *save = NULL;
  char *tok = strtok_r(args, " ", &save);
  if (!tok) {
    reply(s, "err EINVAL");
    return;
  }
  struct sockaddr_in to = s->peer;
  to.sin_port = htons((uint16_t)atoi(tok));
  unsigned char *buf = s->big;
  while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
    long n = atol(tok);
    if (n < 0 || n > (long)sizeof s->big)
      n = 0;
    pattern_fill(buf, 0, (size_t)n);
    if (sendto(s->us, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) < 0) {
      reply_err(s);
      return;
    }
  }
  reply(s, "ok");
}

static void cmd_udprecv(struct session *s, int k)
{
  unsigned char *buf = s->big;
  char line[512];
  size_t len = (size_t)snprintf(line, sizeof line, "lens");
  for (int i = 0; i < k; i++) {
    if (!readable(s->us, 5000)) {
      reply(s, "%s timeout", line);
      return;
    }
    ssize_t r = recv(s->us, buf, sizeof s->big, 0);
    if (r < 0) {
      reply_err(s);
      return;
    }
    if (len < sizeof line)
      len += (size_t)snprintf(line + len, sizeof line - len, " %zd", r);
  }
  reply(s, "%s", line);
}

/* Over 127.0.0.1 the MSS follows the loopback MTU (the kernel's is
 * 65536, the stack's need not be) and Linux bounds it by half the largest
 * window seen, which varies from run to run: only its range is shown. */
static void cmd_info(struct session *s)
{
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(cur_fd(s), IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) {
    reply_err(s);
    return;
  }
  char mss[64];
  if ((ntohl(s->local.sin_addr.s_addr) >> 24) == 127)
    snprintf(mss, sizeof mss, "mss_in_range %d %d", mss_in_range(ti.tcpi_snd_mss),
             mss_in_range(ti.tcpi_rcv_mss));
  else
    snprintf(mss, sizeof mss, "snd_mss %u rcv_mss %u", ti.tcpi_snd_mss, ti.tcpi_rcv_mss);
  reply(s, "state %s %s opts %s%s%s retrans %u ca %u", tcp_state_name(ti.tcpi_state), mss,
        (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) ? "TS " : "",
        (ti.tcpi_options & TCPI_OPT_SACK) ? "SACK " : "",
        (ti.tcpi_options & TCPI_OPT_WSCALE) ? "WSCALE" : "", ti.tcpi_total_retrans,
        ti.tcpi_ca_state);
}

static void command(struct session *s, char *line)
{
  char *arg = strchr(line, ' ');
  if (arg)
    *arg++ = '\0';
  long n = arg ? atol(arg) : 0;
  int fd = cur_fd(s);
  bool needs_conn = strcmp(line, "accept") != 0 && strcmp(line, "connectback") != 0 &&
                    strcmp(line, "use") != 0 && strncmp(line, "udp", 3) != 0;
  if (needs_conn && fd < 0) {
    reply(s, "err ENOTCONN");
    return;
  }
  if (strcmp(line, "accept") == 0) {
    if (!readable(s->dl, 10000)) {
      reply(s, "err ETIMEDOUT");
      return;
    }
    int c = accept(s->dl, NULL, NULL);
    if (c < 0 || add_slot(s, c) < 0)
      reply_err(s);
    else
      reply(s, "ok %d", s->cur);
  } else if (strcmp(line, "connectback") == 0) {
    struct sockaddr_in to = s->peer;
    to.sin_port = htons((uint16_t)n);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&to, sizeof to) < 0) {
      reply_err(s);
      if (c >= 0)
        close(c);
    } else if (add_slot(s, c) < 0) {
      reply_err(s);
    } else {
      reply(s, "ok %d", s->cur);
    }
  } else if (strcmp(line, "use") == 0) {
    if (n < 0 || n >= s->nslots || s->slot[n] < 0) {
      reply(s, "err EBADF");
    } else {
      s->cur = (int)n;
      reply(s, "ok");
    }
  } else if (strcmp(line, "send") == 0) {
    write_pattern(s, fd, n);
    reply(s, "ok");
  } else if (strcmp(line, "sendasync") == 0) {
    reply(s, "ok");
    write_pattern(s, fd, n);
  } else if (strcmp(line, "sendstr") == 0) {
    if (write_full(fd, arg, strlen(arg)) < 0)
      reply_err(s);
    else
      reply(s, "ok");
  } else if (strcmp(line, "read") == 0) {
    cmd_read(s, n);
  } else if (strcmp(line, "echo") == 0) {
    cmd_echo(s, n);
  } else if (strcmp(line, "waiteof") == 0) {
    cmd_waiteof(s, (int)n);
  } else if (strcmp(line, "recvall") == 0) {
    cmd_recvall(s);
  } else if (strcmp(line, "shutwr") == 0) {
    if (shutdown(fd, SHUT_WR) < 0)
      reply_err(s);
    else
      reply(s, "ok");
  } else if (strcmp(line, "reset") == 0) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    drop_cur(s);
    reply(s, "ok");
  } else if (strcmp(line, "close") == 0) {
    close(fd);
    drop_cur(s);
    reply(s, "ok");
  } else if (strcmp(line, "udpsend") == 0) {
    cmd_udpsend(s, arg ? arg : (char *)"");
  } else if (strcmp(line, "udprecv") == 0) {
    cmd_udprecv(s, (int)n);
  } else if (strcmp(line, "info") == 0) {
    cmd_info(s);
  } else {
    reply(s, "err unknown command");
  }
}

static void *session_main(void *arg)
{
  struct session *s = arg;
  socklen_t len = sizeof s->local;
  getsockname(s->ctl, (struct sockaddr *)&s->local, &len);
  len = sizeof s->peer;
  getpeername(s->ctl, (struct sockaddr *)&s->peer, &len);
  s->dl = bound_socket(SOCK_STREAM, s->local);
  s->us = bound_socket(SOCK_DGRAM, s->local);
  s->rl = bound_socket(SOCK_STREAM, s->local);
  s->cur = -1;
  s->lb.fd = s->ctl;
  if (s->dl < 0 || s->us < 0 || s->rl < 0 || listen(s->dl, 16) < 0) {
    reply(s, "err %s", errname(errno));
  } else {
    reply(s, "hello %d %d %d", port_of(s->dl), port_of(s->us), port_of(s->rl));
    char line[600];
    while (line_read(&s->lb, line, sizeof line) >= 0)
      command(s, line);
  }
  for (int i = 0; i < s->nslots; i++)
    if (s->slot[i] >= 0)
      close(s->slot[i]);
  close(s->dl);
  close(s->us);
  close(s->rl);
  close(s->ctl);
  free(s);
  return NULL;
}

void serve_forever(int listener)
{
  for (;;) {
    int c = accept(listener, NULL, NULL);
    if (c < 0) {
      if (errno != EINTR)
        sleep_ms(100);
      continue;
    }
    struct session *s = calloc(1, sizeof *s);
    pthread_t t;
    if (!s) {
      close(c);
      continue;
    }
    s->ctl = c;
    if (pthread_create(&t, NULL, session_main, s) != 0) {
      close(c);
      free(s);
      continue;
    }
    pthread_detach(t);
  }
}

static void *serve_thread(void *arg)
{
  serve_forever((int)(intptr_t)arg);
  return NULL;
}

int serve_loopback_thread(void)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int l = bound_socket(SOCK_STREAM, a);
  if (l < 0 || listen(l, 16) < 0)
    return -1;
  /* The peer's threads never take the probe's signals (the watchdog and
   * the signal scenarios aim at the main thread). */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_t t;
  int rc = pthread_create(&t, NULL, serve_thread, (void *)(intptr_t)l);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return -1;
  pthread_detach(t);
  return port_of(l);
}
