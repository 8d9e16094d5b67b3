/* When small writes go out: Nagle's algorithm (RFC 1122 4.2.3.4) in the
 * form Linux uses, TCP_NODELAY, TCP_CORK and MSG_MORE. */
#include "helpers/peer.h"
#include "helpers/run.h"
#include "transport/tcp_impl.h"

#include <netinet/tcp.h>
#include <string.h>

static uint8_t stream[16 * 1024];

static ssize_t write_flags(mynet_sock *s, const void *buf, size_t len, int flags)
{
  struct iovec iov = {(void *)buf, len};
  return mynet_sendmsg(s, &iov, 1, NULL, flags);
}

static void set_int(mynet_sock *s, int name, int v)
{
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, name, &v, sizeof(v)), 0);
}

START_TEST(test_a_second_small_write_waits_for_the_ack_of_the_first)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* the first segment stays unacknowledged on purpose */
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "GET", 3), 3);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 3);
  ck_assert_int_eq(peer_write(s, " / ", 3), 3);
  ck_assert_int_eq(peer_write(s, "HTTP", 4), 4);
  tn_advance(&t, MYNET_MS(100));
  tn_expect_silence(&t);
  peer_ack(&p, snd + 3);
  uint8_t buf[16];
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(&p, &h, buf, sizeof(buf)), 7);
  ck_assert_uint_eq(h.seq, snd + 3);
  ck_assert_uint_eq(h.flags, MN_TCP_ACK | MN_TCP_PSH);
  ck_assert_mem_eq(buf, " / HTTP", 7);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_the_tail_of_a_large_write_is_not_held_back)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_pattern(stream, sizeof(stream), 0);
  /* Full segments in flight do not hold a small one (Minshall's rule, as
   * Linux), so a 1.5-segment response is not delayed by a delayed ACK. */
  ck_assert_int_eq(peer_write(s, stream, 2000), 2000);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1448, p.snd_nxt, 552);
  /* But that small segment now holds the next small one. */
  ck_assert_int_eq(peer_write(s, stream, 10), 10);
  tn_expect_silence(&t);
  peer_ack(&p, snd + 1448);
  tn_expect_silence(&t);
  peer_ack(&p, snd + 2000);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2000, p.snd_nxt, 10);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_nodelay_sends_small_writes_at_once)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "a", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  ck_assert_int_eq(peer_write(s, "b", 1), 1); /* held */
  tn_expect_silence(&t);
  /* Setting TCP_NODELAY pushes what Nagle held, like Linux. */
  set_int(s, TCP_NODELAY, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1, p.snd_nxt, 1);
  ck_assert_int_eq(peer_write(s, "c", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2, p.snd_nxt, 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_cork_holds_partial_segments_until_uncorked)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_pattern(stream, sizeof(stream), 0);
  set_int(s, TCP_CORK, 1);
  ck_assert_int_eq(peer_write(s, stream, 100), 100);
  tn_advance(&t, MYNET_MS(100));
  tn_expect_silence(&t);
  /* Full segments go; the partial rest waits. */
  ck_assert_int_eq(peer_write(s, stream + 100, 2000), 2000);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  set_int(s, TCP_CORK, 0);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1448, p.snd_nxt, 652);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_corked_data_is_sent_anyway_after_one_rto)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  set_int(s, TCP_CORK, 1);
  ck_assert_int_eq(peer_write(s, "header", 6), 6);
  /* Linux bounds corking (its "200 ms ceiling") with the persist timer:
   * one RTO, at least 200 ms, after the last transmission. */
  mynet_time rto = tcp_of(s)->rto;
  ck_assert_int_ge(rto, MN_TCP_RTO_MIN);
  tn_advance(&t, rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 6);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_msg_more_holds_a_write_until_the_next_one_without_it)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(write_flags(s, "Content-Length: 4\r\n", 19, MSG_MORE), 19);
  tn_expect_silence(&t);
  ck_assert_int_eq(write_flags(s, "\r\nbody", 6, 0), 6);
  uint8_t buf[32];
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(&p, &h, buf, sizeof(buf)), 25);
  ck_assert_uint_eq(h.seq, snd);
  ck_assert_mem_eq(buf, "Content-Length: 4\r\n\r\nbody", 25);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_closing_flushes_data_held_by_nagle)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "a", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 1);
  ck_assert_int_eq(peer_write(s, "bc", 2), 2);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH | MN_TCP_FIN, snd + 1, p.snd_nxt, 2);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_nagle");
  TCase *tc = tcase_create("nagle");
  tcase_add_test(tc, test_a_second_small_write_waits_for_the_ack_of_the_first);
  tcase_add_test(tc, test_the_tail_of_a_large_write_is_not_held_back);
  tcase_add_test(tc, test_tcp_nodelay_sends_small_writes_at_once);
  tcase_add_test(tc, test_tcp_cork_holds_partial_segments_until_uncorked);
  tcase_add_test(tc, test_corked_data_is_sent_anyway_after_one_rto);
  tcase_add_test(tc, test_msg_more_holds_a_write_until_the_next_one_without_it);
  tcase_add_test(tc, test_closing_flushes_data_held_by_nagle);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
