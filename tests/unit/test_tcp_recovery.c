/* Loss recovery: fast retransmit on the third duplicate ACK (RFC 5681
 * 3.2), NewReno partial acknowledgments (RFC 6582) and SACK-based
 * recovery driven by the scoreboard (RFC 6675). */
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

/* A Reno connection (exact ssthresh arithmetic) with or without SACK,
 * with a 100 ms RTT so the RTO (300 ms) stays out of the way; n segments
 * are sent and checked. */
static mynet_sock *setup(struct tn *t, struct peer *p, bool sack, int n)
{
  tn_setup(t, true);
  peer_init(p, t, 1000);
  p->rtt = MYNET_MS(100);
  struct mn_tcp_opts o = peer_linux_opts();
  o.sack_ok = sack;
  mynet_sock *s = peer_open_active(p, &o);
  p->rtt = 0;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
  snd = p->stack_iss + 1;
  static uint8_t data[20 * SEG];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_le(n, 10);
  ck_assert_int_eq(peer_write(s, data, (size_t)n * SEG), n * SEG);
  for (int i = 0; i < n; i++)
    peer_expect(p, MN_TCP_ACK | (i == n - 1 ? MN_TCP_PSH : 0), seg(i), p->snd_nxt, SEG);
  tn_expect_silence(t);
  return s;
}

START_TEST(test_fast_retransmit_happens_on_the_third_duplicate_ack_not_the_second)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, false, 10);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Segment 2 is lost; 0 and 1 arrive, then 3.. each draw a dup ACK. */
  peer_ack(&p, seg(2));
  tn_expect_silence(&t);
  peer_ack(&p, seg(2));
  peer_ack(&p, seg(2));
  tn_expect_silence(&t);
  ck_assert(!tp->in_recovery);
  peer_ack(&p, seg(2));
  peer_expect(&p, MN_TCP_ACK, seg(2), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  ck_assert(tp->in_recovery);
  /* RFC 6582 3.2 step 2: ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS. */
  ck_assert_uint_eq(tp->ssthresh, 4 * SEG);
  ck_assert_uint_eq(tp->cwnd, 7 * SEG);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 1);
  /* Further duplicates inflate the window but there is nothing new to send. */
  for (int i = 0; i < 4; i++)
    peer_ack(&p, seg(2));
  tn_expect_silence(&t);
  ck_assert_uint_eq(tp->cwnd, 11 * SEG);
  /* The retransmission fills the hole: a full ACK ends recovery with
   * cwnd = min(ssthresh, FlightSize + SMSS) (RFC 6582 3.2 step 3). */
  peer_ack(&p, seg(10));
  ck_assert(!tp->in_recovery);
  ck_assert_uint_eq(tp->cwnd, SEG);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_duplicate_acks_that_carry_data_or_move_the_window_are_not_counted)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, false, 10);
  peer_ack(&p, seg(1));
  peer_ack(&p, seg(1));
  peer_ack(&p, seg(1));
  p.win = 60000; /* a window update, not a duplicate (RFC 5681 2) */
  peer_ack(&p, seg(1));
  peer_send(&p, MN_TCP_ACK, "data", 4); /* carries data: not a duplicate */
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, seg(10), p.snd_nxt, 0);
  tn_expect_silence(&t);
  ck_assert(!tcp_of(s)->in_recovery);
  peer_ack(&p, seg(1));
  peer_expect(&p, MN_TCP_ACK, seg(1), p.snd_nxt, SEG);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_newreno_retransmits_the_next_hole_on_a_partial_ack)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, false, 10);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Segments 2 and 5 are lost. */
  peer_ack(&p, seg(2));
  for (int i = 0; i < 3; i++)
    peer_ack(&p, seg(2));
  peer_expect(&p, MN_TCP_ACK, seg(2), p.snd_nxt, SEG);
  for (int i = 0; i < 3; i++)
    peer_ack(&p, seg(2)); /* for segments 6, 7, 8 */
  tn_expect_silence(&t);
  uint32_t cwnd = tp->cwnd;
  /* The retransmitted 2 arrives: everything up to the second hole is
   * acknowledged.  A partial ACK (below "recover"): 5 goes at once and
   * recovery goes on (RFC 6582 3.2 step 5). */
  peer_ack(&p, seg(5));
  peer_expect(&p, MN_TCP_ACK, seg(5), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  ck_assert(tp->in_recovery);
  ck_assert_uint_eq(tp->cwnd, cwnd - 3 * SEG + SEG);
  peer_ack(&p, seg(10));
  ck_assert(!tp->in_recovery);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 1);
  tn_teardown(&t);
}
END_TEST

static void sack1(struct peer *p, int a, int b)
{
  struct mn_tcp_sack_block bl[] = {{seg(a), seg(b)}};
  peer_sack(p, bl, 1);
}

static void sack2(struct peer *p, int a, int b, int c, int d)
{
  struct mn_tcp_sack_block bl[] = {{seg(a), seg(b)}, {seg(c), seg(d)}};
  peer_sack(p, bl, 2);
}

