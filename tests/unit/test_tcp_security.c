/* Blind in-window attacks (RFC 5961): resets and SYNs that do not match
 * exactly draw a rate-limited challenge ACK; ACKs for data never sent or
 * long acknowledged are dropped. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

START_TEST(test_rst_in_the_window_but_not_exact_draws_a_challenge_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_inject(&p, p.snd_nxt + 1000, 0, MN_TCP_RST, NULL, 0);
  /* RFC 5961 3.2: an ACK the real peer can answer with an exact reset. */
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(peer_so_error(s), 0);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.challenge_acks"), 1);
  /* Data still flows both ways. */
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "ok", 2);
  ck_assert_int_eq(peer_write(s, "ok", 2), 2);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 2);
  /* The exact reset works. */
  peer_inject(&p, p.snd_nxt, 0, MN_TCP_RST, NULL, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syn_on_an_established_connection_draws_a_challenge_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  /* RFC 5961 4.2: whatever its sequence number. */
  struct mn_tcp_opts o = peer_linux_opts();
  peer_inject_opts(&p, p.snd_nxt + 5, 0, MN_TCP_SYN, &o, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_inject_opts(&p, p.snd_nxt, p.rcv_nxt, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.challenge_acks"), 2);
  ck_assert_int_eq(peer_so_error(s), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_challenge_acks_are_limited_to_1000_a_second)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_establish(&p, &t);
  /* Start at the beginning of a second. */
  tn_advance(&t, MYNET_SEC(1) - t.now % MYNET_SEC(1));
  for (int i = 0; i < MN_TCP_CHALLENGE_ACK_PER_SEC + 20; i++) {
    peer_inject(&p, p.snd_nxt + 1 + (uint32_t)i, 0, MN_TCP_RST, NULL, 0);
    struct mn_pbuf *f = tn_pop(&t);
    ck_assert_msg((f != NULL) == (i < MN_TCP_CHALLENGE_ACK_PER_SEC), "reset %d", i);
    if (f)
      mn_pbuf_free(f);
  }
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.challenge_acks"), MN_TCP_CHALLENGE_ACK_PER_SEC);
  /* The budget comes back the next second. */
  tn_advance(&t, MYNET_SEC(1));
  peer_inject(&p, p.snd_nxt + 1, 0, MN_TCP_RST, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ack_for_data_never_sent_is_answered_and_the_segment_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_inject(&p, p.snd_nxt, snd + 5000, MN_TCP_ACK | MN_TCP_PSH, "evil", 4);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ack_older_than_the_largest_window_draws_a_challenge_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  p.win = 1000; /* no window scaling: the largest window is 1000 bytes */
  struct mn_tcp_opts o = peer_linux_opts();
  o.ws_set = false;
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[3000];
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(peer_write(s, data, 1000), 1000);
    peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1000u * i, p.snd_nxt, 1000);
    peer_ack(&p, snd + 1000u * (i + 1));
  }
  /* RFC 5961 5.2: SND.UNA - MAX.SND.WND <= SEG.ACK, or it is dropped. */
  peer_inject(&p, p.snd_nxt, snd + 1000, MN_TCP_ACK | MN_TCP_PSH, "old", 3);
  peer_expect(&p, MN_TCP_ACK, snd + 3000, p.snd_nxt, 0);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  /* Within that range the data is taken. */
  peer_inject(&p, p.snd_nxt, snd + 2000, MN_TCP_ACK | MN_TCP_PSH, "fine", 4);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 4);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_segment_without_ack_is_dropped_on_an_established_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_inject(&p, p.snd_nxt, 0, MN_TCP_PSH, "noack", 5);
  tn_expect_silence(&t);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_data_outside_the_window_draws_a_duplicate_ack_and_is_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_inject(&p, p.snd_nxt - 5000, p.rcv_nxt, MN_TCP_ACK, "stale", 5);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  peer_inject(&p, p.snd_nxt + 0x7fff0000, p.rcv_nxt, MN_TCP_ACK, "far", 3);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_segment_with_a_bad_checksum_is_counted_and_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint8_t seg[MN_TCP_HDR_LEN + 4];
  struct mn_tcp_hdr h = {.sport = PEER_PORT,
                         .dport = PEER_STACK_PORT,
                         .seq = p.snd_nxt,
                         .ack = p.rcv_nxt,
                         .flags = MN_TCP_ACK,
                         .win = 1000};
  memcpy(seg + MN_TCP_HDR_LEN, "data", 4);
  mn_tcp_emit(&h, seg, 4, TN_PEER, TN_ADDR);
  seg[MN_TCP_HDR_LEN] ^= 1;
  tn_inject_ipv4(&t, TN_PEER, TN_ADDR, MN_IPPROTO_TCP, seg, sizeof(seg));
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.in_errs"), 1);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_security");
  TCase *tc = tcase_create("security");
  tcase_add_test(tc, test_rst_in_the_window_but_not_exact_draws_a_challenge_ack);
  tcase_add_test(tc, test_syn_on_an_established_connection_draws_a_challenge_ack);
  tcase_add_test(tc, test_challenge_acks_are_limited_to_1000_a_second);
  tcase_add_test(tc, test_ack_for_data_never_sent_is_answered_and_the_segment_dropped);
  tcase_add_test(tc, test_ack_older_than_the_largest_window_draws_a_challenge_ack);
  tcase_add_test(tc, test_segment_without_ack_is_dropped_on_an_established_connection);
  tcase_add_test(tc, test_data_outside_the_window_draws_a_duplicate_ack_and_is_dropped);
  tcase_add_test(tc, test_segment_with_a_bad_checksum_is_counted_and_dropped);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
