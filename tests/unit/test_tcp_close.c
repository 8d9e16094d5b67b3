/* TCP connection teardown (RFC 9293 3.6): active, passive, simultaneous
 * and half close, TIME_WAIT, aborts by reset, and resets arriving in every
 * synchronized state. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

static enum mn_tcp_state state_of(mynet_sock *s)
{
  return tcp_of(s)->state;
}

START_TEST(test_active_close_goes_through_fin_wait_and_time_wait_then_closes_after_60_s)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  mynet_sock_ref(s); /* keep the control block to look at after close */
  ck_assert_int_eq(mynet_close(s), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_1);
  ck_assert(mynet_stack_lingering(t.st));
  peer_ack(&p, snd + 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_2);
  ck_assert(!mynet_stack_lingering(t.st));
  tn_advance(&t, MYNET_SEC(10));
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  tn_advance(&t, 2 * MN_TCP_MSL - 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  tn_advance(&t, 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  tn_expect_silence(&t);
  /* The connection is gone: anything more draws a reset. */
  peer_send(&p, MN_TCP_ACK, "late", 4);
  peer_expect(&p, MN_TCP_RST, snd + 1, 0, 0);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_time_wait_acknowledges_a_retransmitted_fin_and_restarts_its_timer)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  mynet_sock_ref(s);
  mynet_close(s);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_ack(&p, snd + 1);
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(50));
  /* Our ACK was lost: the peer's FIN comes again (RFC 9293 3.10.7.4,
   * TIME-WAIT: acknowledge it and restart the 2 MSL timeout). */
  peer_inject(&p, p.snd_nxt - 1, snd + 1, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(59));
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  tn_advance(&t, MYNET_SEC(1));
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_fin_ack_that_acknowledges_our_fin_moves_fin_wait_1_straight_to_time_wait)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  mynet_sock_ref(s);
  mynet_close(s);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  p.rcv_nxt = snd + 1;
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  tn_expect_silence(&t);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_passive_close_goes_through_close_wait_and_last_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  /* A FIN is acknowledged at once. */
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSE_WAIT);
  ck_assert_uint_eq(mynet_sock_events(s), POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  /* The other direction still works. */
  ck_assert_int_eq(peer_write(s, "bye", 3), 3);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 3);
  peer_ack(&p, snd + 3);
  mynet_sock_ref(s);
  ck_assert_int_eq(mynet_close(s), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd + 3, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_LAST_ACK);
  peer_ack(&p, snd + 4);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  tn_expect_silence(&t);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_last_ack_retransmits_the_fin_until_it_is_acknowledged)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  mynet_sock_ref(s);
  mynet_close(s);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  tn_advance(&t, tcp_of(s)->rto);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert(mynet_stack_lingering(t.st));
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  ck_assert(!mynet_stack_lingering(t.st));
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_simultaneous_close_goes_through_closing)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  /* The peer's FIN crossed ours: it does not acknowledge it. */
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSING);
  peer_ack(&p, snd + 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  ck_assert_uint_eq(mynet_sock_events(s) & (POLLIN | POLLHUP | POLLRDHUP),
                    POLLIN | POLLHUP | POLLRDHUP);
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  ck_assert_int_eq(peer_write(s, "x", 1), -EPIPE);
  tn_advance(&t, 2 * MN_TCP_MSL);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_half_closed_connection_keeps_receiving_after_shutdown_wr)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(peer_write(s, "x", 1), -EPIPE);
  ck_assert_uint_eq(mynet_sock_events(s) & (POLLOUT | POLLHUP | POLLIN), POLLOUT);
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_2);
  /* No FIN_WAIT_2 timeout for a socket the application still holds. */
  tn_advance(&t, MYNET_SEC(120));
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_2);
  for (int i = 0; i < 3; i++) {
    uint8_t data[1000];
    peer_pattern(data, sizeof(data), (size_t)i * 1000);
    peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, data, sizeof(data));
  }
  /* Two segments are acknowledged at once, the third after 40 ms. */
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt - 1000, 0);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  uint8_t got[4000], want[3000];
  peer_pattern(want, sizeof(want), 0);
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), 3000);
  ck_assert_mem_eq(got, want, 3000);
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), -EAGAIN);
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_TIME_WAIT);
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_recv_returns_the_data_then_zero_after_the_peer_fin)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH | MN_TCP_FIN, "tail", 4);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  char buf[16];
  ck_assert_int_eq(peer_read(s, buf, 2), 2);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 2);
  ck_assert_mem_eq(buf, "il", 2);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_close_with_unread_data_resets_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "unread", 6);
  /* RFC 2525 2.17: data would be lost silently; say so with a reset. */
  mynet_sock_ref(s);
  mynet_close(s);
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  tn_advance(&t, MYNET_SEC(1));
  tn_expect_silence(&t);
  ck_assert(!mynet_stack_lingering(t.st));
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_close_with_linger_zero_resets_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  ck_assert_int_eq(peer_write(s, "dropped", 7), 7);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 7);
  mynet_close(s);
  /* The reset carries the next sequence number after what was sent. */
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, snd + 7, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(5));
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_in_established_reports_econnreset_then_end_of_file)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_RST | MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  ck_assert_uint_eq(mynet_sock_events(s),
                    POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLERR | POLLHUP);
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -ECONNRESET);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  ck_assert_int_eq(peer_write(s, "x", 1), -EPIPE);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.estab_resets"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_send_after_a_reset_reports_econnreset_then_epipe)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_RST, NULL, 0);
  ck_assert_int_eq(peer_write(s, "x", 1), -ECONNRESET);
  ck_assert_int_eq(peer_write(s, "x", 1), -EPIPE);
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_data_received_before_a_reset_can_still_be_read)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "abc", 3);
  peer_send(&p, MN_TCP_RST, NULL, 0);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 3);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -ECONNRESET);
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_with_exact_sequence_ends_the_connection_in_every_synchronized_state)
{
  /* The errors Linux's tcp_reset() reports: EPIPE in CLOSE_WAIT, where
   * the stream already ended in order; none in TIME_WAIT. */
  struct {
    enum mn_tcp_state state;
    int err;
  } cases[] = {
      {MN_TCPS_ESTABLISHED, ECONNRESET},
      {MN_TCPS_FIN_WAIT_1, ECONNRESET},
      {MN_TCPS_FIN_WAIT_2, ECONNRESET},
      {MN_TCPS_CLOSE_WAIT, EPIPE},
      {MN_TCPS_CLOSING, ECONNRESET},
      {MN_TCPS_LAST_ACK, ECONNRESET},
      {MN_TCPS_TIME_WAIT, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    mynet_sock *s = peer_connection_in(&p, &t, cases[i].state);
    peer_send(&p, MN_TCP_RST, NULL, 0);
    tn_expect_silence(&t);
    ck_assert_msg(state_of(s) == MN_TCPS_CLOSED, "%s: still %s", mn_tcp_state_name(cases[i].state),
                  mn_tcp_state_name(state_of(s)));
    ck_assert_msg(peer_so_error(s) == cases[i].err, "%s: wrong error",
                  mn_tcp_state_name(cases[i].state));
    char buf[4];
    ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
    tn_advance(&t, MYNET_SEC(200));
    tn_expect_silence(&t);
    tn_teardown(&t);
  }
}
END_TEST

START_TEST(test_recv_after_a_reset_in_close_wait_still_reports_end_of_file)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_connection_in(&p, &t, MN_TCPS_CLOSE_WAIT);
  peer_send(&p, MN_TCP_RST, NULL, 0);
  /* As on Linux: the stream ended in order, so reads say so; the error
   * is for writers. */
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  ck_assert_int_eq(peer_write(s, "x", 1), -EPIPE);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLHUP, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_outside_the_window_is_ignored_in_every_synchronized_state)
{
  enum mn_tcp_state states[] = {MN_TCPS_ESTABLISHED, MN_TCPS_FIN_WAIT_1, MN_TCPS_FIN_WAIT_2,
                                MN_TCPS_CLOSE_WAIT,  MN_TCPS_CLOSING,    MN_TCPS_LAST_ACK,
                                MN_TCPS_TIME_WAIT};
  for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    mynet_sock *s = peer_connection_in(&p, &t, states[i]);
    peer_inject(&p, p.snd_nxt - 100, 0, MN_TCP_RST, NULL, 0);
    peer_inject(&p, p.snd_nxt + 0x40000000, 0, MN_TCP_RST, NULL, 0);
    tn_expect_silence(&t);
    ck_assert_msg(state_of(s) == states[i], "%s became %s", mn_tcp_state_name(states[i]),
                  mn_tcp_state_name(state_of(s)));
    tn_teardown(&t);
  }
}
END_TEST

