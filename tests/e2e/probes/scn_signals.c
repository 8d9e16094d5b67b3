/* Signals and blocking calls: a SIGALRM handler installed with SA_RESTART
 * lets a blocked recv, accept, connect or send go on (signal(7)); without
 * it they fail with EINTR; with SO_RCVTIMEO set a recv fails with EINTR
 * even under SA_RESTART; timeouts expire with EAGAIN (EINPROGRESS for
 * connect).
 *
 * A helper thread waits until the main thread sleeps in the call (from
 * /proc: not in a futex, three looks in a row), sends it SIGALRM with
 * pthread_kill, and, if the call goes back to sleep (restarted), has the
 * peer do what lets it finish.  The watchdog's handler is the same
 * function: while sig_expect is set it only counts. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct interrupter {
  pid_t tid;
  pthread_t main;
  char then_cmd[64];     /* for the peer once the call sleeps again */
  bool then_no_reply;    /* send then_cmd without waiting for its reply */
  volatile int returned; /* set by the main thread when the call returned */
  volatile int sent;     /* set when then_cmd went to the peer */
};

static void *interrupter_main(void *arg)
{
  struct interrupter *it = arg;
  if (!wait_blocked(it->tid, 5000))
    return NULL;
  int before = sig_caught;
  sig_expect = 1;
  pthread_kill(it->main, SIGALRM);
  for (int i = 0; i < 300 && sig_caught == before; i++)
    sleep_ms(10);
  if (!it->then_cmd[0])
    return NULL;
  /* Restarted (asleep again) or returned (EINTR): only the first needs
   * the peer. */
  int streak = 0;
  for (int i = 0; i < 500 && !it->returned && streak < 3; i++) {
    streak = thread_sleeps_in_call(it->tid) ? streak + 1 : 0;
    sleep_ms(10);
  }
  if (it->returned)
    return NULL;
  it->sent = 1;
  if (it->then_no_reply)
    line_write(P.ctl, "%s", it->then_cmd);
  else
    peer_cmd("%s", it->then_cmd);
  return NULL;
}

static pthread_t interrupter_start(struct interrupter *it, const char *then_cmd, bool no_reply)
{
  memset(it, 0, sizeof *it);
  it->tid = gettid();
  it->main = pthread_self();
  if (then_cmd)
    snprintf(it->then_cmd, sizeof it->then_cmd, "%s", then_cmd);
  it->then_no_reply = no_reply;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_t t;
  pthread_create(&t, NULL, interrupter_main, it);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return t;
}

static void interrupter_end(const char *label, struct interrupter *it, pthread_t t, int caught0)
{
  it->returned = 1;
  pthread_join(t, NULL);
  out("%s.handler_ran %d", label, (int)(sig_caught - caught0));
  sigalrm_handler_flags(0);
}

