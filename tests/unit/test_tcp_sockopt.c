/* TCP's options: the values and errnos Linux gives (do_tcp_setsockopt,
 * do_tcp_getsockopt), and the behaviour each one turns on. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <netinet/tcp.h>
#include <string.h>

#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43
#endif

#define set_tcp(s, name, v) tn_set_int(s, IPPROTO_TCP, name, v)
#define get_tcp(s, name) tn_get_int(s, IPPROTO_TCP, name)

START_TEST(test_a_fresh_socket_reports_linux_defaults)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(get_tcp(s, TCP_SYNCNT), 6);
  ck_assert_int_eq(get_tcp(s, TCP_LINGER2), 60);
  ck_assert_int_eq(get_tcp(s, TCP_DEFER_ACCEPT), 0);
  ck_assert_int_eq(get_tcp(s, TCP_WINDOW_CLAMP), 0);
  ck_assert_int_eq(get_tcp(s, TCP_FASTOPEN), 0);
  ck_assert_int_eq(get_tcp(s, TCP_FASTOPEN_CONNECT), 0);
  ck_assert_int_eq(get_tcp(s, TCP_NOTSENT_LOWAT), 0);
  ck_assert_int_eq(get_tcp(s, TCP_QUICKACK), 1);
  ck_assert_int_eq(get_tcp(s, TCP_USER_TIMEOUT), 0);
  ck_assert_int_eq(get_tcp(s, TCP_MAXSEG), 536);
  ck_assert_int_eq(get_tcp(s, TCP_KEEPIDLE), 7200);
  ck_assert_int_eq(get_tcp(s, TCP_THIN_DUPACK), 0);
  ck_assert_int_eq(get_tcp(s, TCP_IS_MPTCP), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_values_and_errnos_are_linux_s)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(set_tcp(s, TCP_SYNCNT, 0), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_SYNCNT, 128), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_SYNCNT, 127), 0);
  ck_assert_int_eq(get_tcp(s, TCP_SYNCNT), 127);
  static const int linger2[][2] = {{-5, -1}, {0, 60}, {30, 30}, {200, 120}};
  for (size_t i = 0; i < sizeof(linger2) / sizeof(linger2[0]); i++) {
    ck_assert_int_eq(set_tcp(s, TCP_LINGER2, linger2[i][0]), 0);
    ck_assert_int_eq(get_tcp(s, TCP_LINGER2), linger2[i][1]);
  }
  /* Seconds in, the end of the last SYN-ACK period out. */
  static const int defer[][2] = {{1, 1},  {2, 3},       {3, 3},   {5, 7},
                                 {8, 15}, {30, 31},     {32, 63}, {100, 127},
                                 {-1, 0}, {1000, 1087}, {0, 0},   {100000, 29887}};
  for (size_t i = 0; i < sizeof(defer) / sizeof(defer[0]); i++) {
    ck_assert_int_eq(set_tcp(s, TCP_DEFER_ACCEPT, defer[i][0]), 0);
    ck_assert_int_eq(get_tcp(s, TCP_DEFER_ACCEPT), defer[i][1]);
  }
  static const int clamp[][2] = {{100, 1152}, {-5, 1152}, {50000, 50000}, {0, 0}};
  for (size_t i = 0; i < sizeof(clamp) / sizeof(clamp[0]); i++) {
    ck_assert_int_eq(set_tcp(s, TCP_WINDOW_CLAMP, clamp[i][0]), 0);
    ck_assert_int_eq(get_tcp(s, TCP_WINDOW_CLAMP), clamp[i][1]);
  }
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN, -1), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN, 100000), 0);
  ck_assert_int_eq(get_tcp(s, TCP_FASTOPEN), 4096);
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN_CONNECT, 1), -EOPNOTSUPP);
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN_CONNECT, 0), -EOPNOTSUPP);
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN_CONNECT, 2), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_NOTSENT_LOWAT, -1), 0);
  ck_assert_int_eq(get_tcp(s, TCP_NOTSENT_LOWAT), -1);
  ck_assert_int_eq(set_tcp(s, TCP_QUICKACK, 0), 0);
  ck_assert_int_eq(get_tcp(s, TCP_QUICKACK), 0);
  ck_assert_int_eq(set_tcp(s, TCP_QUICKACK, 2), 0); /* no ACK pending: stays quick */
  ck_assert_int_eq(get_tcp(s, TCP_QUICKACK), 1);
  ck_assert_int_eq(set_tcp(s, TCP_THIN_DUPACK, 1), 0);
  ck_assert_int_eq(set_tcp(s, TCP_THIN_DUPACK, 2), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_USER_TIMEOUT, -1), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_MAXSEG, 87), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_MAXSEG, 32768), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_KEEPIDLE, 0), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_KEEPCNT, 128), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_TIMESTAMP, 1), -EPERM);
  ck_assert_int_eq(set_tcp(s, TCP_INFO, 1), -ENOPROTOOPT);
  /* Known to Linux, not done by the stack: refused. */
  static const int refused[] = {TCP_MD5SIG,   TCP_REPAIR,   TCP_INQ,
                                TCP_SAVE_SYN, TCP_TX_DELAY, TCP_THIN_LINEAR_TIMEOUTS};
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    ck_assert_int_eq(set_tcp(s, refused[i], 1), -ENOPROTOOPT);
    int v;
    socklen_t len = sizeof(v);
    ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, refused[i], &v, &len), -ENOPROTOOPT);
  }
  short two = 1;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &two, sizeof(two)), -EINVAL);
  uint8_t one = 0xee;
  socklen_t len = 1;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &one, &len), 0);
  ck_assert_uint_eq(len, 1);
  ck_assert_uint_eq(one, 127);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_state_restrictions_follow_linux)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  ck_assert_int_eq(set_tcp(s, TCP_WINDOW_CLAMP, 0), -EINVAL);
  /* Connected, the clamp reads as the largest window the buffer allows. */
  ck_assert_int_eq(get_tcp(s, TCP_WINDOW_CLAMP), MN_TCP_RCVBUF_DEFAULT);
  ck_assert_int_eq(set_tcp(s, TCP_FASTOPEN, 5), -EINVAL);
  ck_assert_int_eq(set_tcp(s, TCP_DEFER_ACCEPT, 3), 0); /* no state rule */
  mynet_sock *l = tn_tcp_listener(&t, 8080, 4);
  ck_assert_int_eq(set_tcp(l, TCP_FASTOPEN, 5), 0);
  ck_assert_int_eq(get_tcp(l, TCP_FASTOPEN), 5);
  ck_assert_int_eq(get_tcp(l, TCP_WINDOW_CLAMP), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_string_options_congestion_ulp_and_cc_info)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 0), -EINVAL);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, NULL, 4), -EFAULT);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 3), -ENOENT);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), -ENOENT);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno\0xx", 7), 0);
  char name[64];
  memset(name, 'x', sizeof(name));
  socklen_t len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
  ck_assert_uint_eq(len, 16); /* Linux's whole name field, zero-padded */
  ck_assert_str_eq(name, "reno");
  ck_assert_int_eq(name[15], 0);
  ck_assert_int_eq(name[16], 'x');
  len = 2;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
  ck_assert_uint_eq(len, 2);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_ULP, "tls", 3), -ENOENT);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_TCP, TCP_ULP, "tls", 0), -EINVAL);
  len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_ULP, name, &len), 0);
  ck_assert_uint_eq(len, 0);
  len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_CC_INFO, name, &len), 0);
  ck_assert_uint_eq(len, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_timestamp_reads_the_tsval_being_sent)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t before = (uint32_t)get_tcp(s, TCP_TIMESTAMP);
  ck_assert_uint_eq(before, p.ts_recent); /* what the handshake's ACK carried */
  tn_advance(&t, MYNET_MS(250));
  ck_assert_uint_eq((uint32_t)get_tcp(s, TCP_TIMESTAMP) - before, 250);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_notsent_lowat_bounds_writes_and_pollout_and_wakes_when_sending_drains)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish_unscaled(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  p.win = 0; /* nothing can be sent */
  peer_ack(&p, snd);
  ck_assert_int_eq(set_tcp(s, TCP_NOTSENT_LOWAT, 3000), 0);
  static uint8_t data[10000];
  /* Taken a segment at a time while less than the mark is unsent. */
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 3 * 1448);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), -EAGAIN);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLOUT, 0);
  tn_expect_silence(&t);
  /* A segment's worth of window: 2896 unsent is still more than half
   * the mark. */
  p.win = 1448;
  peer_ack(&p, snd);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLOUT, 0);
  /* One more: 1448 unsent, below half the mark: writable, and the owner
   * is told. */
  uint32_t word = *mynet_sock_wake_word(s);
  peer_ack(&p, snd + 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 1448, p.snd_nxt, 1448);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLOUT, 0);
  ck_assert_uint_ne(*mynet_sock_wake_word(s), word);
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 2 * 1448);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_defer_accept_holds_a_bare_ack_until_data_arrives)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *l = tn_tcp_listener(&t, PEER_STACK_PORT, 4);
  ck_assert_int_eq(set_tcp(l, TCP_DEFER_ACCEPT, 5), 0);
  peer_syn_to_listener(&p);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), -EAGAIN);
  ck_assert_uint_eq(mynet_sock_events(l) & POLLIN, 0);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.defer_accept_drops"), 1);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "GET /", 5);
  ck_assert_uint_ne(mynet_sock_events(l) & POLLIN, 0);
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  char buf[8];
  ck_assert_int_eq(peer_read(c, buf, sizeof(buf)), 5);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_defer_accept_ends_with_a_syn_ack_in_its_last_period)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *l = tn_tcp_listener(&t, PEER_STACK_PORT, 4);
  ck_assert_int_eq(set_tcp(l, TCP_DEFER_ACCEPT, 5), 0); /* three SYN-ACK periods: 7 s */
  struct mn_tcp_hdr synack = peer_syn_to_listener(&p);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  /* The SYN-ACK timer runs (1 s, then 2 s) without resending... */
  tn_advance(&t, MYNET_SEC(3));
  tn_expect_silence(&t);
  /* ...until the last period begins at 7 s: the SYN-ACK again, and the
   * peer's answer now completes the connection. */
  tn_advance(&t, MYNET_SEC(4) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  ck_assert_uint_eq(h.seq, synack.seq);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  ck_assert_int_eq(tcp_of(c)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_deferred_connection_nobody_completes_is_dropped_quietly)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *l = tn_tcp_listener(&t, PEER_STACK_PORT, 4);
  ck_assert_int_eq(set_tcp(l, TCP_DEFER_ACCEPT, 5), 0);
  peer_syn_to_listener(&p);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  /* SYN-ACKs at 7, 15 and 31 s go unanswered; at 63 s the connection
   * request is forgotten (tcp_synack_retries = 5), without a reset. */
  int synacks = 0;
  for (int i = 0; i < 70; i++) {
    tn_advance(&t, MYNET_SEC(1));
    struct mn_pbuf *f;
    while ((f = tn_pop(&t))) {
      synacks++;
      mn_pbuf_free(f);
    }
  }
  ck_assert_int_eq(synacks, 3);
  ck_assert_int_eq(tcp_of(l)->syn_len, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syncnt_sets_how_many_syns_are_retransmitted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(set_tcp(s, TCP_SYNCNT, 2), 0);
  tn_tcp_connect_start(s, TN_PEER, 80);
  struct mn_tcp_hdr h;
  int syns = 0;
  for (int i = 0; i < 30; i++) {
    while (tn_device_tx_count(t.dev)) {
      tn_expect_tcp(&t, &h, NULL, 0);
      ck_assert_uint_eq(h.flags, MN_TCP_SYN);
      syns++;
    }
    tn_advance(&t, MYNET_SEC(1));
  }
  ck_assert_int_eq(syns, 1 + 2);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_so_error(s), ETIMEDOUT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_listener_s_syncnt_counts_its_syn_ack_retransmissions)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *l = tn_tcp_listener(&t, PEER_STACK_PORT, 4);
  ck_assert_int_eq(set_tcp(l, TCP_SYNCNT, 1), 0);
  peer_syn_to_listener(&p);
  tn_advance(&t, MYNET_SEC(1));
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  tn_advance(&t, MYNET_SEC(10));
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(l)->syn_len, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_linger2_sets_how_long_an_orphan_waits_in_fin_wait_2)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_connection_in(&p, &t, MN_TCPS_FIN_WAIT_2);
  ck_assert_int_eq(set_tcp(s, TCP_LINGER2, 10), 0);
  struct mn_tcp_sock *tp = tcp_of(s);
  mynet_sock_ref(s); /* to look at it after close */
  ck_assert_int_eq(mynet_close(s), 0);
  tn_advance(&t, MYNET_SEC(10) - 1);
  ck_assert_int_eq(tp->state, MN_TCPS_FIN_WAIT_2);
  tn_advance(&t, 1);
  ck_assert_int_eq(tp->state, MN_TCPS_CLOSED);
  tn_expect_silence(&t);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_negative_linger2_resets_an_orphan_instead_of_waiting)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_connection_in(&p, &t, MN_TCPS_FIN_WAIT_2);
  uint32_t snd = p.stack_iss + 2; /* after our FIN */
  ck_assert_int_eq(set_tcp(s, TCP_LINGER2, -1), 0);
  ck_assert_int_eq(mynet_close(s), 0);
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, snd, p.snd_nxt, 0);
  /* And when the ACK of the FIN of a closed socket comes later. */
  struct peer q;
  mynet_sock *s2 = peer_establish(&q, &t);
  ck_assert_int_eq(set_tcp(s2, TCP_LINGER2, -1), 0);
  ck_assert_int_eq(mynet_close(s2), 0);
  peer_expect(&q, MN_TCP_FIN | MN_TCP_ACK, q.stack_iss + 1, q.snd_nxt, 0);
  peer_ack(&q, q.stack_iss + 2);
  peer_expect(&q, MN_TCP_RST | MN_TCP_ACK, q.stack_iss + 2, q.snd_nxt, 0);
  ck_assert(!mynet_stack_lingering(t.st));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_window_clamp_bounds_the_advertised_window)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *s = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(set_tcp(s, TCP_WINDOW_CLAMP, 5000), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  tn_tcp_connect_start(s, TN_PEER, PEER_PORT);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN);
  ck_assert_uint_eq(h.win, 5000);
  p.stack_iss = h.seq;
  p.rcv_nxt = h.seq + 1;
  p.ts = p.sack = p.ws = true;
  p.stack_wscale = h.opt.wscale;
  struct mn_tcp_opts o = peer_linux_opts();
  o.ts_set = false;
  peer_inject_opts(&p, p.iss, p.rcv_nxt, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  p.snd_nxt = p.iss + 1;
  h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_uint_le((uint32_t)h.win << p.stack_wscale, 5000);
  static uint8_t data[3000];
  peer_send(&p, MN_TCP_ACK, data, sizeof(data));
  tn_advance(&t, MN_TCP_DELACK);
  h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_uint_le((uint32_t)h.win << p.stack_wscale, 5000);
  ck_assert_uint_gt(h.win, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_quickack_mode_lasts_sixteen_acks_then_acks_are_delayed_again)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  ck_assert_int_eq(set_tcp(s, TCP_QUICKACK, 1), 0);
  for (int i = 0; i < 16; i++) {
    peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "q", 1);
    peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  }
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "d", 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(get_tcp(s, TCP_QUICKACK), 1); /* not pingpong: just not quick now */
  /* 2 pushes the pending ACK, then delays again, as Linux. */
  ck_assert_int_eq(set_tcp(s, TCP_QUICKACK, 2), 0);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_int_eq(get_tcp(s, TCP_QUICKACK), 0);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "e", 1);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_sockopt");
  TCase *tc = tcase_create("tcp_sockopt");
  tcase_add_test(tc, test_a_fresh_socket_reports_linux_defaults);
  tcase_add_test(tc, test_values_and_errnos_are_linux_s);
  tcase_add_test(tc, test_state_restrictions_follow_linux);
  tcase_add_test(tc, test_string_options_congestion_ulp_and_cc_info);
  tcase_add_test(tc, test_tcp_timestamp_reads_the_tsval_being_sent);
  tcase_add_test(tc, test_notsent_lowat_bounds_writes_and_pollout_and_wakes_when_sending_drains);
  tcase_add_test(tc, test_defer_accept_holds_a_bare_ack_until_data_arrives);
  tcase_add_test(tc, test_defer_accept_ends_with_a_syn_ack_in_its_last_period);
  tcase_add_test(tc, test_a_deferred_connection_nobody_completes_is_dropped_quietly);
  tcase_add_test(tc, test_syncnt_sets_how_many_syns_are_retransmitted);
  tcase_add_test(tc, test_a_listener_s_syncnt_counts_its_syn_ack_retransmissions);
  tcase_add_test(tc, test_linger2_sets_how_long_an_orphan_waits_in_fin_wait_2);
  tcase_add_test(tc, test_negative_linger2_resets_an_orphan_instead_of_waiting);
  tcase_add_test(tc, test_window_clamp_bounds_the_advertised_window);
  tcase_add_test(tc, test_quickack_mode_lasts_sixteen_acks_then_acks_are_delayed_again);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
