/* poll, ppoll, select and pselect beyond plain readiness: events that
 * were not asked for must not wake the caller (POLLPRI or POLLRDHUP alone
 * on a socket with unread data waits out its timeout, without spinning),
 * closed and negative descriptors, the signal masks of ppoll and pselect,
 * and sets that mix a socket with a pipe, an eventfd and a socketpair. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* A sleeping wait uses next to no CPU; a spinning one uses all of it. */
#define WAIT_MS 300
#define SPIN_US (WAIT_MS * 1000 / 3)

static void spin_check(const char *label, long cpu_before)
{
  long used = thread_cpu_us() - cpu_before;
  out("%s.spins %s", label, used > SPIN_US ? "yes" : "no");
}

static void poll_only(const char *label, int fd, short events)
{
  char m[MASKBUF], l[96];
  struct pollfd p = {fd, events, 0};
  long cpu = thread_cpu_us();
  int n = poll(&p, 1, WAIT_MS);
  out("%s.poll %d %s", label, n, mask_str((uint16_t)p.revents, m));
  snprintf(l, sizeof l, "%s.poll", label);
  spin_check(l, cpu);
  struct timespec ts = {0, WAIT_MS * 1000000L};
  p.revents = 0;
  cpu = thread_cpu_us();
  n = ppoll(&p, 1, &ts, NULL);
  out("%s.ppoll %d %s", label, n, mask_str((uint16_t)p.revents, m));
  snprintf(l, sizeof l, "%s.ppoll", label);
  spin_check(l, cpu);
}

static void unasked_events(void)
{
  int d = data_conn("unasked");
  if (d < 0)
    return;
  peer_cmd("send 5");
  wait_inq(d, 5, 3000);
  poll_only("unasked.pri_only", d, POLLPRI);
  poll_only("unasked.rdhup_only", d, POLLRDHUP);
  poll_only("unasked.no_events", d, 0);
  /* select's exception set is POLLPRI. */
  fd_set x;
  FD_ZERO(&x);
  FD_SET(d, &x);
  struct timeval tv = {0, WAIT_MS * 1000};
  long cpu = thread_cpu_us();
  out("unasked.select_except_only %d %d", select(d + 1, NULL, NULL, &x, &tv), FD_ISSET(d, &x));
  spin_check("unasked.select", cpu);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLPRI | EPOLLRDHUP};
  epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev);
  cpu = thread_cpu_us();
  out_val("unasked.epoll_pri_rdhup_only", epoll_wait(ep, &ev, 1, WAIT_MS));
  spin_check("unasked.epoll", cpu);
  close(ep);
  /* Still there for whoever asks for it. */
  char m[MASKBUF];
  struct pollfd p = {d, POLLIN | POLLPRI, 0};
  out("unasked.poll_in %d %s", poll(&p, 1, 0), mask_str((uint16_t)p.revents, m));
  close(d);
  peer_cmd("close");
}

static void bad_descriptors(void)
{
  char m[MASKBUF];
  int s = tcp_socket();
  close(s); /* s is now a closed number */
  struct pollfd p[2] = {{s, POLLIN, 0}, {-1, POLLIN, 0}};
  out("bad.poll_closed %d %s", poll(p, 1, 0), mask_str((uint16_t)p[0].revents, m));
  p[0].revents = 0;
  struct timespec zero = {0, 0};
  out("bad.ppoll_closed %d %s", ppoll(p, 1, &zero, NULL), mask_str((uint16_t)p[0].revents, m));
  out("bad.poll_negative %d %s", poll(&p[1], 1, 0), mask_str((uint16_t)p[1].revents, m));
  fd_set r;
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timeval tv = {0, 0};
  out_rc("bad.select_closed", select(s + 1, &r, NULL, NULL, &tv));
  FD_ZERO(&r);
  FD_SET(s, &r);
  out_rc("bad.pselect_closed", pselect(s + 1, &r, NULL, NULL, &zero, NULL));
  out_val("bad.poll_nothing", poll(NULL, 0, 10));
  /* A closed socket among live ones: only it is POLLNVAL. */
  int d = data_conn("bad");
  if (d < 0)
    return;
  struct pollfd q[2] = {{d, POLLIN | POLLOUT, 0}, {s, POLLIN, 0}};
  wait_events(d, POLLOUT, 3000);
  int n = poll(q, 2, 0);
  out("bad.poll_live_and_closed %d %s", n, mask_str((uint16_t)q[0].revents, m));
  out("bad.poll_live_and_closed.closed %s", mask_str((uint16_t)q[1].revents, m));
  close(d);
  peer_cmd("close");
}

static volatile sig_atomic_t usr1_count;
static void on_usr1(int sig)
{
  (void)sig;
  usr1_count = usr1_count + 1;
}