START_TEST(test_orphaned_fin_wait_2_is_dropped_after_60_s)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  mynet_sock_ref(s);
  mynet_close(s);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_2);
  tn_advance(&t, MN_TCP_FIN_TIMEOUT - 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_FIN_WAIT_2);
  tn_advance(&t, 1);
  ck_assert_int_eq(state_of(s), MN_TCPS_CLOSED);
  tn_expect_silence(&t);
  mynet_sock_unref(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_data_for_a_closed_socket_resets_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  mynet_close(s);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  peer_ack(&p, snd + 1);
  /* Nobody can read this any more. */
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "more", 4);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags & MN_TCP_RST, MN_TCP_RST);
  ck_assert_uint_eq(h.seq, snd + 1);
  tn_expect_silence(&t);
  ck_assert(!mynet_stack_lingering(t.st));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_new_syn_above_the_old_sequence_space_reopens_a_time_wait_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *c = peer_open_passive(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  /* The server closes first and keeps TIME_WAIT. */
  mynet_close(c);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd, p.snd_nxt, 0);
  p.rcv_nxt = snd + 1;
  peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, snd + 1, p.snd_nxt, 0);
  tn_advance(&t, MYNET_SEC(1));
  /* The client comes back from the same port with a higher ISN. */
  peer_inject_opts(&p, p.snd_nxt + 100000, 0, MN_TCP_SYN, &o, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  ck_assert_uint_eq(h.ack, p.snd_nxt + 100001);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_time_wait_connections_are_bounded)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, 80);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  for (int i = 0; i <= MN_TCP_MAX_TIME_WAIT; i++) {
    /* A client on port 10000 + i connects; the server closes first. */
    struct peer p;
    peer_init(&p, &t, 1000);
    p.port = (uint16_t)(10000 + i);
    p.sport = 80;
    peer_send(&p, MN_TCP_SYN, NULL, 0);
    struct mn_tcp_hdr h;
    peer_recv(&p, &h, NULL, 0);
    ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
    p.stack_iss = h.seq;
    p.rcv_nxt = h.seq + 1;
    peer_send(&p, MN_TCP_ACK, NULL, 0);
    mynet_sock *c;
    ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
    mynet_close(c);
    peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, h.seq + 1, p.snd_nxt, 0);
    p.rcv_nxt = h.seq + 2;
    peer_send(&p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
    peer_expect(&p, MN_TCP_ACK, h.seq + 2, p.snd_nxt, 0);
  }
  ck_assert_int_eq(t.st->tcp->time_wait_count, MN_TCP_MAX_TIME_WAIT);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timewait_recycled"), 1);
  tn_advance(&t, 2 * MN_TCP_MSL);
  ck_assert_int_eq(t.st->tcp->time_wait_count, 0);
  mynet_close(l);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_close");
  TCase *tc = tcase_create("close");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_active_close_goes_through_fin_wait_and_time_wait_then_closes_after_60_s);
  tcase_add_test(tc, test_time_wait_acknowledges_a_retransmitted_fin_and_restarts_its_timer);
  tcase_add_test(tc, test_fin_ack_that_acknowledges_our_fin_moves_fin_wait_1_straight_to_time_wait);
  tcase_add_test(tc, test_passive_close_goes_through_close_wait_and_last_ack);
  tcase_add_test(tc, test_last_ack_retransmits_the_fin_until_it_is_acknowledged);
  tcase_add_test(tc, test_simultaneous_close_goes_through_closing);
  tcase_add_test(tc, test_half_closed_connection_keeps_receiving_after_shutdown_wr);
  tcase_add_test(tc, test_recv_returns_the_data_then_zero_after_the_peer_fin);
  tcase_add_test(tc, test_close_with_unread_data_resets_the_connection);
  tcase_add_test(tc, test_close_with_linger_zero_resets_the_connection);
  tcase_add_test(tc, test_rst_in_established_reports_econnreset_then_end_of_file);
  tcase_add_test(tc, test_send_after_a_reset_reports_econnreset_then_epipe);
  tcase_add_test(tc, test_data_received_before_a_reset_can_still_be_read);
  tcase_add_test(tc, test_rst_with_exact_sequence_ends_the_connection_in_every_synchronized_state);
  tcase_add_test(tc, test_recv_after_a_reset_in_close_wait_still_reports_end_of_file);
  tcase_add_test(tc, test_rst_outside_the_window_is_ignored_in_every_synchronized_state);
  tcase_add_test(tc, test_orphaned_fin_wait_2_is_dropped_after_60_s);
  tcase_add_test(tc, test_data_for_a_closed_socket_resets_the_connection);
  tcase_add_test(tc, test_new_syn_above_the_old_sequence_space_reopens_a_time_wait_connection);
  tcase_add_test(tc, test_time_wait_connections_are_bounded);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