START_TEST(test_sack_recovery_retransmits_each_hole_once_it_is_deemed_lost)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, true, 10);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Segments 2 and 5 are lost; the receiver reports what it holds. */
  peer_ack(&p, seg(2));
  sack1(&p, 3, 4);
  sack1(&p, 3, 5);
  tn_expect_silence(&t);
  sack2(&p, 6, 7, 3, 5); /* third duplicate: fast retransmit of 2 */
  peer_expect(&p, MN_TCP_ACK, seg(2), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  ck_assert(tp->in_recovery);
  /* RFC 6675 5 (4.2): cwnd = ssthresh = FlightSize / 2. */
  ck_assert_uint_eq(tp->ssthresh, 4 * SEG);
  ck_assert_uint_eq(tp->cwnd, 4 * SEG);
  /* 5 is not lost until more than 2 segments above it are SACKed
   * (IsLost, DupThresh = 3). */
  sack2(&p, 6, 8, 3, 5);
  tn_expect_silence(&t);
  sack2(&p, 6, 9, 3, 5);
  peer_expect(&p, MN_TCP_ACK, seg(5), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  /* Each hole is sent once: more duplicates send nothing new. */
  sack2(&p, 6, 10, 3, 5);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.retrans_segs"), 2);
  /* The retransmission of 2 arrives: a partial ACK, 5 still missing. */
  p.rcv_nxt = seg(5);
  sack1(&p, 6, 10);
  tn_expect_silence(&t);
  ck_assert(tp->in_recovery);
  /* Then 5: the full ACK ends recovery with cwnd = ssthresh. */
  peer_ack(&p, seg(10));
  ck_assert(!tp->in_recovery);
  ck_assert_uint_eq(tp->cwnd, 4 * SEG);
  ck_assert_int_eq(tp->sacked.n, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_after_sack_recovery_new_data_flows_within_the_reduced_window)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, true, 10);
  struct mn_tcp_sock *tp = tcp_of(s);
  peer_ack(&p, seg(1));
  sack1(&p, 2, 3);
  sack1(&p, 2, 4);
  sack1(&p, 2, 5);
  peer_expect(&p, MN_TCP_ACK, seg(1), p.snd_nxt, SEG);
  /* New data may go while pipe < cwnd (RFC 6675 5 (C) rule 2). */
  static uint8_t more[10 * SEG];
  ck_assert_int_eq(peer_write(s, more, sizeof(more)), (ssize_t)sizeof(more));
  ck_assert_uint_eq(tp->cwnd, (9 * SEG) / 2);
  /* pipe: the retransmission, and 5..9 not SACKed and not lost: 6
   * segments, above cwnd: nothing more yet. */
  tn_expect_silence(&t);
  peer_ack(&p, seg(10));
  ck_assert(!tp->in_recovery);
  /* cwnd = ssthresh = 4.5 segments: four full segments go. */
  for (int i = 10; i < 14; i++)
    peer_expect(&p, MN_TCP_ACK, seg(i), p.snd_nxt, SEG);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sack_blocks_outside_the_outstanding_data_are_ignored)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, true, 4);
  struct mn_tcp_sock *tp = tcp_of(s);
  struct mn_tcp_sack_block bogus[] = {{seg(20), seg(30)}, {seg(-5), seg(-1)}, {seg(3), seg(2)}};
  peer_sack(&p, bogus, 3);
  ck_assert_int_eq(tp->sacked.n, 0);
  sack1(&p, 2, 4);
  ck_assert_int_eq(tp->sacked.n, 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_duplicate_acks_after_a_timeout_do_not_start_another_recovery)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = setup(&t, &p, false, 10);
  mn_tcp_set_loss_probes(t.st, false); /* a timeout, not a probe, is the subject */
  struct mn_tcp_sock *tp = tcp_of(s);
  tn_advance(&t, tp->rto);
  peer_expect(&p, MN_TCP_ACK, seg(0), p.snd_nxt, SEG);
  /* 0..2 arrive: slow start counts all three segments acknowledged (as
   * Linux, no RFC 3465 limit), cwnd becomes 4 and 3..6 are resent. */
  peer_ack(&p, seg(3));
  for (int i = 3; i < 7; i++)
    peer_expect(&p, MN_TCP_ACK, seg(i), p.snd_nxt, SEG);
  /* Duplicates for segments the receiver got twice: everything below
   * "recover" was already resent by the timeout (RFC 6582 3.2 step 1). */
  for (int i = 0; i < 3; i++)
    peer_ack(&p, seg(3));
  tn_expect_silence(&t);
  ck_assert(!tp->in_recovery);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.fast_retrans"), 0);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_recovery");
  TCase *tc = tcase_create("recovery");
  tcase_add_test(tc, test_fast_retransmit_happens_on_the_third_duplicate_ack_not_the_second);
  tcase_add_test(tc, test_duplicate_acks_that_carry_data_or_move_the_window_are_not_counted);
  tcase_add_test(tc, test_newreno_retransmits_the_next_hole_on_a_partial_ack);
  tcase_add_test(tc, test_sack_recovery_retransmits_each_hole_once_it_is_deemed_lost);
  tcase_add_test(tc, test_after_sack_recovery_new_data_flows_within_the_reduced_window);
  tcase_add_test(tc, test_sack_blocks_outside_the_outstanding_data_are_ignored);
  tcase_add_test(tc, test_duplicate_acks_after_a_timeout_do_not_start_another_recovery);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
