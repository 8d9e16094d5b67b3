/* Finding losses without waiting for the retransmission timeout: tail
 * loss probes (RFC 8985 7), limited transmit (RFC 3042), early
 * retransmit and SACK-based loss detection (RFC 5827, RFC 6675 IsLost),
 * and retransmissions that are lost again. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <netinet/tcp.h>
#include <string.h>

#define SEG 1448
static uint32_t snd; /* the stack's first data byte */

static uint32_t seg(int i)
{
  return snd + (uint32_t)(SEG * i);
}

/* Drain what the stack sent; was a segment starting at seq among it? */
static bool sent_seq(struct tn *t, uint32_t seq)
{
  bool seen = false;
  struct mn_pbuf *f;
  while ((f = tn_pop(t))) {
    struct mn_ipv4_hdr ip;
    struct mn_tcp_hdr th;
    ck_assert_int_eq(mn_ipv4_parse(f->data + MN_ETH_HDR_LEN, f->len - MN_ETH_HDR_LEN, &ip),
                     MN_PARSE_OK);
    const uint8_t *l4 = f->data + MN_ETH_HDR_LEN + ip.hdr_len;
    ck_assert_int_eq(mn_tcp_parse(l4, ip.total_len - ip.hdr_len, ip.src, ip.dst, &th), MN_PARSE_OK);
    seen = seen || (th.seq == seq && ip.total_len > ip.hdr_len + th.hdr_len);
    mn_pbuf_free(f);
  }
  return seen;
}

/* Segment 0 is lost, 1..3 arrive: three duplicate ACKs whose SACK block
 * grows by one segment each. */
static void three_dupacks_for_a_lost_first_segment(struct peer *p)
{
  struct mn_tcp_sack_block b = {seg(1), seg(2)};
  for (int i = 2; i <= 4; i++) {
    b.right = seg(i);
    peer_sack(p, &b, 1);
  }
}

/* A SACK connection with a 10 ms RTT; n segments written and checked. */
static mynet_sock *setup(struct tn *t, struct peer *p, int n)
{
  tn_setup(t, true);
  peer_init(p, t, 1000);
  p->rtt = MYNET_MS(10);
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *s = peer_open_active(p, &o);
  p->rtt = 0;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
  snd = p->stack_iss + 1;
  static uint8_t data[20 * SEG];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_eq(peer_write(s, data, (size_t)n * SEG), n * SEG);
  for (int i = 0; i < n; i++)
    peer_expect(p, MN_TCP_ACK | (i == n - 1 ? MN_TCP_PSH : 0), seg(i), p->snd_nxt, SEG);
  tn_expect_silence(t);
  return s;
}

