/* sendmmsg and recvmmsg over UDP: several datagrams in one call, the
 * counts returned and each msg_len, MSG_WAITFORONE, MSG_DONTWAIT on an
 * empty queue, truncation, and an error part-way through a batch. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VLEN 8

static unsigned char bufs[VLEN][70000];
static struct iovec iovs[VLEN];
static struct mmsghdr msgs[VLEN];

static void setup_msgs(const size_t *sizes, int n, struct sockaddr_in *to)
{
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < n; i++) {
    pattern_fill(bufs[i], 0, sizes[i]);
    iovs[i].iov_base = bufs[i];
    iovs[i].iov_len = sizes[i];
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (to) {
      msgs[i].msg_hdr.msg_name = to;
      msgs[i].msg_hdr.msg_namelen = sizeof *to;
    }
  }
}

static int show_result(const char *label, int n)
{
  char line[256];
  if (n < 0) {
    out("%s err %s", label, errname(errno));
    return n;
  }
  size_t len = (size_t)snprintf(line, sizeof line, "%d lens", n);
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(line + len, sizeof line - len, " %u", msgs[i].msg_len);
  for (int i = 0; i < n; i++)
    if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
      len += (size_t)snprintf(line + len, sizeof line - len, " trunc%d", i);
  out("%s %s", label, line);
  return n;
}

static int bound_udp(int *port)
{
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  bind(u, (struct sockaddr *)&a, sizeof a);
  getsockname(u, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return u;
}

static void send_batches(void)
{
  int port;
  int u = bound_udp(&port);
  struct sockaddr_in to = peer_at(P.uport);
  size_t sizes[4] = {100, 200, 300, 400};
  setup_msgs(sizes, 4, &to);
  /* The peer is asked only for what was sent: it waits 5 s for each
   * datagram that does not come. */
  if (show_result("sendmmsg.four", sendmmsg(u, msgs, 4, 0)) == 4)
    peer_show("sendmmsg.peer", "udprecv 4");
  /* Connected: no address in the messages. */
  out_rc("sendmmsg.connect", connect(u, (struct sockaddr *)&to, sizeof to));
  size_t sizes2[3] = {1, 0, 1472};
  setup_msgs(sizes2, 3, NULL);
  if (show_result("sendmmsg.connected", sendmmsg(u, msgs, 3, 0)) == 3)
    peer_show("sendmmsg.connected_peer", "udprecv 3");
  /* The second message is too big: the first is sent and counted. */
  size_t sizes3[3] = {50, 65536, 60};
  setup_msgs(sizes3, 3, NULL);
  if (show_result("sendmmsg.error_second", sendmmsg(u, msgs, 3, 0)) == 1)
    peer_show("sendmmsg.error_second_peer", "udprecv 1");
  setup_msgs(sizes3 + 1, 2, NULL);
  show_result("sendmmsg.error_first", sendmmsg(u, msgs, 2, 0));
  show_result("sendmmsg.vlen_zero", sendmmsg(u, msgs, 0, 0));
  close(u);
}

static void receive_batches(void)
{
  int port;
  int u = bound_udp(&port);
  size_t room[VLEN];
  for (int i = 0; i < VLEN; i++)
    room[i] = 2000;
  /* Blocking, without MSG_WAITFORONE: waits for vlen datagrams. */
  peer_cmd("udpsend %d 10 20 30 40", port);
  setup_msgs(room, 4, NULL);
  show_result("recvmmsg.blocking_four", recvmmsg(u, msgs, 4, 0, NULL));
  /* MSG_WAITFORONE: what is queued, up to vlen.  The peer answers after
   * the datagrams left, and they arrive in order, so all three are here. */
  peer_cmd("udpsend %d 11 22 33", port);
  wait_events(u, POLLIN, 3000);
  setup_msgs(room, VLEN, NULL);
  show_result("recvmmsg.waitforone", recvmmsg(u, msgs, VLEN, MSG_WAITFORONE, NULL));
  setup_msgs(room, VLEN, NULL);
  show_result("recvmmsg.dontwait_empty", recvmmsg(u, msgs, VLEN, MSG_DONTWAIT, NULL));
  /* MSG_DONTWAIT with fewer queued than vlen. */
  peer_cmd("udpsend %d 5 6", port);
  wait_events(u, POLLIN, 3000);
  setup_msgs(room, VLEN, NULL);
  show_result("recvmmsg.dontwait_two", recvmmsg(u, msgs, VLEN, MSG_DONTWAIT, NULL));
  /* More queued than vlen: the rest stays queued. */
  peer_cmd("udpsend %d 1 2 3", port);
  wait_events(u, POLLIN, 3000);
  setup_msgs(room, 2, NULL);
  show_result("recvmmsg.vlen_two_of_three", recvmmsg(u, msgs, 2, MSG_DONTWAIT, NULL));
  setup_msgs(room, VLEN, NULL);
  show_result("recvmmsg.the_third", recvmmsg(u, msgs, VLEN, MSG_DONTWAIT, NULL));
  /* Truncation: buffers of 8 bytes. */
  peer_cmd("udpsend %d 4 8 16", port);
  wait_events(u, POLLIN, 3000);
  size_t small[3] = {8, 8, 8};
  setup_msgs(small, 3, NULL);
  show_result("recvmmsg.truncated", recvmmsg(u, msgs, 3, MSG_DONTWAIT, NULL));
  peer_cmd("udpsend %d 4 16", port);
  wait_events(u, POLLIN, 3000);
  setup_msgs(small, 2, NULL);
  show_result("recvmmsg.msg_trunc_flag", recvmmsg(u, msgs, 2, MSG_DONTWAIT | MSG_TRUNC, NULL));
  setup_msgs(room, 1, NULL);
  show_result("recvmmsg.vlen_zero", recvmmsg(u, msgs, 0, MSG_DONTWAIT, NULL));
  close(u);
}

static void mmsg_on_tcp(void)
{
  int d = data_conn("mmsg_tcp");
  if (d < 0)
    return;
  size_t sizes[3] = {3, 4, 5};
  setup_msgs(sizes, 3, NULL);
  if (show_result("mmsg_tcp.sendmmsg", sendmmsg(d, msgs, 3, 0)) > 0)
    peer_show("mmsg_tcp.peer", "read 12");
  peer_cmd("sendstr abcdef");
  wait_inq(d, 6, 3000);
  size_t room[2] = {4, 4};
  setup_msgs(room, 2, NULL);
  show_result("mmsg_tcp.recvmmsg", recvmmsg(d, msgs, 2, MSG_DONTWAIT, NULL));
  close(d);
  peer_cmd("close");
}

const struct scenario mmsg_scenarios[] = {
    {"sendmmsg", send_batches, ON_BOTH, 0},
    {"recvmmsg", receive_batches, ON_BOTH, 0},
    {"mmsg_tcp", mmsg_on_tcp, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
