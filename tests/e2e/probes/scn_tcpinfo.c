/* TCP_INFO fields both stacks must agree on (state, MSS both ways, the
 * negotiated options, no retransmissions and the Open congestion state on
 * a clean link), TCP_CONGESTION, and the queue ioctls (SIOCINQ/FIONREAD,
 * SIOCOUTQ, SIOCATMARK) in states where their values are stable. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int tcp_state(int fd)
{
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
    return -1;
  return ti.tcpi_state;
}

static void show_state(const char *label, int fd)
{
  int st = tcp_state(fd);
  if (st < 0)
    out("%s.state err %s", label, errname(errno));
  else
    out("%s.state %s", label, tcp_state_name(st));
}

/* Wait up to 3 s for the connection to reach state want, then print. */
static void await_state(const char *label, int fd, int want)
{
  for (int i = 0; i < 300 && tcp_state(fd) != want && tcp_state(fd) >= 0; i++)
    sleep_ms(10);
  show_state(label, fd);
}

static void show_info(const char *label, int fd)
{
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) {
    out("%s.tcp_info err %s", label, errname(errno));
    return;
  }
  out("%s.state %s", label, tcp_state_name(ti.tcpi_state));
  if (P.tap) {
    out("%s.snd_mss %u", label, ti.tcpi_snd_mss);
    out("%s.rcv_mss %u", label, ti.tcpi_rcv_mss);
  } else { /* see cmd_info in probe_server.c */
    out("%s.snd_mss_in_range %d", label, mss_in_range(ti.tcpi_snd_mss));
    out("%s.rcv_mss_in_range %d", label, mss_in_range(ti.tcpi_rcv_mss));
  }
  out("%s.options %s%s%s", label, (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) ? "TS " : "",
      (ti.tcpi_options & TCPI_OPT_SACK) ? "SACK " : "",
      (ti.tcpi_options & TCPI_OPT_WSCALE) ? "WSCALE" : "");
  out("%s.total_retrans %u", label, ti.tcpi_total_retrans);
  out("%s.ca_state %u", label, ti.tcpi_ca_state);
}

static int outq(int fd)
{
  int v = -1;
  if (ioctl(fd, SIOCOUTQ, &v) < 0)
    return -1;
  return v;
}

static void await_outq_empty(int fd)
{
  for (int i = 0; i < 300 && outq(fd) > 0; i++)
    sleep_ms(10);
}

static void info_established(void)
{
  int d = data_conn("info");
  if (d < 0)
    return;
  static unsigned char buf[100000];
  /* Full-sized segments both ways, so that both MSS figures are final. */
  peer_cmd("sendasync 100000");
  out_val("info.read", read_full(d, buf, sizeof buf));
  pattern_fill(buf, 0, 4000);
  write_full(d, buf, 4000);
  peer_show("info.peer_recv", "echo 4000");
  out_val("info.read_echo", read_full(d, buf, 4000));
  await_outq_empty(d);
  show_info("info", d);
  peer_show("info.peer", "info");
  close(d);
  peer_cmd("close");
}

static void info_states(void)
{
  int s = tcp_socket();
  show_state("states.unconnected", s);
  struct sockaddr_in a = local_addr();
  bind(s, (struct sockaddr *)&a, sizeof a);
  listen(s, 1);
  show_state("states.listener", s);
  close(s);
  /* We close first: FIN_WAIT2, then TIME_WAIT, which TCP_INFO of the
   * application's socket shows as CLOSE (a separate TIME_WAIT entry holds
   * the connection). */
  int d = data_conn("states");
  if (d < 0)
    return;
  show_state("states.connected", d);
  shutdown(d, SHUT_WR);
  await_state("states.after_shutdown", d, TCP_FIN_WAIT2);
  peer_cmd("shutwr");
  await_state("states.after_both", d, TCP_CLOSE);
  close(d);
  peer_cmd("close");
  /* The peer closes first: CLOSE_WAIT, then LAST_ACK, then CLOSE. */
  d = data_conn("states");
  if (d < 0)
    return;
  peer_cmd("shutwr");
  await_state("states.peer_shut_wr", d, TCP_CLOSE_WAIT);
  shutdown(d, SHUT_WR);
  await_state("states.then_ours", d, TCP_CLOSE);
  close(d);
  peer_cmd("close");
  /* Reset by the peer. */
  d = data_conn("states");
  if (d < 0)
    return;
  peer_cmd("reset");
  wait_events(d, POLLERR, 3000);
  show_state("states.reset", d);
  close(d);
}