START_TEST(test_a_lost_tail_segment_is_probed_after_two_round_trips_not_the_rto)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 4);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* 0..2 arrive and are acknowledged; 3, the last, is lost. */
  peer_ack(&p, seg(3));
  tn_expect_silence(&t);
  /* One segment out: room for a delayed ACK, but never past the RTO. */
  mynet_time pto = 2 * tp->srtt + MN_TCP_RTO_MIN;
  if (pto > tp->rto)
    pto = tp->rto;
  tn_advance(&t, pto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  /* The probe: the last segment again (no new data to send). */
  peer_expect(&p, MN_TCP_ACK, seg(3), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.tlp_probes"), 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  /* Only one probe: if it is lost too, the RTO follows. */
  tn_advance(&t, tp->rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, seg(3), p.snd_nxt, SEG);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_loss_probe_sends_new_data_when_the_window_allows)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 2);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Everything the window allows is out; more waits behind cwnd. */
  tp->cwnd = 2 * SEG;
  static uint8_t more[SEG];
  ck_assert_int_eq(peer_write(s, more, SEG), SEG);
  tn_expect_silence(&t);
  tn_advance(&t, 2 * tp->srtt + MN_TCP_TLP_FLOOR - 1);
  tn_expect_silence(&t); /* Linux's floor: not before 2 SRTT + 2 ms */
  tn_advance(&t, 1);
  /* RFC 8985 7.3: new data if the receive window has room. */
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, seg(2), p.snd_nxt, SEG);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_probes_are_off_when_the_stack_says_so)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 4);
  mn_tcp_set_loss_probes(t.st, false);
  struct mn_tcp_sock *tp = tcp_of(s);
  peer_ack(&p, seg(3));
  tn_advance(&t, tp->rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, seg(3), p.snd_nxt, SEG);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.tlp_probes"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_limited_transmit_sends_a_new_segment_for_each_of_the_first_two_dupacks)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 4);
  struct mn_tcp_sock *tp = tcp_of(s);
  tp->cwnd = 4 * SEG;
  static uint8_t more[4 * SEG];
  ck_assert_int_eq(peer_write(s, more, sizeof(more)), (ssize_t)sizeof(more));
  tn_expect_silence(&t);
  /* Segment 0 is lost; 1 and 2 each draw a duplicate ACK. */
  struct mn_tcp_sack_block b = {seg(1), seg(2)};
  peer_sack(&p, &b, 1);
  peer_expect(&p, MN_TCP_ACK, seg(4), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  b.right = seg(3);
  peer_sack(&p, &b, 1);
  peer_expect(&p, MN_TCP_ACK, seg(5), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  ck_assert(!tp->in_recovery);
  ck_assert_uint_eq(tp->cwnd, 4 * SEG); /* RFC 3042: cwnd itself is unchanged */
  tn_teardown(&t);
}
END_TEST

START_TEST(test_early_retransmit_with_two_segments_out_needs_one_dupack)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 2);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* 0 lost, 1 SACKed: with two segments out and nothing new to send,
   * one duplicate is all the receiver can give (RFC 5827). */
  struct mn_tcp_sack_block b = {seg(1), seg(2)};
  peer_sack(&p, &b, 1);
  peer_expect(&p, MN_TCP_ACK, seg(0), p.snd_nxt, SEG);
  ck_assert(tp->in_recovery);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_early_retransmit_counts_segments_sacked_not_acks)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 3);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* 0 lost; 1 and 2 arrive and the receiver, ACKing every second
   * segment, reports both in one duplicate.  No other duplicate can come:
   * two segments SACKed are the two duplicates RFC 5827 asks of three
   * segments out. */
  struct mn_tcp_sack_block b = {seg(1), seg(3)};
  peer_sack(&p, &b, 1);
  peer_expect(&p, MN_TCP_ACK, seg(0), p.snd_nxt, SEG);
  ck_assert(tp->in_recovery);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sack_showing_three_segments_above_a_hole_starts_recovery_at_once)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* One ACK (ACK compression, or lost duplicates) reporting 1..3: more
   * than two segments SACKed above the hole at 0 (RFC 6675 IsLost). */
  struct mn_tcp_sack_block b = {seg(1), seg(4)};
  peer_sack(&p, &b, 1);
  peer_expect(&p, MN_TCP_ACK, seg(0), p.snd_nxt, SEG);
  ck_assert(tp->in_recovery);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_lost_retransmission_is_sent_again_once_later_data_is_sacked)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  static uint8_t more[8 * SEG];
  ck_assert_int_eq(peer_write(s, more, sizeof(more)), (ssize_t)sizeof(more));
  /* Segment 0 lost: three duplicates start recovery and resend it. */
  three_dupacks_for_a_lost_first_segment(&p);
  ck_assert(tp->in_recovery);
  ck_assert(sent_seq(&t, seg(0)));
  /* 4..7 arrive: the pipe empties and new data goes out after the
   * retransmission. */
  struct mn_tcp_sack_block b = {seg(1), seg(8)};
  peer_sack(&p, &b, 1);
  ck_assert(!sent_seq(&t, seg(0)));
  ck_assert(SEQ_GT(tp->snd_max, seg(8)));
  /* The retransmission is lost as well, but data sent after it arrives:
   * once SACKs cover what was sent after the retransmission, segment 0 is
   * sent a third time, without waiting for the timeout. */
  b.right = tp->snd_max;
  peer_sack(&p, &b, 1);
  ck_assert(sent_seq(&t, seg(0)));
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.lost_retrans"), 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_after_a_timeout_data_the_receiver_sacked_is_not_sent_again)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 6);
  mn_tcp_set_loss_probes(t.st, false);
  struct mn_tcp_sock *tp = tcp_of(s);
  mn_tcp_arm_rexmt(tp); /* the timer setup() armed was a probe */
  /* 0 is lost, 1 and 2 are SACKed (too little for fast retransmit), the
   * rest and the duplicates are lost: the timeout fires. */
  struct mn_tcp_sack_block b = {seg(1), seg(3)};
  peer_sack(&p, &b, 1);
  tn_expect_silence(&t);
  tn_advance(&t, tp->rto);
  peer_expect(&p, MN_TCP_ACK, seg(0), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  /* 0 arrives: slow start resends what is missing, 3 and 4, not 1 and 2
   * (RFC 6675 5.1: the scoreboard stays in use after a timeout). */
  peer_inject_sack(&p, p.snd_nxt, seg(1), MN_TCP_ACK, &b, 1, NULL, 0);
  ck_assert(!sent_seq(&t, seg(1)));
  ck_assert(SEQ_GEQ(tp->snd_nxt, seg(3)));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_dsack_for_every_retransmission_undoes_the_window_reduction)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  uint32_t cwnd_before = tp->cwnd;
  /* 0 is only delayed: 1..3 draw three duplicates and 0 is resent. */
  three_dupacks_for_a_lost_first_segment(&p);
  ck_assert(tp->in_recovery);
  ck_assert(sent_seq(&t, seg(0)));
  ck_assert_uint_lt(tp->cwnd, cwnd_before);
  /* Then the original arrives, the retransmission too: the receiver
   * acknowledges everything and reports 0 twice (RFC 2883). */
  struct mn_tcp_sack_block d = {seg(0), seg(1)};
  peer_inject_sack(&p, p.snd_nxt, seg(8), MN_TCP_ACK, &d, 1, NULL, 0);
  ck_assert(!tp->in_recovery);
  ck_assert_uint_ge(tp->cwnd, cwnd_before);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.spurious_undos"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_dsack_for_data_never_retransmitted_undoes_nothing)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  three_dupacks_for_a_lost_first_segment(&p);
  ck_assert(tp->in_recovery);
  uint32_t cwnd = tp->cwnd;
  /* The network duplicated segment 1: a D-SACK, but not of anything we
   * retransmitted. */
  struct mn_tcp_sack_block d[2] = {{seg(1), seg(2)}, {seg(1), seg(4)}};
  peer_inject_sack(&p, p.snd_nxt, seg(0), MN_TCP_ACK, d, 2, NULL, 0);
  ck_assert(tp->in_recovery);
  ck_assert_uint_le(tp->cwnd, cwnd);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.spurious_undos"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_recovery_whose_last_ack_is_lost_is_probed_before_the_rto)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 6);
  struct mn_tcp_sock *tp = tcp_of(s);
  three_dupacks_for_a_lost_first_segment(&p);
  ck_assert(tp->in_recovery);
  ck_assert(sent_seq(&t, seg(0)));
  /* The ACK of the retransmission is lost and nothing else is in flight:
   * a probe goes out after two round trips, long before the RTO. */
  tn_advance(&t, 2 * tp->srtt + MN_TCP_DELACK);
  ck_assert(sent_seq(&t, seg(5)));
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.tlp_probes"), 1);
  tn_teardown(&t);
}
END_TEST

