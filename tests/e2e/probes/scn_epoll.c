/* epoll beyond plain readiness: level and edge triggering, EPOLLONESHOT,
 * EPOLLEXCLUSIVE, epoll_ctl's errors, one socket in two sets, an epoll
 * set inside poll() and inside another set, sockets closed or duplicated
 * while registered, epoll_pwait's signal mask, and a set that mixes a
 * socket with a pipe, an eventfd and an AF_UNIX socketpair. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Ready events now (timeout 0): "N TAG:MASK ..." sorted by tag. */
static void show_wait(const char *label, int ep, int timeout)
{
  struct epoll_event ev[8];
  char m[MASKBUF], line[512];
  int n = epoll_wait(ep, ev, 8, timeout);
  if (n < 0) {
    out("%s err %s", label, errname(errno));
    return;
  }
  /* Sort by tag so that the order the kernel reports in does not matter. */
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && ev[j - 1].data.u32 > ev[j].data.u32; j--) {
      struct epoll_event t = ev[j];
      ev[j] = ev[j - 1];
      ev[j - 1] = t;
    }
  size_t len = (size_t)snprintf(line, sizeof line, "%d", n);
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(line + len, sizeof line - len, " %u:%s", ev[i].data.u32,
                            mask_str(ev[i].events, m));
  out("%s %s", label, line);
}

static int ep_add(int ep, int fd, uint32_t events, uint32_t tag)
{
  struct epoll_event ev = {.events = events, .data.u32 = tag};
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(int ep, int fd, uint32_t events, uint32_t tag)
{
  struct epoll_event ev = {.events = events, .data.u32 = tag};
  return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static int unused_fd(void)
{
  int fd = open("/dev/null", O_RDONLY);
  close(fd);
  return fd;
}

static void ep_ctl_errors(void)
{
  int ep = epoll_create1(0);
  int s = tcp_socket(), s2 = tcp_socket();
  char tmpl[] = "/tmp/sockapi_probe.XXXXXX";
  int file = mkstemp(tmpl);
  unlink(tmpl);
  int unused = unused_fd(); /* after every other open */
  out_rc("ctl.add", ep_add(ep, s, EPOLLIN, 1));
  out_rc("ctl.add_again", ep_add(ep, s, EPOLLIN, 1));
  out_rc("ctl.mod_unregistered", ep_mod(ep, s2, EPOLLIN, 2));
  out_rc("ctl.del_unregistered", epoll_ctl(ep, EPOLL_CTL_DEL, s2, NULL));
  out_rc("ctl.add_unused_fd", ep_add(ep, unused, EPOLLIN, 3));
  out_rc("ctl.unused_epfd", ep_add(unused, s2, EPOLLIN, 3));
  out_rc("ctl.add_epfd_to_itself", ep_add(ep, ep, EPOLLIN, 3));
  out_rc("ctl.add_regular_file", ep_add(ep, file, EPOLLIN, 3));
  struct epoll_event ev = {.events = EPOLLIN};
  out_rc("ctl.bad_op", epoll_ctl(ep, 99, s2, &ev));
  out_rc("ctl.socket_as_epfd", ep_add(s, s2, EPOLLIN, 3));
  out_rc("ctl.wait_maxevents_0", epoll_wait(ep, &ev, 0, 0));
  out_rc("ctl.wait_on_socket", epoll_wait(s, &ev, 1, 0));
  out_rc("ctl.create_size_0", epoll_create(0));
  out_rc("ctl.create1_bad_flags", epoll_create1(0x1234));
  out_rc("ctl.mod", ep_mod(ep, s, EPOLLOUT, 1));
  show_wait("ctl.wait_after_mod", ep, 0);
  out_rc("ctl.del", epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));
  out_rc("ctl.del_again", epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));
  show_wait("ctl.wait_after_del", ep, 0);
  close(file);
  close(s);
  close(s2);
  close(ep);
}