static void show_cong(const char *label, int fd)
{
  char name[32];
  socklen_t len = sizeof name;
  memset(name, 0, sizeof name);
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0)
    out("%s err %s", label, errname(errno));
  else
    out("%s %s", label, name);
}

static int set_cong(int fd, const char *name)
{
  return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)strlen(name));
}

static void congestion(void)
{
  int s = tcp_socket();
  out_rc("cong.set_reno", set_cong(s, "reno"));
  show_cong("cong.get_after_reno", s);
  out_rc("cong.set_cubic", set_cong(s, "cubic"));
  show_cong("cong.get_after_cubic", s);
  out_rc("cong.set_unknown", set_cong(s, "no-such-cc"));
  show_cong("cong.get_after_unknown", s);
  close(s);
  int d = data_conn("cong");
  if (d < 0)
    return;
  out_rc("cong.connected_set_reno", set_cong(d, "reno"));
  show_cong("cong.connected_get", d);
  /* Still a working connection. */
  write(d, "cc", 2);
  peer_show("cong.connected_peer", "read 2");
  out_rc("cong.connected_set_cubic", set_cong(d, "cubic"));
  show_cong("cong.connected_get_cubic", d);
  close(d);
  peer_cmd("close");
}

static void show_ioctl(const char *label, int fd, unsigned long req)
{
  int v = -1;
  if (ioctl(fd, req, &v) < 0)
    out("%s err %s", label, errname(errno));
  else
    out("%s %d", label, v);
}

static void queue_ioctls(void)
{
  int d = data_conn("ioctl");
  if (d < 0)
    return;
  char buf[128];
  wait_events(d, POLLOUT, 3000);
  show_ioctl("ioctl.idle_inq", d, SIOCINQ);
  show_ioctl("ioctl.idle_outq", d, SIOCOUTQ);
  show_ioctl("ioctl.idle_atmark", d, SIOCATMARK);
  peer_cmd("send 100");
  wait_inq(d, 100, 3000);
  show_ioctl("ioctl.fionread_100", d, FIONREAD);
  show_ioctl("ioctl.siocinq_100", d, SIOCINQ);
  show_ioctl("ioctl.atmark_with_data", d, SIOCATMARK);
  read_full(d, buf, 40);
  show_ioctl("ioctl.siocinq_after_reading_40", d, SIOCINQ);
  read_full(d, buf, 60);
  show_ioctl("ioctl.siocinq_drained", d, SIOCINQ);
  write(d, "0123456789", 10);
  peer_show("ioctl.peer", "read 10");
  await_outq_empty(d);
  show_ioctl("ioctl.outq_acked", d, SIOCOUTQ);
  peer_cmd("shutwr");
  wait_events(d, POLLRDHUP, 3000);
  show_ioctl("ioctl.inq_at_eof", d, SIOCINQ);
  close(d);
  peer_cmd("close");

  int l = tcp_socket();
  struct sockaddr_in a = local_addr();
  bind(l, (struct sockaddr *)&a, sizeof a);
  show_ioctl("ioctl.unconnected_inq", l, SIOCINQ);
  show_ioctl("ioctl.unconnected_outq", l, SIOCOUTQ);
  listen(l, 1);
  show_ioctl("ioctl.listener_inq", l, SIOCINQ);
  show_ioctl("ioctl.listener_outq", l, SIOCOUTQ);
  close(l);

  int u = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof a;
  a = local_addr();
  bind(u, (struct sockaddr *)&a, sizeof a);
  getsockname(u, (struct sockaddr *)&a, &len);
  show_ioctl("ioctl.udp_empty_fionread", u, FIONREAD);
  peer_cmd("udpsend %d 10 20", ntohs(a.sin_port));
  wait_events(u, POLLIN, 3000);
  show_ioctl("ioctl.udp_first_datagram", u, FIONREAD);
  recv(u, buf, sizeof buf, 0);
  show_ioctl("ioctl.udp_second_datagram", u, SIOCINQ);
  recv(u, buf, sizeof buf, 0);
  show_ioctl("ioctl.udp_drained", u, FIONREAD);
  close(u);
}

const struct scenario tcpinfo_scenarios[] = {
    {"info", info_established, ON_BOTH, 0},
    {"states", info_states, ON_BOTH, 0},
    {"cong", congestion, ON_BOTH, 0},
    {"ioctl", queue_ioctls, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
