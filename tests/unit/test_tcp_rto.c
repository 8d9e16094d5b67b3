/* The retransmission timer (RFC 6298): RTT estimation from timestamps and
 * from timed segments, Linux's RTO floor, exponential backoff, Karn's
 * algorithm, and the congestion window after a timeout (RFC 5681 3.1). */
#include "helpers/peer.h"
#include "helpers/run.h"
#include "transport/tcp_impl.h"

#include <netinet/tcp.h>
#include <string.h>

/* A connection whose handshake took `rtt`. */
static mynet_sock *establish_with_rtt(struct tn *t, struct peer *p, mynet_time rtt, bool ts)
{
  peer_init(p, t, 1000);
  p->rtt = rtt;
  struct mn_tcp_opts o = peer_linux_opts();
  o.ts_set = ts;
  mynet_sock *s = peer_open_active(p, &o);
  p->rtt = 0;
  return s;
}

START_TEST(test_rto_after_the_first_sample_is_srtt_plus_the_larger_of_4_rttvar_and_200_ms)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR. */
  ck_assert_int_eq(tp->srtt, MYNET_MS(100));
  ck_assert_int_eq(tp->rttvar, MYNET_MS(50));
  ck_assert_int_eq(tp->rto, MYNET_MS(300));
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "x", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(300) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.retrans_segs"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rto_follows_later_samples_and_never_drops_below_srtt_plus_200_ms)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(10), true);
  struct mn_tcp_sock *tp = tcp_of(s);
  ck_assert_int_eq(tp->rto, MYNET_MS(210)); /* 4 * 5 ms is below the floor */
  uint32_t snd = p.stack_iss + 1;
  /* RFC 6298 2.3 with R = 30 ms: RTTVAR = 3/4 * 5 + 1/4 * 20 = 8.75 ms,
   * SRTT = 7/8 * 10 + 1/8 * 30 = 12.5 ms. */
  ck_assert_int_eq(peer_write(s, "a", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(30));
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(tp->srtt, 12500);
  ck_assert_int_eq(tp->rttvar, 8750);
  ck_assert_int_eq(tp->rto, 12500 + MYNET_MS(200));
  /* A 200 ms sample: the variance term now exceeds the floor. */
  ck_assert_int_eq(peer_write(s, "b", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(200));
  peer_ack(&p, snd + 2);
  ck_assert_int_eq(tp->rttvar, (3 * 8750 + (200000 - 12500)) / 4);
  ck_assert_int_eq(tp->srtt, (7 * 12500 + 200000) / 8);
  mynet_time rto = tp->srtt + 4 * tp->rttvar;
  ck_assert_int_gt(4 * tp->rttvar, MN_TCP_RTO_MIN);
  ck_assert_int_eq(tp->rto, rto);
  ck_assert_int_eq(peer_write(s, "c", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2, p.snd_nxt, 1);
  tn_advance(&t, rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2, p.snd_nxt, 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_repeated_timeouts_back_off_exponentially_up_to_120_s_then_give_up)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "data", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  mynet_time gap = MYNET_MS(300);
  for (int i = 1; i <= MN_TCP_RETRIES2; i++) {
    tn_advance(&t, gap - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
    ck_assert_int_eq(peer_so_error(s), 0);
    gap = gap * 2 > MN_TCP_RTO_MAX ? MN_TCP_RTO_MAX : gap * 2;
  }
  /* After tcp_retries2 retransmissions the connection is dropped; like
   * Linux, no reset is sent to a peer that stopped answering. */
  tn_advance(&t, gap - 1);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_advance(&t, 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLERR, 0);
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -ETIMEDOUT);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_karn_takes_no_sample_from_a_retransmitted_segment_and_keeps_the_backoff)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  /* Without timestamps the RTT is timed on one segment at a time. */
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(50), false);
  struct mn_tcp_sock *tp = tcp_of(s);
  ck_assert_int_eq(tp->srtt, MYNET_MS(50));
  ck_assert_int_eq(tp->rto, MYNET_MS(250));
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "a", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(250));
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  /* The ACK comes 10 ms after the retransmission: it may answer either
   * copy, so it says nothing about the RTT (RFC 6298 3). */
  tn_advance(&t, MYNET_MS(10));
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(tp->srtt, MYNET_MS(50));
  ck_assert_int_eq(tp->rto, MYNET_MS(250));
  /* And the backed-off RTO stays until a valid sample (RFC 6298 5.7). */
  ck_assert_int_eq(peer_write(s, "b", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(500) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1, p.snd_nxt, 1);
  peer_ack(&p, snd + 2);
  /* A segment sent once and acknowledged 20 ms later is a valid sample. */
  ck_assert_int_eq(peer_write(s, "c", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(20));
  peer_ack(&p, snd + 3);
  ck_assert_int_eq(tp->srtt, (7 * MYNET_MS(50) + MYNET_MS(20)) / 8);
  ck_assert_int_eq(tp->backoff, 0);
  ck_assert_int_eq(peer_write(s, "d", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 3, p.snd_nxt, 1);
  tn_advance(&t, tp->rto);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 3, p.snd_nxt, 1);
  tn_teardown(&t);
}
END_TEST

static void send_ten_segments(struct peer *p, mynet_sock *s, uint32_t snd)
{
  static uint8_t data[10 * 1448];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  for (int i = 0; i < 10; i++)
    peer_expect(p, MN_TCP_ACK | (i == 9 ? MN_TCP_PSH : 0), snd + 1448 * i, p->snd_nxt, 1448);
  tn_expect_silence(p->t);
}

START_TEST(test_timeout_collapses_cwnd_to_one_segment_and_slow_starts_again)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
  struct mn_tcp_sock *tp = tcp_of(s);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_uint_eq(tp->cwnd, 10 * 1448); /* RFC 6928 */
  send_ten_segments(&p, s, snd);
  tn_advance(&t, tp->rto);
  /* RFC 5681 3.1: ssthresh = FlightSize / 2, cwnd = 1 SMSS; go back to
   * SND.UNA. */
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  ck_assert_uint_eq(tp->cwnd, 1448);
  ck_assert_uint_eq(tp->ssthresh, 5 * 1448);
  peer_ack(&p, snd + 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 1448, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 2 * 1448, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  peer_ack(&p, snd + 3 * 1448);
  for (int i = 3; i < 7; i++)
    peer_expect(&p, MN_TCP_ACK, snd + 1448 * i, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_timeout_with_cubic_sets_ssthresh_to_seven_tenths_of_cwnd)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  struct mn_tcp_sock *tp = tcp_of(s);
  send_ten_segments(&p, s, p.stack_iss + 1);
  tn_advance(&t, tp->rto);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 1448);
  ck_assert_uint_eq(tp->cwnd, 1448);
  ck_assert_uint_eq(tp->ssthresh, 10 * 1448 * 7 / 10); /* RFC 9438 4.6 */
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_lost_small_segment_is_retransmitted_despite_nagle)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "first", 5), 5);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 5);
  ck_assert_int_eq(peer_write(s, "second", 6), 6); /* held by Nagle */
  tn_expect_silence(&t);
  tn_advance(&t, tcp_of(s)->rto);
  /* The retransmission is not new data: Nagle does not apply; what was
   * held joins it, as Linux collapses small segments on retransmission. */
  uint8_t buf[16];
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(&p, &h, buf, sizeof(buf)), 11);
  ck_assert_uint_eq(h.seq, snd);
  ck_assert_mem_eq(buf, "firstsecond", 11);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_an_ack_of_new_data_restarts_the_retransmission_timer)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* watch the RTO alone */
  struct peer p;
  mynet_sock *s = establish_with_rtt(&t, &p, MYNET_MS(100), true);
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[2 * 1448];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1448, p.snd_nxt, 1448);
  tn_advance(&t, MYNET_MS(100));
  peer_ack(&p, snd + 1448);
  mynet_time rto = tcp_of(s)->rto; /* 100 ms samples: still 300 ms */
  ck_assert_int_eq(rto, MYNET_MS(300));
  /* RFC 6298 5.3: the timer now runs from this ACK. */
  tn_advance(&t, rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1448, p.snd_nxt, 1448);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_rto");
  TCase *tc = tcase_create("rto");
  tcase_add_test(tc,
                 test_rto_after_the_first_sample_is_srtt_plus_the_larger_of_4_rttvar_and_200_ms);
  tcase_add_test(tc, test_rto_follows_later_samples_and_never_drops_below_srtt_plus_200_ms);
  tcase_add_test(tc, test_repeated_timeouts_back_off_exponentially_up_to_120_s_then_give_up);
  tcase_add_test(tc, test_karn_takes_no_sample_from_a_retransmitted_segment_and_keeps_the_backoff);
  tcase_add_test(tc, test_timeout_collapses_cwnd_to_one_segment_and_slow_starts_again);
  tcase_add_test(tc, test_timeout_with_cubic_sets_ssthresh_to_seven_tenths_of_cwnd);
  tcase_add_test(tc, test_a_lost_small_segment_is_retransmitted_despite_nagle);
  tcase_add_test(tc, test_an_ack_of_new_data_restarts_the_retransmission_timer);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
