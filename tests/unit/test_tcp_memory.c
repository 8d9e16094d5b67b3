/* Running out of memory: data that cannot be stored is never
 * acknowledged, and connections recover once memory returns.  The stack's
 * allocation budget (core/mem.h) makes the failures happen on cue; the
 * packet pool's bound does the same for packet buffers. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

static void no_memory(struct tn *t)
{
  mn_mem_set_budget(&t->st->mem, 0);
}

static void memory_back(struct tn *t)
{
  mn_mem_set_budget(&t->st->mem, MN_MEM_UNLIMITED);
}

START_TEST(test_data_that_cannot_be_stored_is_not_acknowledged_and_arrives_when_resent)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t seq = p.snd_nxt;
  no_memory(&t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "hello", 5);
  /* Not even a delayed ACK: rcv_nxt never moved. */
  tn_advance(&t, MN_TCP_DELACK * 2);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.rcvq_drops"), 1);
  ck_assert_int_eq(mynet_stack_counter(t.st, "mem.alloc_failures"), 1);
  char buf[16];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLIN, 0);
  /* The peer's retransmission finds memory again. */
  memory_back(&t);
  peer_inject(&p, seq, p.rcv_nxt, MN_TCP_ACK | MN_TCP_PSH, "hello", 5);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, seq + 5, 0);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 5);
  ck_assert_mem_eq(buf, "hello", 5);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_out_of_order_data_that_cannot_be_stored_is_not_sacked)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t seq = p.snd_nxt;
  no_memory(&t);
  peer_inject(&p, seq + 3, p.rcv_nxt, MN_TCP_ACK, "def", 3);
  tn_expect_silence(&t); /* no duplicate ACK claiming [3, 6) */
  memory_back(&t);
  peer_inject(&p, seq, p.rcv_nxt, MN_TCP_ACK, "abc", 3);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, seq + 3, 0);
  peer_inject(&p, seq + 3, p.rcv_nxt, MN_TCP_ACK, "def", 3);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, seq + 6, 0);
  char buf[16];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 6);
  ck_assert_mem_eq(buf, "abcdef", 6);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_write_without_memory_fails_with_enomem_and_sends_nothing)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  no_memory(&t);
  ck_assert_int_eq(peer_write(s, "data", 4), -ENOMEM);
  tn_expect_silence(&t);
  memory_back(&t);
  ck_assert_int_eq(peer_write(s, "data", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, p.stack_iss + 1, p.snd_nxt, 4);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_syn_without_memory_for_the_child_is_dropped_and_the_retry_answered)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  tn_tcp_listener(&t, PEER_STACK_PORT, 8);
  no_memory(&t);
  peer_inject(&p, 1000, 0, MN_TCP_SYN, NULL, 0);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.listen_drops"), 1);
  memory_back(&t);
  peer_inject(&p, 1000, 0, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  tn_expect_tcp(&t, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_socket_without_memory_is_not_created)
{
  struct tn t;
  tn_setup(&t, true);
  no_memory(&t);
  mynet_sock *s = NULL;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &s), -ENOMEM);
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), -ENOMEM);
  memory_back(&t);
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_segment_without_a_packet_buffer_is_resent_by_the_timer)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  struct mn_tcp_sock *tp = tcp_of(s);
  /* The pool has no room left while the stack sends. */
  size_t bound = t.st->pool.bytes_max;
  t.st->pool.bytes_max = t.st->pool.bytes_used;
  ck_assert_int_eq(peer_write(s, "lost", 4), 4);
  t.st->pool.bytes_max = bound;
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.out_nobufs"), 1);
  /* Counted as sent (and lost): the sequence space stays consistent. */
  ck_assert_uint_eq(tp->snd_max, tp->snd_nxt);
  ck_assert_uint_eq(tp->snd_nxt, p.stack_iss + 5);
  tn_advance(&t, tp->rto);
  /* (A tail loss probe, RFC 8985 7.3, comes before the timeout.) */
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 4);
  peer_ack(&p, p.stack_iss + 5);
  ck_assert_uint_eq(tp->snd_una, tp->snd_max);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_memory");
  TCase *tc = tcase_create("memory");
  tcase_add_test(tc, test_data_that_cannot_be_stored_is_not_acknowledged_and_arrives_when_resent);
  tcase_add_test(tc, test_out_of_order_data_that_cannot_be_stored_is_not_sacked);
  tcase_add_test(tc, test_a_write_without_memory_fails_with_enomem_and_sends_nothing);
  tcase_add_test(tc, test_a_syn_without_memory_for_the_child_is_dropped_and_the_retry_answered);
  tcase_add_test(tc, test_a_socket_without_memory_is_not_created);
  tcase_add_test(tc, test_a_segment_without_a_packet_buffer_is_resent_by_the_timer);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