static void ep_exclusive(void)
{
  int ep = epoll_create1(0), inner = epoll_create1(0);
  int s = tcp_socket(), s2 = tcp_socket(), s3 = tcp_socket();
  out_rc("exclusive.add", ep_add(ep, s, EPOLLIN | EPOLLEXCLUSIVE, 1));
  out_rc("exclusive.mod", ep_mod(ep, s, EPOLLIN, 1));
  out_rc("exclusive.add_with_oneshot", ep_add(ep, s2, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 2));
  out_rc("exclusive.add_with_rdhup", ep_add(ep, s2, EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE, 2));
  out_rc("exclusive.add_plain", ep_add(ep, s3, EPOLLIN, 3));
  out_rc("exclusive.mod_to_exclusive", ep_mod(ep, s3, EPOLLIN | EPOLLEXCLUSIVE, 3));
  out_rc("exclusive.add_epoll_fd", ep_add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 4));
  close(s);
  close(s2);
  close(s3);
  close(inner);
  close(ep);
  /* An exclusive registration still reports its events. */
  int d = data_conn("exclusive");
  if (d < 0)
    return;
  ep = epoll_create1(0);
  out_rc("exclusive.add_connected", ep_add(ep, d, EPOLLIN | EPOLLEXCLUSIVE, 5));
  show_wait("exclusive.idle", ep, 0);
  peer_cmd("send 4");
  wait_events(d, POLLIN, 3000);
  show_wait("exclusive.data", ep, 0);
  close(ep);
  close(d);
  peer_cmd("close");
}

static void ep_level(void)
{
  int d = data_conn("level");
  if (d < 0)
    return;
  char buf[64];
  int ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 1);
  wait_events(d, POLLOUT, 3000);
  show_wait("level.idle", ep, 0);
  peer_cmd("send 6");
  wait_inq(d, 6, 3000);
  show_wait("level.data", ep, 0);
  show_wait("level.data_again", ep, 0);
  out_val("level.read_part", read(d, buf, 3));
  show_wait("level.partly_read", ep, 0);
  out_val("level.read_rest", read(d, buf, sizeof buf));
  show_wait("level.drained", ep, 0);
  peer_cmd("shutwr");
  wait_events(d, POLLRDHUP, 3000);
  show_wait("level.peer_shut_wr", ep, 0);
  show_wait("level.peer_shut_wr_again", ep, 0);
  close(ep);
  close(d);
  peer_cmd("close");
}

static void ep_edge(void)
{
  int d = data_conn("edge");
  if (d < 0)
    return;
  char buf[64];
  int ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN | EPOLLRDHUP | EPOLLET, 1);
  show_wait("edge.idle", ep, 0);
  peer_cmd("send 5");
  wait_inq(d, 5, 3000);
  show_wait("edge.data", ep, 0);
  show_wait("edge.no_new_edge", ep, 0);
  out_val("edge.read_part", read(d, buf, 2));
  show_wait("edge.after_partial_read", ep, 0);
  peer_cmd("send 5");
  wait_inq(d, 8, 3000);
  show_wait("edge.more_data_undrained", ep, 0);
  show_wait("edge.no_new_edge_again", ep, 0);
  out_val("edge.read_all", read(d, buf, sizeof buf));
  show_wait("edge.drained", ep, 0);
  peer_cmd("shutwr");
  wait_events(d, POLLRDHUP, 3000);
  show_wait("edge.peer_shut_wr", ep, 0);
  show_wait("edge.peer_shut_wr_again", ep, 0);
  close(ep);
  close(d);
  peer_cmd("close");
}

static void ep_oneshot(void)
{
  int d = data_conn("oneshot");
  if (d < 0)
    return;
  char buf[64];
  int ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN | EPOLLONESHOT, 1);
  show_wait("oneshot.idle", ep, 0);
  peer_cmd("send 5");
  wait_inq(d, 5, 3000);
  show_wait("oneshot.data", ep, 0);
  show_wait("oneshot.disabled", ep, 0);
  peer_cmd("send 5");
  wait_inq(d, 10, 3000);
  show_wait("oneshot.disabled_more_data", ep, 0);
  out_rc("oneshot.mod_rearm", ep_mod(ep, d, EPOLLIN | EPOLLONESHOT, 2));
  show_wait("oneshot.rearmed", ep, 0);
  show_wait("oneshot.disabled_again", ep, 0);
  out_val("oneshot.read", read(d, buf, sizeof buf));
  out_rc("oneshot.mod_rearm_drained", ep_mod(ep, d, EPOLLIN | EPOLLONESHOT, 3));
  show_wait("oneshot.rearmed_drained", ep, 0);
  peer_cmd("send 5");
  wait_inq(d, 5, 3000);
  show_wait("oneshot.rearmed_new_data", ep, 0);
  show_wait("oneshot.after_new_data", ep, 0);
  close(ep);
  close(d);
  peer_cmd("close");
}

