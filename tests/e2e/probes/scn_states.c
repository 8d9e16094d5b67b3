/* Readiness in each socket state, as epoll (level-triggered), poll,
 * ppoll, select and pselect report it: unconnected, listening with and
 * without a pending connection, connecting, connected, refused, idle,
 * data pending, drained, after the peer's SHUT_WR and close, after a
 * reset, with a full send buffer; UDP too.  Every state is reached by
 * waiting (bounded) for the event that marks it, then all five are asked
 * with a zero timeout. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define ASKED_EPOLL (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP)
#define ASKED_POLL (POLLIN | POLLOUT | POLLPRI | POLLRDHUP)

static void show_epoll(const char *label, int fd)
{
  char m[MASKBUF];
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = ASKED_EPOLL, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
    out("%s epoll_ctl err %s", label, errname(errno));
  } else {
    struct epoll_event got;
    int n = epoll_wait(ep, &got, 1, 0);
    if (n < 0)
      out("%s epoll err %s", label, errname(errno));
    else
      out("%s epoll %s", label, mask_str(n ? got.events : 0, m));
  }
  close(ep);
}

static void show_poll(const char *label, int fd)
{
  char m[MASKBUF];
  struct pollfd p = {fd, ASKED_POLL, 0};
  int n = poll(&p, 1, 0);
  if (n < 0)
    out("%s poll err %s", label, errname(errno));
  else
    out("%s poll %d %s", label, n, mask_str((uint16_t)p.revents, m));
  struct timespec zero = {0, 0};
  p.revents = 0;
  n = ppoll(&p, 1, &zero, NULL);
  if (n < 0)
    out("%s ppoll err %s", label, errname(errno));
  else
    out("%s ppoll %d %s", label, n, mask_str((uint16_t)p.revents, m));
}

static void show_select(const char *label, int fd, bool with_pselect)
{
  fd_set r, w, x;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&x);
  FD_SET(fd, &r);
  FD_SET(fd, &w);
  FD_SET(fd, &x);
  int n;
  if (with_pselect) {
    struct timespec zero = {0, 0};
    n = pselect(fd + 1, &r, &w, &x, &zero, NULL);
  } else {
    struct timeval zero = {0, 0};
    n = select(fd + 1, &r, &w, &x, &zero);
  }
  const char *name = with_pselect ? "pselect" : "select";
  if (n < 0)
    out("%s %s err %s", label, name, errname(errno));
  else
    out("%s %s %d %c%c%c", label, name, n, FD_ISSET(fd, &r) ? 'r' : '-',
        FD_ISSET(fd, &w) ? 'w' : '-', FD_ISSET(fd, &x) ? 'x' : '-');
}

/* The five views of one descriptor, one line each. */
static void show(const char *label, int fd)
{
  show_epoll(label, fd);
  show_poll(label, fd);
  show_select(label, fd, false);
  show_select(label, fd, true);
}

static void show_so_error(const char *label, int fd)
{
  int err = -1;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    out("%s err %s", label, errname(errno));
  else
    out("%s %s", label, err ? errname(err) : "0");
}

static void st_unconnected(void)
{
  int s = tcp_socket();
  show("unconnected", s);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = local_addr();
  bind(s, (struct sockaddr *)&a, sizeof a);
  show("bound", s);
  shutdown(s, SHUT_RDWR);
  show("unconnected_after_shutdown", s);
  close(s);
}

static void st_listener(void)
{
  int l = tcp_socket();
  struct sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0 ||
      getsockname(l, (struct sockaddr *)&a, &len) < 0) {
    out("listener setup err %s", errname(errno));
    return;
  }
  show("listener_idle", l);
  peer_show("listener.peer_connect", "connectback %d", ntohs(a.sin_port));
  wait_events(l, POLLIN, 3000);
  show("listener_pending", l);
  int c = accept(l, NULL, NULL);
  out_rc("listener.accept", c);
  show("listener_after_accept", l);
  show("accepted_idle", c);
  close(c);
  peer_cmd("close");
  close(l);
}

/* SYN_SENT toward an address that never answers (TAP only: on 127.0.0.1
 * every address answers). */
static void st_connecting(void)
{
  int s = tcp_socket();
  set_nonblock(s, true);
  struct sockaddr_in a = peer_at(P.dport);
  inet_pton(AF_INET, BLACKHOLE_IP, &a.sin_addr);
  out_rc("connecting.connect", connect(s, (struct sockaddr *)&a, sizeof a));
  show("connecting", s);
  show_so_error("connecting.so_error", s);
  out_rc("connecting.connect_again", connect(s, (struct sockaddr *)&a, sizeof a));
  close(s);
}

