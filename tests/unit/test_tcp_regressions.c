/* Regressions found in review: a half-closed connection with keepalive,
 * a peer MSS too small for the timestamp option, and a socket that
 * connects again after a failed or aborted connection. */
#include "helpers/peer.h"
#include "helpers/run.h"
#include "transport/tcp_impl.h"

#include <netinet/tcp.h>
#include <string.h>

static void enable_keepalive(mynet_sock *s, int idle, int intvl, int cnt)
{
  int on = 1;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)), 0);
}

/* tcp_timer.c keep_fire(): t_keep is the keepalive timer in ESTABLISHED;
 * after shutdown(SHUT_WR) and the ACK of our FIN the connection is in
 * FIN_WAIT_2 with the application still reading, and the keepalive timer
 * firing there is taken for the orphan FIN_WAIT_2 timeout: the connection
 * is silently destroyed although the peer is sending data. */
START_TEST(test_keepalive_in_half_closed_fin_wait_2_does_not_kill_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  enable_keepalive(s, 5, 1, 3);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_FIN_WAIT_2);
  /* The peer keeps streaming its response, one segment a second. */
  char buf[64];
  for (int i = 0; i < 10; i++) {
    tn_advance(&t, MYNET_SEC(1));
    while (tn_device_tx_count(t.dev)) {
      struct mn_tcp_hdr h;
      peer_recv(&p, &h, NULL, 0);
    }
    peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "data", 4);
    ck_assert_msg(tcp_of(s)->state == MN_TCPS_FIN_WAIT_2,
                  "after %d s of an active half-closed stream the state is %s", i + 1,
                  mn_tcp_state_name(tcp_of(s)->state));
    ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 4);
  }
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

/* tcp.c mn_tcp_setup_mss(): eff = min(peer MSS, ours) - 12 with
 * timestamps, in uint16_t: a peer MSS below 12 wraps to ~65530 and the
 * "eff < 64" floor never sees it. */
START_TEST(test_a_tiny_peer_mss_with_timestamps_does_not_wrap)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.mss = 8;
  mynet_sock *s = peer_open_active(&p, &o);
  ck_assert_msg(tcp_of(s)->mss <= 1460, "mss %u for a peer that asked for 8",
                (unsigned)tcp_of(s)->mss);
  static uint8_t data[4000];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  struct mn_tcp_hdr h;
  size_t n = peer_recv(&p, &h, NULL, 0);
  ck_assert_msg(n <= 1460, "a %zu-byte segment sent to a peer with MSS 8", n);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

static int reconnect(mynet_sock *s)
{
  struct sockaddr_in to = tn_sin(TN_PEER, PEER_PORT);
  return mynet_connect(s, (struct sockaddr *)&to, sizeof(to));
}

/* tcp.c tcp_connect(): a socket may connect again after a failed attempt
 * (Linux allows it), but rexmt_count and backoff of the failed attempt are
 * never reset: after ECONNREFUSED following two SYN retransmissions, the
 * new attempt's first SYN retransmission waits 4 s instead of 1 s (and
 * after an ETIMEDOUT the next attempt gives up after its first RTO). */
START_TEST(test_connect_again_after_a_failure_starts_with_fresh_syn_timers)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  ck_assert_int_eq(reconnect(s), -EINPROGRESS);
  p.s = s;
  struct mn_tcp_hdr syn;
  peer_recv(&p, &syn, NULL, 0);
  tn_advance(&t, MYNET_SEC(1));
  peer_recv(&p, &syn, NULL, 0); /* first retransmission */
  tn_advance(&t, MYNET_SEC(2));
  peer_recv(&p, &syn, NULL, 0); /* second */
  peer_inject(&p, 0, syn.seq + 1, MN_TCP_RST | MN_TCP_ACK, NULL, 0);
  ck_assert_int_eq(reconnect(s), -ECONNREFUSED);
  /* Try again on the same socket. */
  ck_assert_int_eq(reconnect(s), -EINPROGRESS);
  peer_recv(&p, &syn, NULL, 0);
  ck_assert_uint_eq(syn.flags, MN_TCP_SYN);
  tn_advance(&t, MN_TCP_RTO_INIT);
  ck_assert_msg(tn_device_tx_count(t.dev) == 1,
                "no SYN retransmission 1 s into the new attempt (backoff %d, rexmt_count %d "
                "left from the failed one)",
                tcp_of(s)->backoff, tcp_of(s)->rexmt_count);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

/* tcp.c tcp_connect(): fin_queued (and the rest of the per-connection
 * state: ofo ranges, ofo_fin, sacked, recovery, unread receive data) is
 * not reset.  After shutdown(SHUT_WR), a reset, connect(AF_UNSPEC) and a
 * new connect(), the new connection sends a FIN while ESTABLISHED. */
START_TEST(test_a_new_connection_on_a_reused_socket_does_not_inherit_a_fin)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_inject(&p, p.snd_nxt, 0, MN_TCP_RST, NULL, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  ck_assert_int_eq(mynet_connect(s, &unspec, sizeof(unspec)), 0);
  /* A new connection from the same socket. */
  peer_init(&p, &t, 50000);
  p.s = s;
  ck_assert_int_eq(reconnect(s), -EINPROGRESS);
  struct mn_tcp_hdr syn;
  peer_recv(&p, &syn, NULL, 0);
  p.stack_iss = syn.seq;
  p.rcv_nxt = syn.seq + 1;
  struct mn_tcp_opts o = {.mss_set = true, .mss = 1460};
  peer_inject_opts(&p, p.iss, p.rcv_nxt, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  p.snd_nxt = p.iss + 1;
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_int_eq(reconnect(s), 0);
  ck_assert_int_eq(peer_write(s, "hello", 5), 5);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_msg(!(h.flags & MN_TCP_FIN), "the new connection sent a FIN (state %s, fin_queued %d)",
                mn_tcp_state_name(tcp_of(s)->state), tcp_of(s)->fin_queued);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_regressions");
  TCase *tc = tcase_create("regressions");
  tcase_add_test(tc, test_keepalive_in_half_closed_fin_wait_2_does_not_kill_the_connection);
  tcase_add_test(tc, test_a_tiny_peer_mss_with_timestamps_does_not_wrap);
  tcase_add_test(tc, test_connect_again_after_a_failure_starts_with_fresh_syn_timers);
  tcase_add_test(tc, test_a_new_connection_on_a_reused_socket_does_not_inherit_a_fin);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