static void ep_two_sets(void)
{
  int d = data_conn("two_sets");
  if (d < 0)
    return;
  int a = epoll_create1(0), b = epoll_create1(0);
  out_rc("two_sets.add_first", ep_add(a, d, EPOLLIN, 1));
  out_rc("two_sets.add_second", ep_add(b, d, EPOLLIN | EPOLLET, 2));
  show_wait("two_sets.first_idle", a, 0);
  peer_cmd("send 3");
  wait_inq(d, 3, 3000);
  show_wait("two_sets.first", a, 0);
  show_wait("two_sets.second", b, 0);
  out_rc("two_sets.del_first", epoll_ctl(a, EPOLL_CTL_DEL, d, NULL));
  show_wait("two_sets.first_after_del", a, 0);
  peer_cmd("send 3");
  wait_inq(d, 6, 3000);
  show_wait("two_sets.second_after_del_first", b, 0);
  close(a);
  close(b);
  close(d);
  peer_cmd("close");
}

static void ep_nested(void)
{
  int d = data_conn("nested");
  if (d < 0)
    return;
  char buf[16], m[MASKBUF];
  int inner = epoll_create1(0), outer = epoll_create1(0);
  ep_add(inner, d, EPOLLIN, 1);
  out_rc("nested.add_inner_to_outer", ep_add(outer, inner, EPOLLIN, 2));
  struct pollfd p = {inner, POLLIN, 0};
  out("nested.poll_inner_idle %d %s", poll(&p, 1, 0), mask_str((uint16_t)p.revents, m));
  show_wait("nested.outer_idle", outer, 0);
  peer_cmd("send 3");
  wait_inq(d, 3, 3000);
  p.revents = 0;
  out("nested.poll_inner_ready %d %s", poll(&p, 1, 0), mask_str((uint16_t)p.revents, m));
  show_wait("nested.outer_ready", outer, 0);
  show_wait("nested.inner_ready", inner, 0);
  out_val("nested.read", read(d, buf, sizeof buf));
  p.revents = 0;
  out("nested.poll_inner_drained %d %s", poll(&p, 1, 0), mask_str((uint16_t)p.revents, m));
  show_wait("nested.outer_drained", outer, 0);
  close(outer);
  close(inner);
  close(d);
  peer_cmd("close");
}

static void ep_closed_while_registered(void)
{
  /* The only reference closed: the registration goes with the socket. */
  int d = data_conn("closed");
  if (d < 0)
    return;
  int ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN, 1);
  peer_cmd("send 3");
  wait_inq(d, 3, 3000);
  show_wait("closed.ready", ep, 0);
  close(d);
  show_wait("closed.after_close", ep, 0);
  peer_cmd("close");
  close(ep);
  /* A copy stays open: Linux keeps reporting the closed number's
   * registration, which can no longer be deleted through that number. */
  d = data_conn("closed");
  if (d < 0)
    return;
  ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN, 2);
  int e = dup(d);
  peer_cmd("send 3");
  wait_inq(e, 3, 3000);
  close(d);
  show_wait("closed.copy_open", ep, 0);
  out_rc("closed.del_closed_number", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
  out_rc("closed.del_copy_number", epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL));
  close(e);
  show_wait("closed.copy_closed", ep, 0);
  close(ep);
  peer_cmd("close");
}

static void ep_dup_both(void)
{
  int d = data_conn("dup_both");
  if (d < 0)
    return;
  char buf[16];
  int e = dup(d);
  int ep = epoll_create1(0);
  out_rc("dup_both.add_original", ep_add(ep, d, EPOLLIN, 1));
  out_rc("dup_both.add_copy", ep_add(ep, e, EPOLLIN, 2));
  show_wait("dup_both.idle", ep, 0);
  peer_cmd("send 3");
  wait_inq(d, 3, 3000);
  show_wait("dup_both.data", ep, 0);
  out_rc("dup_both.del_copy", epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL));
  show_wait("dup_both.after_del_copy", ep, 0);
  out_val("dup_both.read", read(e, buf, sizeof buf));
  show_wait("dup_both.drained", ep, 0);
  close(ep);
  close(e);
  close(d);
  peer_cmd("close");
}