static void st_connect_done(void)
{
  int s = tcp_socket();
  set_nonblock(s, true);
  struct sockaddr_in a = peer_at(P.dport);
  out_rc("connected.connect", connect(s, (struct sockaddr *)&a, sizeof a));
  peer_show("connected.peer_accept", "accept");
  wait_events(s, POLLOUT, 3000);
  show("connected", s);
  show_so_error("connected.so_error", s);
  out_rc("connected.connect_again", connect(s, (struct sockaddr *)&a, sizeof a));
  close(s);
  peer_cmd("close");
}

static void st_refused(void)
{
  int s = tcp_socket();
  set_nonblock(s, true);
  struct sockaddr_in a = peer_at(P.rport);
  out_rc("refused.connect", connect(s, (struct sockaddr *)&a, sizeof a));
  wait_events(s, POLLERR, 3000);
  show("refused", s);
  show_so_error("refused.so_error", s);
  show("refused_after_so_error", s);
  out_rc("refused.connect_again", connect(s, (struct sockaddr *)&a, sizeof a));
  close(s);
}

static void st_established(void)
{
  int d = data_conn("established");
  if (d < 0)
    return;
  char buf[64];
  wait_events(d, POLLOUT, 3000);
  show("established_idle", d);
  peer_cmd("send 10");
  wait_inq(d, 10, 3000);
  show("data_pending", d);
  out_val("data_pending.read_part", read(d, buf, 4));
  show("data_partly_read", d);
  out_val("data_pending.read_rest", read(d, buf, sizeof buf));
  show("drained", d);
  peer_cmd("shutwr");
  wait_events(d, POLLRDHUP, 3000);
  show("peer_shut_wr", d);
  out_val("peer_shut_wr.read", read(d, buf, sizeof buf));
  show("peer_shut_wr_eof_read", d);
  out_rc("peer_shut_wr.shutdown_wr", shutdown(d, SHUT_WR));
  show("both_shut", d);
  close(d);
  peer_cmd("close");
}

static void st_peer_close(void)
{
  int d = data_conn("peer_close");
  if (d < 0)
    return;
  char buf[16];
  peer_cmd("close");
  wait_events(d, POLLRDHUP, 3000);
  show("peer_closed", d);
  out_val("peer_closed.write", write(d, "x", 1));
  wait_events(d, POLLERR, 3000);
  show("peer_closed_after_write", d);
  out_val("peer_closed.write_again", write(d, "x", 1));
  show("peer_closed_after_second_write", d);
  out_val("peer_closed.read", read(d, buf, sizeof buf));
  close(d);
}

static void st_reset(void)
{
  int d = data_conn("reset");
  if (d < 0)
    return;
  char buf[16];
  peer_cmd("reset");
  wait_events(d, POLLERR, 3000);
  show("reset", d);
  out_val("reset.read", read(d, buf, sizeof buf));
  show("reset_after_read", d);
  out_val("reset.read_again", read(d, buf, sizeof buf));
  out_val("reset.write", write(d, "x", 1));
  show_so_error("reset.so_error", d);
  close(d);
}

static void st_full(void)
{
  int d = data_conn("full");
  if (d < 0)
    return;
  uint64_t h;
  long n = fill_send_buffer(d, &h);
  out("full.filled %d", n > 0);
  out_rc("full.write", write(d, "x", 1));
  show("send_buffer_full", d);
  /* The peer reads everything: room comes back. */
  if (line_write(P.ctl, "recvall") < 0)
    return;
  wait_events(d, POLLOUT, 5000);
  show("send_buffer_drained", d);
  set_nonblock(d, false);
  shutdown(d, SHUT_WR);
  char line[256], want[256];
  snprintf(want, sizeof want, "count %ld fnv %016llx", n, (unsigned long long)h);
  if (line_read(&P.lb, line, sizeof line) < 0)
    strcpy(line, "control connection lost");
  out("full.peer_got_everything %s", strcmp(line, want) == 0 ? "yes" : line);
  close(d);
  peer_cmd("close");
}

static void st_udp(void)
{
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  show("udp_unbound", u);
  struct sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  bind(u, (struct sockaddr *)&a, sizeof a);
  getsockname(u, (struct sockaddr *)&a, &len);
  show("udp_bound", u);
  peer_cmd("udpsend %d 10", ntohs(a.sin_port));
  wait_events(u, POLLIN, 3000);
  show("udp_datagram_queued", u);
  char buf[64];
  out_val("udp.recv", recv(u, buf, sizeof buf, 0));
  show("udp_drained", u);
  close(u);
}

const struct scenario states_scenarios[] = {
    {"unconnected", st_unconnected, ON_BOTH, 0},
    {"listener", st_listener, ON_BOTH, 0},
    {"connecting", st_connecting, ON_TAP, 0},
    {"connected", st_connect_done, ON_BOTH, 0},
    {"refused", st_refused, ON_BOTH, 0},
    {"established", st_established, ON_BOTH, 0},
    {"peer_close", st_peer_close, ON_BOTH, 0},
    {"reset", st_reset, ON_BOTH, 0},
    {"full", st_full, ON_BOTH, 20},
    {"udp", st_udp, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
