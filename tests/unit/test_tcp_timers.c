/* The timers other than retransmission: delayed ACK (RFC 1122 4.2.3.2,
 * RFC 9293 3.8.6.3), keepalive (RFC 1122 4.2.3.6 with Linux's socket
 * options) and TCP_USER_TIMEOUT (RFC 5482). */
#include "helpers/peer.h"
#include "helpers/run.h"
#include "transport/tcp_impl.h"

#include <netinet/tcp.h>
#include <string.h>

static uint8_t stream[16 * 1024];

START_TEST(test_a_single_segment_is_acknowledged_after_40_ms)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "one", 3);
  tn_advance(&t, MN_TCP_DELACK - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(1));
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_two_full_segments_are_acknowledged_at_once)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_establish(&p, &t);
  peer_pattern(stream, sizeof(stream), 0);
  peer_send(&p, MN_TCP_ACK, stream, 1448);
  tn_expect_silence(&t);
  peer_send(&p, MN_TCP_ACK, stream + 1448, 1448);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  /* The third waits again. */
  peer_send(&p, MN_TCP_ACK, stream + 2896, 1448);
  tn_expect_silence(&t);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_small_segments_wait_for_the_delayed_ack_timer)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "a", 1);
  tn_advance(&t, MYNET_MS(10));
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "b", 1);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "c", 1);
  tn_expect_silence(&t);
  /* 40 ms after the first one. */
  tn_advance(&t, MYNET_MS(30) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_delayed_ack_rides_on_data_the_application_sends)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "request", 7);
  tn_advance(&t, MYNET_MS(5));
  ck_assert_int_eq(peer_write(s, "response", 8), 8);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, p.stack_iss + 1, p.snd_nxt, 8);
  tn_advance(&t, MN_TCP_DELACK);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_quickack_acknowledges_every_segment_at_once)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  int v = -1;
  socklen_t l = sizeof(v);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &v, &l), 0);
  ck_assert_int_eq(v, 1); /* what Linux reports on a fresh connection */
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "a", 1);
  /* Switching it on sends the pending ACK now. */
  v = 1;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v)), 0);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "b", 1);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  v = 0;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v)), 0);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &v, &l), 0);
  ck_assert_int_eq(v, 0);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "c", 1);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

static void enable_keepalive(mynet_sock *s, int idle, int intvl, int cnt)
{
  int on = 1;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)), 0);
}

START_TEST(test_unanswered_keepalive_probes_end_the_connection_with_etimedout)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  enable_keepalive(s, 10, 2, 3);
  tn_advance(&t, MYNET_SEC(10) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  /* A probe: one byte below SND.NXT, no data (RFC 1122 4.2.3.6). */
  peer_expect(&p, MN_TCP_ACK, snd - 1, p.snd_nxt, 0);
  for (int i = 0; i < 2; i++) {
    tn_advance(&t, MYNET_SEC(2) - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    peer_expect(&p, MN_TCP_ACK, snd - 1, p.snd_nxt, 0);
  }
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  /* TCP_KEEPCNT probes unanswered: reset, as Linux does. */
  tn_advance(&t, MYNET_SEC(2));
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_so_error(s), ETIMEDOUT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_an_answered_keepalive_probe_keeps_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  enable_keepalive(s, 10, 2, 3);
  /* Each answer counts as traffic: the next probe comes a full idle
   * time after it. */
  for (int round = 0; round < 5; round++) {
    tn_advance(&t, MYNET_SEC(10) - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    peer_expect(&p, MN_TCP_ACK, snd - 1, p.snd_nxt, 0);
    tn_advance(&t, MYNET_SEC(1));
    peer_ack(&p, snd);
  }
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(peer_so_error(s), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_received_data_postpones_keepalive)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  enable_keepalive(s, 10, 2, 3);
  tn_advance(&t, MYNET_SEC(8));
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "x", 1);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(10) - MN_TCP_DELACK - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_keepalive_stays_quiet_while_data_is_in_flight)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  enable_keepalive(s, 1, 1, 1);
  ck_assert_int_eq(peer_write(s, "x", 1), 1);
  /* Only retransmissions of the data go out, never a keepalive probe. */
  for (mynet_time end = t.now + MYNET_SEC(30); t.now < end;) {
    tn_advance(&t, MYNET_MS(100));
    while (tn_device_tx_count(t.dev)) {
      struct mn_tcp_hdr h;
      ck_assert_uint_eq(peer_recv(&p, &h, NULL, 0), 1);
      ck_assert_uint_eq(h.seq, snd);
    }
  }
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_no_keepalive_probes_without_so_keepalive)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  int idle = 10;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
  tn_advance(&t, MYNET_SEC(3 * 3600));
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_user_timeout_aborts_when_data_stays_unacknowledged)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  peer_init(&p, &t, 1000);
  p.rtt = MYNET_MS(100); /* RTO 300 ms */
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  int ms = 2500;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)), 0);
  ck_assert_int_eq(peer_write(s, "data", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  /* Retransmissions at 0.3, 0.9 and 2.1 s... */
  mynet_time at[] = {MYNET_MS(300), MYNET_MS(600), MYNET_MS(1200)};
  for (int i = 0; i < 3; i++) {
    tn_advance(&t, at[i]);
    peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  }
  /* ...then the next timeout is brought forward to when the user timeout
   * expires, 2.5 s after the data was sent (as Linux clamps it), and the
   * connection ends with ETIMEDOUT and no reset. */
  tn_advance(&t, MYNET_MS(400) - 1);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_advance(&t, 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_write(s, "x", 1), -ETIMEDOUT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_user_timeout_restarts_when_data_is_acknowledged)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  peer_init(&p, &t, 1000);
  p.rtt = MYNET_MS(100);
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  int ms = 1000;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms)), 0);
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(peer_write(s, "d", 1), 1);
    peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + (uint32_t)i, p.snd_nxt, 1);
    tn_advance(&t, MYNET_MS(250));
    peer_ack(&p, snd + (uint32_t)i + 1);
    tn_advance(&t, MYNET_MS(500));
  }
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_timers");
  TCase *tc = tcase_create("timers");
  tcase_add_test(tc, test_a_single_segment_is_acknowledged_after_40_ms);
  tcase_add_test(tc, test_two_full_segments_are_acknowledged_at_once);
  tcase_add_test(tc, test_small_segments_wait_for_the_delayed_ack_timer);
  tcase_add_test(tc, test_a_delayed_ack_rides_on_data_the_application_sends);
  tcase_add_test(tc, test_tcp_quickack_acknowledges_every_segment_at_once);
  tcase_add_test(tc, test_unanswered_keepalive_probes_end_the_connection_with_etimedout);
  tcase_add_test(tc, test_an_answered_keepalive_probe_keeps_the_connection);
  tcase_add_test(tc, test_received_data_postpones_keepalive);
  tcase_add_test(tc, test_keepalive_stays_quiet_while_data_is_in_flight);
  tcase_add_test(tc, test_no_keepalive_probes_without_so_keepalive);
  tcase_add_test(tc, test_user_timeout_aborts_when_data_stays_unacknowledged);
  tcase_add_test(tc, test_user_timeout_restarts_when_data_is_acknowledged);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