/* --- the reordering window (RFC 8985 6.2) -------------------------------- */

/* Segment 1 overtakes segment 0, which arrives without being resent: the
 * path reorders.  Then 2 goes missing and 3..5 arrive: three duplicates
 * with their SACKs grown one segment each. */
static void reorder_then_three_dupacks_for_segment_2(struct peer *p, struct mn_tcp_sock *tp)
{
  struct mn_tcp_sack_block b = {seg(1), seg(2)};
  peer_sack(p, &b, 1);
  peer_ack(p, seg(2));
  ck_assert_uint_eq(tp->stats.reord_seen, 1);
  b = (struct mn_tcp_sack_block){seg(3), seg(3)};
  for (int i = 4; i <= 6; i++) {
    b.right = seg(i);
    peer_sack(p, &b, 1);
  }
}

START_TEST(test_once_the_path_reorders_a_hole_is_resent_only_after_the_reordering_window)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  reorder_then_three_dupacks_for_segment_2(&p, tp);
  /* Not yet: segment 2 may only be late. */
  ck_assert(!tp->in_recovery);
  ck_assert(!sent_seq(&t, seg(2)));
  /* min_RTT/4 later the hole is still open: it was lost. */
  mynet_time window = tp->stats.min_rtt / 4;
  ck_assert_int_gt(window, 0);
  tn_advance(&t, window - 1);
  ck_assert(!sent_seq(&t, seg(2)));
  tn_advance(&t, 1);
  ck_assert(tp->in_recovery);
  ck_assert(sent_seq(&t, seg(2)));
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_segment_late_by_less_than_the_reordering_window_is_not_resent)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  uint32_t cwnd = tp->cwnd;
  reorder_then_three_dupacks_for_segment_2(&p, tp);
  /* Segment 2 arrives within the window: all of 0..5 acknowledged. */
  tn_advance(&t, tp->stats.min_rtt / 8);
  peer_ack(&p, seg(6));
  tn_advance(&t, tp->stats.min_rtt);
  ck_assert(!tp->in_recovery);
  ck_assert(!sent_seq(&t, seg(2)));
  ck_assert_uint_ge(tp->cwnd, cwnd);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 0);
  ck_assert_uint_eq(tp->stats.reord_seen, 2);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_hole_below_sacked_data_is_lost_after_the_window_without_a_timeout)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 4);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Four out, 0 lost, only 1 arrives (2 and 3 lost as well): one SACKed
   * segment, too few for the duplicate threshold or early retransmit.
   * Data sent after 0 has arrived: RACK declares 0 lost a reordering
   * window (min_RTT/4, no reordering seen) later, not a timeout later. */
  struct mn_tcp_sack_block b = {seg(1), seg(2)};
  peer_sack(&p, &b, 1);
  ck_assert(!tp->in_recovery);
  ck_assert(!sent_seq(&t, seg(0)));
  mynet_time window = tp->stats.min_rtt / 4;
  tn_advance(&t, window);
  ck_assert(tp->in_recovery);
  ck_assert(sent_seq(&t, seg(0)));
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  ck_assert_int_lt(window, tp->rto);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_info_reports_how_far_the_path_reordered)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  struct tcp_info info;
  socklen_t len = sizeof(info);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  ck_assert_uint_eq(info.tcpi_reordering, 3);
  /* Segment 3 arrives before 0, 1 and 2, which then arrive unresent
   * within the window: reordered by four segments. */
  struct mn_tcp_sack_block b = {seg(3), seg(4)};
  peer_sack(&p, &b, 1);
  peer_ack(&p, seg(4));
  ck_assert(!tp->in_recovery);
  len = sizeof(info);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  ck_assert_uint_eq(info.tcpi_reordering, 4);
  ck_assert_uint_eq(tp->stats.reord_seen, 1);
  ck_assert_uint_eq(info.tcpi_total_retrans, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_dsack_of_a_retransmission_widens_the_reordering_window)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, 8);
  struct mn_tcp_sock *tp = tcp_of(s);
  reorder_then_three_dupacks_for_segment_2(&p, tp);
  mynet_time window = tp->stats.min_rtt / 4;
  tn_advance(&t, window);
  ck_assert(sent_seq(&t, seg(2)));
  /* Segment 2 was only later than the window: the receiver got it twice. */
  struct mn_tcp_sack_block d = {seg(2), seg(3)};
  peer_inject_sack(&p, p.snd_nxt, seg(8), MN_TCP_ACK, &d, 1, NULL, 0);
  ck_assert_int_eq(tp->reo_wnd_steps, 2);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.spurious_undos"), 1);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_loss_detection");
  TCase *tc = tcase_create("loss_detection");
  tcase_add_test(tc, test_a_lost_tail_segment_is_probed_after_two_round_trips_not_the_rto);
  tcase_add_test(tc, test_a_loss_probe_sends_new_data_when_the_window_allows);
  tcase_add_test(tc, test_probes_are_off_when_the_stack_says_so);
  tcase_add_test(tc, test_limited_transmit_sends_a_new_segment_for_each_of_the_first_two_dupacks);
  tcase_add_test(tc, test_early_retransmit_with_two_segments_out_needs_one_dupack);
  tcase_add_test(tc, test_early_retransmit_counts_segments_sacked_not_acks);
  tcase_add_test(tc, test_sack_showing_three_segments_above_a_hole_starts_recovery_at_once);
  tcase_add_test(tc, test_a_lost_retransmission_is_sent_again_once_later_data_is_sacked);
  tcase_add_test(tc, test_after_a_timeout_data_the_receiver_sacked_is_not_sent_again);
  tcase_add_test(tc, test_a_dsack_for_every_retransmission_undoes_the_window_reduction);
  tcase_add_test(tc, test_a_dsack_for_data_never_retransmitted_undoes_nothing);
  tcase_add_test(tc, test_a_recovery_whose_last_ack_is_lost_is_probed_before_the_rto);
  tcase_add_test(tc, test_once_the_path_reorders_a_hole_is_resent_only_after_the_reordering_window);
  tcase_add_test(tc, test_a_segment_late_by_less_than_the_reordering_window_is_not_resent);
  tcase_add_test(tc, test_a_dsack_of_a_retransmission_widens_the_reordering_window);
  tcase_add_test(tc, test_tcp_info_reports_how_far_the_path_reordered);
  tcase_add_test(tc, test_a_hole_below_sacked_data_is_lost_after_the_window_without_a_timeout);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