static volatile sig_atomic_t usr1_count;
static void on_usr1(int sig)
{
  (void)sig;
  usr1_count = usr1_count + 1;
}

static void ep_pwait_sigmask(void)
{
  int d = data_conn("pwait");
  if (d < 0)
    return;
  int ep = epoll_create1(0);
  ep_add(ep, d, EPOLLIN, 1);
  struct sigaction sa, old_sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, &old_sa);
  sigset_t block, old, unblocked;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  usr1_count = 0;
  raise(SIGUSR1); /* pending while blocked */
  struct epoll_event ev;
  out_val("pwait.mask_blocks_pending", epoll_pwait(ep, &ev, 1, 0, &block));
  out("pwait.handler_ran %d", (int)usr1_count);
  pthread_sigmask(SIG_SETMASK, NULL, &unblocked);
  sigdelset(&unblocked, SIGUSR1);
  out_rc("pwait.mask_unblocks_pending", epoll_pwait(ep, &ev, 1, 3000, &unblocked));
  out("pwait.handler_ran_after %d", (int)usr1_count);
  peer_cmd("send 2");
  wait_inq(d, 2, 3000);
  out_val("pwait.data_with_mask", epoll_pwait(ep, &ev, 1, 3000, &block));
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  sigaction(SIGUSR1, &old_sa, NULL);
  close(ep);
  close(d);
  peer_cmd("close");
}

static void ep_mixed(void)
{
  int d = data_conn("mixed");
  if (d < 0)
    return;
  int pfd[2], sv[2];
  char buf[16];
  if (pipe(pfd) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    return;
  int efd = eventfd(0, EFD_NONBLOCK);
  int ep = epoll_create1(0);
  ep_add(ep, pfd[0], EPOLLIN, 1);
  ep_add(ep, efd, EPOLLIN, 2);
  ep_add(ep, sv[0], EPOLLIN, 3);
  ep_add(ep, d, EPOLLIN, 4);
  show_wait("mixed.idle", ep, 0);
  out_val("mixed.pipe_write", write(pfd[1], "p", 1));
  show_wait("mixed.pipe", ep, 0);
  out_rc("mixed.eventfd_write", eventfd_write(efd, 1));
  show_wait("mixed.pipe_eventfd", ep, 0);
  out_val("mixed.unix_write", write(sv[1], "u", 1));
  show_wait("mixed.pipe_eventfd_unix", ep, 0);
  peer_cmd("send 1");
  wait_inq(d, 1, 3000);
  show_wait("mixed.all", ep, 0);
  out_val("mixed.read_socket", read(d, buf, sizeof buf));
  show_wait("mixed.socket_drained", ep, 0);
  eventfd_t v;
  eventfd_read(efd, &v);
  read(pfd[0], buf, sizeof buf);
  read(sv[0], buf, sizeof buf);
  show_wait("mixed.all_drained", ep, 0);
  /* Blocking wait woken by the socket alone. */
  peer_cmd("send 1");
  show_wait("mixed.wait_for_socket", ep, 3000);
  close(ep);
  close(efd);
  close(pfd[0]);
  close(pfd[1]);
  close(sv[0]);
  close(sv[1]);
  close(d);
  peer_cmd("close");
}

const struct scenario epoll_scenarios[] = {
    {"ctl", ep_ctl_errors, ON_BOTH, 0},    {"exclusive", ep_exclusive, ON_BOTH, 0},
    {"level", ep_level, ON_BOTH, 0},       {"edge", ep_edge, ON_BOTH, 0},
    {"oneshot", ep_oneshot, ON_BOTH, 0},   {"two_sets", ep_two_sets, ON_BOTH, 0},
    {"nested", ep_nested, ON_BOTH, 0},     {"closed", ep_closed_while_registered, ON_BOTH, 0},
    {"dup_both", ep_dup_both, ON_BOTH, 0}, {"pwait", ep_pwait_sigmask, ON_BOTH, 0},
    {"mixed", ep_mixed, ON_BOTH, 0},       {NULL, NULL, 0, 0},
};
