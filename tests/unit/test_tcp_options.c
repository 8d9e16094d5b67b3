/* TCP option negotiation: MSS (RFC 9293 3.7.1), window scaling and
 * timestamps (RFC 7323), SACK-permitted (RFC 2018). */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <netinet/tcp.h>
#include <string.h>

START_TEST(test_peer_without_options_gets_536_byte_segments_and_no_options_later)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *s = peer_open_active(&p, NULL);
  uint32_t snd = p.stack_iss + 1;
  uint8_t data[2000];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 2000);
  uint8_t got[600];
  for (int i = 0; i < 3; i++) {
    struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, snd + 536 * i, p.snd_nxt, 536);
    ck_assert_int_eq(h.hdr_len, 20); /* no options at all */
  }
  /* The tail goes out too: no small segment is outstanding (Nagle as
   * Linux applies it, Minshall's variant). */
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1608, p.snd_nxt, 392);
  ck_assert_int_eq(h.hdr_len, 20);
  /* Without window scaling the window field is bytes, at most 65535. */
  ck_assert_uint_eq(h.win, 65535);
  tn_expect_silence(&t);
  /* Data from the peer: the ACK carries no SACK or timestamp either. */
  peer_ack(&p, snd + 2000);
  peer_send(&p, MN_TCP_ACK, "abc", 3);
  peer_inject(&p, p.snd_nxt + 10, p.rcv_nxt, MN_TCP_ACK, "xyz", 3); /* out of order */
  h = peer_expect(&p, MN_TCP_ACK, snd + 2000, p.snd_nxt, 0);
  ck_assert_int_eq(h.hdr_len, 20);
  ck_assert_int_eq(h.opt.nsack, 0);
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), 3);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_segments_respect_the_peer_mss_less_the_timestamp_option)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.mss = 1000;
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  uint8_t data[3000];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 3000);
  /* Every full segment has room for the 12 bytes of timestamps. */
  uint8_t got[1000];
  for (int i = 0; i < 3; i++)
    peer_expect(&p, MN_TCP_ACK, snd + 988 * i, p.snd_nxt, 988);
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(&p, &h, got, sizeof(got)), 36);
  ck_assert_uint_eq(h.seq, snd + 2964);
  ck_assert_mem_eq(got, data + 2964, 36);
  int mss = 0;
  socklen_t l = sizeof(mss);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_MAXSEG, &mss, &l), 0);
  ck_assert_int_eq(mss, 988);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_maxseg_before_connect_lowers_the_advertised_mss)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  int mss = 1200;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
  struct sockaddr_in to = tn_sin(TN_PEER, PEER_PORT);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
  struct mn_tcp_hdr h;
  tn_expect_tcp(&t, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN);
  ck_assert_uint_eq(h.opt.mss, 1200);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_window_scale_is_applied_to_the_peer_window)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.wscale = 2;
  p.win = 1448; /* the SYN-ACK's own window is never scaled */
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  /* The ACK completing the handshake announces 1448 << 2: four segments. */
  peer_ack(&p, snd);
  static uint8_t data[20000];
  peer_pattern(data, sizeof(data), 0);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  for (int i = 0; i < 4; i++)
    peer_expect(&p, MN_TCP_ACK, snd + 1448 * i, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  /* Acknowledging two segments slides the window by two. */
  peer_ack(&p, snd + 2 * 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 4 * 1448, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 5 * 1448, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_window_scale_is_applied_to_the_window_we_advertise)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  int buf = 100000; /* doubled: 200000 bytes */
  /* A listener's buffer size is inherited by its children. */
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  ck_assert_int_eq(mynet_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 4), 0);
  p.ts = p.sack = p.ws = true;
  peer_inject_opts(&p, 1000, 0, MN_TCP_SYN, &o, NULL, 0);
  p.snd_nxt = 1001;
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.win, 65535);
  ck_assert_uint_eq(h.opt.wscale, 7);
  p.stack_iss = h.seq;
  p.rcv_nxt = h.seq + 1;
  p.stack_wscale = 7;
  peer_send(&p, MN_TCP_ACK, "hello", 5);
  tn_advance(&t, MN_TCP_DELACK);
  h = peer_expect(&p, MN_TCP_ACK, p.rcv_nxt, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, (200000 - 5) >> 7);
  mynet_close(l);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_no_window_scaling_unless_both_sides_offer_it)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.ws_set = false;
  mynet_sock *s = peer_open_active(&p, &o);
  peer_send(&p, MN_TCP_ACK, "hi", 2);
  tn_advance(&t, MN_TCP_DELACK);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  /* At most 65535 bytes; the right edge stays put until it can move by
   * an MSS (receiver-side silly window avoidance). */
  ck_assert_uint_eq(h.win, 65535 - 2);
  /* And the peer's window field is taken as bytes: 100 bytes, no more.
   * So small a share of the window waits (sender-side silly window
   * avoidance) until the persist timer sends it anyway. */
  p.win = 100;
  peer_ack(&p, p.stack_iss + 1);
  uint8_t data[1000] = {0};
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 1000);
  tn_expect_silence(&t);
  tn_advance(&t, tcp_of(s)->rto);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 100);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_timestamps_echo_the_peer_tsval)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  uint32_t first_tsval = p.ts_recent;
  tn_advance(&t, MYNET_MS(250));
  uint32_t sent_at = peer_tsval(&p);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "ping", 4);
  ck_assert_int_eq(peer_write(s, "pong", 4), 4);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  ck_assert_uint_eq(h.opt.tsecr, sent_at);
  /* Our clock ticks once a millisecond. */
  ck_assert_uint_eq(h.opt.tsval - first_tsval, 250);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_delayed_ack_echoes_the_timestamp_of_the_earliest_unacknowledged_segment)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_establish(&p, &t);
  uint32_t first = peer_tsval(&p);
  peer_send(&p, MN_TCP_ACK, "a", 1);
  tn_advance(&t, MYNET_MS(10));
  peer_send(&p, MN_TCP_ACK, "b", 1);
  tn_advance(&t, MYNET_MS(30));
  /* RFC 7323 4.3: the delayed ACK covers both and echoes the first. */
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_uint_eq(h.opt.tsecr, first);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_paws_drops_a_segment_with_an_old_timestamp_and_acks_it)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  tn_advance(&t, MYNET_SEC(1));
  peer_send(&p, MN_TCP_ACK, "new", 3);
  /* An old duplicate from a previous incarnation: in the window, but its
   * timestamp is older than the last one seen (RFC 7323 5.3). */
  struct mn_tcp_opts old = {.ts_set = true, .tsval = peer_tsval(&p) - 5000, .tsecr = p.ts_recent};
  tn_inject_tcp(&t, PEER_PORT, PEER_STACK_PORT, p.snd_nxt, p.rcv_nxt, MN_TCP_ACK, 65535, &old,
                "old", 3);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_uint_eq(h.opt.tsecr, peer_tsval(&p)); /* not the stale value */
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.paws_drops"), 1);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 3);
  ck_assert_mem_eq(buf, "new", 3);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  /* A reset is not subject to PAWS (RFC 7323 5.3 R1). */
  struct mn_tcp_opts old_rst = {.ts_set = true, .tsval = 1, .tsecr = 0};
  tn_inject_tcp(&t, PEER_PORT, PEER_STACK_PORT, p.snd_nxt, 0, MN_TCP_RST, 0, &old_rst, NULL, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sack_blocks_are_sent_only_when_sack_was_permitted)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.sack_ok = false;
  peer_open_active(&p, &o);
  peer_inject(&p, p.snd_nxt + 100, p.rcv_nxt, MN_TCP_ACK, "later", 5);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_int_eq(h.opt.nsack, 0);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_options");
  TCase *tc = tcase_create("options");
  tcase_add_test(tc, test_peer_without_options_gets_536_byte_segments_and_no_options_later);
  tcase_add_test(tc, test_segments_respect_the_peer_mss_less_the_timestamp_option);
  tcase_add_test(tc, test_tcp_maxseg_before_connect_lowers_the_advertised_mss);
  tcase_add_test(tc, test_window_scale_is_applied_to_the_peer_window);
  tcase_add_test(tc, test_window_scale_is_applied_to_the_window_we_advertise);
  tcase_add_test(tc, test_no_window_scaling_unless_both_sides_offer_it);
  tcase_add_test(tc, test_timestamps_echo_the_peer_tsval);
  tcase_add_test(tc, test_delayed_ack_echoes_the_timestamp_of_the_earliest_unacknowledged_segment);
  tcase_add_test(tc, test_paws_drops_a_segment_with_an_old_timestamp_and_acks_it);
  tcase_add_test(tc, test_sack_blocks_are_sent_only_when_sack_was_permitted);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