static void set_timeo(int fd, int opt, long ms)
{
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static void blocked_recv(const char *label, int flags, long rcvtimeo_ms, const char *then_cmd)
{
  int d = data_conn(label);
  if (d < 0)
    return;
  char buf[64], l[96];
  if (rcvtimeo_ms)
    set_timeo(d, SO_RCVTIMEO, rcvtimeo_ms);
  sigalrm_handler_flags(flags);
  int caught0 = sig_caught;
  struct interrupter it;
  pthread_t t = interrupter_start(&it, then_cmd, false);
  ssize_t n = recv(d, buf, sizeof buf, 0);
  int e = errno;
  interrupter_end(label, &it, t, caught0);
  snprintf(l, sizeof l, "%s.recv", label);
  errno = e;
  out_val(l, n);
  close(d);
  peer_cmd("close");
}

static void recv_restart(void)
{
  blocked_recv("recv_restart", SA_RESTART, 0, "send 5");
}
static void recv_no_restart(void)
{
  blocked_recv("recv_no_restart", 0, 0, "send 5");
}
static void recv_restart_rcvtimeo(void)
{
  blocked_recv("recv_restart_rcvtimeo", SA_RESTART, 5000, "send 5");
}

static void timeouts(void)
{
  int d = data_conn("timeo");
  if (d < 0)
    return;
  char buf[16];
  set_timeo(d, SO_RCVTIMEO, 200);
  out_rc("timeo.recv", recv(d, buf, sizeof buf, 0));
  out_rc("timeo.read", read(d, buf, sizeof buf));
  struct timeval tv;
  socklen_t len = sizeof tv;
  getsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
  out("timeo.rcvtimeo %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
  uint64_t h;
  long n = fill_send_buffer(d, &h);
  out("timeo.filled %d", n > 0);
  set_nonblock(d, false);
  set_timeo(d, SO_SNDTIMEO, 200);
  out_rc("timeo.send_full", send(d, buf, sizeof buf, 0));
  close(d);
  peer_cmd("close");
}

static void blocked_accept(const char *label, int flags)
{
  int l = tcp_socket();
  struct sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 4);
  getsockname(l, (struct sockaddr *)&a, &len);
  char cmd[64], lb[96];
  snprintf(cmd, sizeof cmd, "connectback %d", ntohs(a.sin_port));
  sigalrm_handler_flags(flags);
  int caught0 = sig_caught;
  struct interrupter it;
  pthread_t t = interrupter_start(&it, cmd, false);
  int c = accept(l, NULL, NULL);
  int e = errno;
  interrupter_end(label, &it, t, caught0);
  snprintf(lb, sizeof lb, "%s.accept", label);
  errno = e;
  out_rc(lb, c);
  if (c >= 0) {
    write(c, "hi", 2);
    snprintf(lb, sizeof lb, "%s.peer", label);
    peer_show(lb, "read 2");
    close(c);
    peer_cmd("close");
  }
  close(l);
}

static void accept_restart(void)
{
  blocked_accept("accept_restart", SA_RESTART);
}
static void accept_no_restart(void)
{
  blocked_accept("accept_no_restart", 0);
}

static struct sockaddr_in blackhole(void)
{
  struct sockaddr_in a = peer_at(P.dport);
  inet_pton(AF_INET, BLACKHOLE_IP, &a.sin_addr);
  return a;
}

static void show_so_error(const char *label, int fd)
{
  int err = -1;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  out("%s %s", label, err ? errname(err) : "0");
}

/* A connect that nobody answers: interrupted, restarted (then it fails
 * when address resolution gives up), or timed out by SO_SNDTIMEO. */
static void blocked_connect(const char *label, int flags)
{
  int s = tcp_socket();
  struct sockaddr_in a = blackhole();
  char l[96];
  sigalrm_handler_flags(flags);
  int caught0 = sig_caught;
  struct interrupter it;
  pthread_t t = interrupter_start(&it, NULL, false);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  int e = errno;
  interrupter_end(label, &it, t, caught0);
  snprintf(l, sizeof l, "%s.connect", label);
  errno = e;
  out_rc(l, r);
  snprintf(l, sizeof l, "%s.so_error", label);
  show_so_error(l, s);
  close(s);
}

static void connect_no_restart(void)
{
  blocked_connect("connect_no_restart", 0);
}
static void connect_restart(void)
{
  blocked_connect("connect_restart", SA_RESTART);
}

static void connect_sndtimeo(void)
{
  int s = tcp_socket();
  struct sockaddr_in a = blackhole();
  set_timeo(s, SO_SNDTIMEO, 300);
  out_rc("connect_sndtimeo.connect", connect(s, (struct sockaddr *)&a, sizeof a));
  out_rc("connect_sndtimeo.connect_again", connect(s, (struct sockaddr *)&a, sizeof a));
  close(s);
}

/* A send blocked on a full buffer. */
static void blocked_send(const char *label, int flags)
{
  int d = data_conn(label);
  if (d < 0)
    return;
  char l[96];
  uint64_t h;
  long n = fill_send_buffer(d, &h);
  set_nonblock(d, false);
  static unsigned char more[1000];
  pattern_fill(more, (uint64_t)n, sizeof more);
  sigalrm_handler_flags(flags);
  int caught0 = sig_caught;
  struct interrupter it;
  pthread_t t = interrupter_start(&it, "recvall", true);
  ssize_t r = send(d, more, sizeof more, 0);
  int e = errno;
  interrupter_end(label, &it, t, caught0);
  snprintf(l, sizeof l, "%s.send", label);
  errno = e;
  out_val(l, r);
  if (r > 0)
    n += r;
  if (!it.sent)
    line_write(P.ctl, "recvall");
  shutdown(d, SHUT_WR);
  char line[256];
  if (line_read(&P.lb, line, sizeof line) < 0)
    strcpy(line, "control connection lost");
  long count = -1;
  sscanf(line, "count %ld", &count);
  out("%s.peer_count_matches %s", label, count == n ? "yes" : line);
  close(d);
  peer_cmd("close");
}

static void send_restart(void)
{
  blocked_send("send_restart", SA_RESTART);
}
static void send_no_restart(void)
{
  blocked_send("send_no_restart", 0);
}

const struct scenario signal_scenarios[] = {
    {"recv_restart", recv_restart, ON_BOTH, 0},
    {"recv_no_restart", recv_no_restart, ON_BOTH, 0},
    {"recv_restart_rcvtimeo", recv_restart_rcvtimeo, ON_BOTH, 0},
    {"timeo", timeouts, ON_BOTH, 20},
    {"accept_restart", accept_restart, ON_BOTH, 0},
    {"accept_no_restart", accept_no_restart, ON_BOTH, 0},
    {"connect_no_restart", connect_no_restart, ON_TAP, 0},
    {"connect_restart", connect_restart, ON_TAP, 15},
    {"connect_sndtimeo", connect_sndtimeo, ON_TAP, 0},
    {"send_restart", send_restart, ON_BOTH, 20},
    {"send_no_restart", send_no_restart, ON_BOTH, 20},
    {NULL, NULL, 0, 0},
};