static void sigmasks(void)
{
  int d = data_conn("sigmask");
  if (d < 0)
    return;
  struct sigaction sa, old_sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, &old_sa);
  sigset_t block, old, unblocked;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  pthread_sigmask(SIG_SETMASK, NULL, &unblocked);
  sigdelset(&unblocked, SIGUSR1);
  struct timespec zero = {0, 0}, three = {3, 0};
  struct pollfd p = {d, POLLIN, 0};
  fd_set r;

  usr1_count = 0;
  raise(SIGUSR1);
  out_val("sigmask.ppoll_keeps_blocked", ppoll(&p, 1, &zero, &block));
  out("sigmask.ppoll_handler_ran %d", (int)usr1_count);
  out_rc("sigmask.ppoll_unblocks", ppoll(&p, 1, &three, &unblocked));
  out("sigmask.ppoll_handler_ran_after %d", (int)usr1_count);

  usr1_count = 0;
  raise(SIGUSR1);
  FD_ZERO(&r);
  FD_SET(d, &r);
  out_val("sigmask.pselect_keeps_blocked", pselect(d + 1, &r, NULL, NULL, &zero, &block));
  out("sigmask.pselect_handler_ran %d", (int)usr1_count);
  FD_ZERO(&r);
  FD_SET(d, &r);
  out_rc("sigmask.pselect_unblocks", pselect(d + 1, &r, NULL, NULL, &three, &unblocked));
  out("sigmask.pselect_handler_ran_after %d", (int)usr1_count);

  /* Data wakes a ppoll and a pselect that keep the signal blocked. */
  peer_cmd("send 2");
  out_val("sigmask.ppoll_data", ppoll(&p, 1, &three, &block));
  FD_ZERO(&r);
  FD_SET(d, &r);
  out_val("sigmask.pselect_data", pselect(d + 1, &r, NULL, NULL, &three, &block));
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  sigaction(SIGUSR1, &old_sa, NULL);
  close(d);
  peer_cmd("close");
}

static void show_mixed(const char *label, int fds[4])
{
  static const char *names[4] = {"pipe", "eventfd", "unix", "tcp"};
  char line[256], m[MASKBUF];
  struct pollfd p[4];
  for (int i = 0; i < 4; i++)
    p[i] = (struct pollfd){fds[i], POLLIN, 0};
  int n = poll(p, 4, 0);
  size_t len = (size_t)snprintf(line, sizeof line, "%d", n);
  for (int i = 0; i < 4; i++)
    len += (size_t)snprintf(line + len, sizeof line - len, " %s:%s", names[i],
                            mask_str((uint16_t)p[i].revents, m));
  out("%s.poll %s", label, line);
  struct timespec zero = {0, 0};
  for (int i = 0; i < 4; i++)
    p[i].revents = 0;
  n = ppoll(p, 4, &zero, NULL);
  len = (size_t)snprintf(line, sizeof line, "%d", n);
  for (int i = 0; i < 4; i++)
    len += (size_t)snprintf(line + len, sizeof line - len, " %s:%s", names[i],
                            mask_str((uint16_t)p[i].revents, m));
  out("%s.ppoll %s", label, line);
  for (int k = 0; k < 2; k++) {
    fd_set r;
    FD_ZERO(&r);
    int max = 0;
    for (int i = 0; i < 4; i++) {
      FD_SET(fds[i], &r);
      max = fds[i] > max ? fds[i] : max;
    }
    struct timeval tv = {0, 0};
    n = k == 0 ? select(max + 1, &r, NULL, NULL, &tv)
               : pselect(max + 1, &r, NULL, NULL, &zero, NULL);
    len = (size_t)snprintf(line, sizeof line, "%d", n);
    for (int i = 0; i < 4; i++)
      if (FD_ISSET(fds[i], &r))
        len += (size_t)snprintf(line + len, sizeof line - len, " %s", names[i]);
    out("%s.%s %s", label, k == 0 ? "select" : "pselect", line);
  }
}

static void mixed(void)
{
  int d = data_conn("mixed");
  if (d < 0)
    return;
  int pfd[2], sv[2];
  char buf[16];
  if (pipe(pfd) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    return;
  int efd = eventfd(0, EFD_NONBLOCK);
  int fds[4] = {pfd[0], efd, sv[0], d};
  show_mixed("mixed.idle", fds);
  write(pfd[1], "p", 1);
  eventfd_write(efd, 1);
  show_mixed("mixed.pipe_eventfd", fds);
  write(sv[1], "u", 1);
  peer_cmd("send 1");
  wait_inq(d, 1, 3000);
  show_mixed("mixed.all", fds);
  eventfd_t v;
  eventfd_read(efd, &v);
  read(pfd[0], buf, sizeof buf);
  read(sv[0], buf, sizeof buf);
  show_mixed("mixed.socket_only", fds);
  read(d, buf, sizeof buf);
  show_mixed("mixed.drained", fds);
  /* Blocking waits woken by the socket alone, then by the pipe alone. */
  peer_cmd("send 1");
  struct pollfd p[4];
  for (int i = 0; i < 4; i++)
    p[i] = (struct pollfd){fds[i], POLLIN, 0};
  out_val("mixed.poll_wait_socket", poll(p, 4, 3000));
  out("mixed.poll_wait_socket_ready %d", (p[3].revents & POLLIN) != 0);
  read(d, buf, sizeof buf);
  write(pfd[1], "p", 1);
  fd_set r;
  FD_ZERO(&r);
  int max = 0;
  for (int i = 0; i < 4; i++) {
    FD_SET(fds[i], &r);
    max = fds[i] > max ? fds[i] : max;
  }
  struct timeval tv = {3, 0};
  out_val("mixed.select_wait_pipe", select(max + 1, &r, NULL, NULL, &tv));
  out("mixed.select_wait_pipe_ready %d %d", FD_ISSET(pfd[0], &r), FD_ISSET(d, &r));
  close(efd);
  close(pfd[0]);
  close(pfd[1]);
  close(sv[0]);
  close(sv[1]);
  close(d);
  peer_cmd("close");
}

const struct scenario poll_scenarios[] = {
    {"unasked", unasked_events, ON_BOTH, 0},
    {"bad", bad_descriptors, ON_BOTH, 0},
    {"sigmask", sigmasks, ON_BOTH, 0},
    {"mixed", mixed, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
