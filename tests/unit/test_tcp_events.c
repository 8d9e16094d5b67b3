/* What the application sees without reading or writing: poll events in
 * every state (as Linux's tcp_poll() reports them), the notify callback,
 * and ICMP errors (RFC 5927, RFC 1122 4.2.3.9). */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <netinet/tcp.h>
#include <string.h>

#define IN (POLLIN | POLLRDNORM)
#define OUT (POLLOUT | POLLWRNORM)

START_TEST(test_a_fresh_socket_is_writable_and_hung_up_like_on_linux)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  ck_assert_uint_eq(mynet_sock_events(s), OUT | POLLHUP);
  struct sockaddr_in a = tn_sin(0, 4000);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  ck_assert_uint_eq(mynet_sock_events(s), OUT | POLLHUP);
  ck_assert_int_eq(mynet_listen(s, 1), 0);
  ck_assert_uint_eq(mynet_sock_events(s), 0);
  tn_teardown(&t);
}
END_TEST

/* inet_shutdown: ENOTCONN on an unconnected socket, yet the flags are
 * set, so poll sees IN|RDHUP after SHUT_RD; a listener ignores SHUT_WR. */
START_TEST(test_shutdown_of_an_unconnected_socket_fails_but_shows_in_poll)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s, *w, *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_RD), -ENOTCONN);
  ck_assert_uint_eq(mynet_sock_events(s), IN | OUT | POLLHUP | POLLRDHUP);
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &w), 0);
  ck_assert_int_eq(mynet_shutdown(w, SHUT_WR), -ENOTCONN);
  ck_assert_uint_eq(mynet_sock_events(w), OUT | POLLHUP);
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, 4001);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 1), 0);
  ck_assert_int_eq(mynet_shutdown(l, SHUT_WR), 0);
  int v = 0;
  socklen_t len = sizeof v;
  ck_assert_int_eq(mynet_getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
  ck_assert_int_eq(v, 1); /* still listening */
  mynet_close(s);
  mynet_close(w);
  mynet_close(l);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_events_follow_the_connection_through_its_states)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  struct sockaddr_in to = tn_sin(TN_PEER, 9);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
  ck_assert_uint_eq(mynet_sock_events(s), 0); /* SYN_SENT */
  mynet_close(s);
  mn_pbuf_free(tn_pop(&t)); /* that SYN */
  s = peer_establish(&p, &t);
  ck_assert_uint_eq(mynet_sock_events(s), OUT);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "data", 4);
  ck_assert_uint_eq(mynet_sock_events(s), IN | OUT);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 4);
  ck_assert_uint_eq(mynet_sock_events(s), OUT);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  ck_assert_uint_eq(mynet_sock_events(s), OUT); /* FIN_WAIT_1: writes fail at once */
  peer_send(&p, MN_TCP_ACK | MN_TCP_FIN, NULL, 0);
  /* CLOSING: both directions shut. */
  ck_assert_uint_eq(mynet_sock_events(s), IN | POLLRDHUP | OUT | POLLHUP);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_events_in_every_synchronized_state_match_linux)
{
  /* tcp_poll(): POLLHUP once both directions are shut, POLLIN|POLLRDHUP
   * once the peer's FIN is in, POLLOUT whenever a write would not block
   * (failing at once counts). */
  struct {
    enum mn_tcp_state state;
    unsigned ev;
  } cases[] = {
      {MN_TCPS_ESTABLISHED, OUT},
      {MN_TCPS_FIN_WAIT_1, OUT},
      {MN_TCPS_FIN_WAIT_2, OUT},
      {MN_TCPS_CLOSE_WAIT, IN | POLLRDHUP | OUT},
      {MN_TCPS_CLOSING, IN | POLLRDHUP | OUT | POLLHUP},
      {MN_TCPS_LAST_ACK, IN | POLLRDHUP | OUT | POLLHUP},
      {MN_TCPS_TIME_WAIT, IN | POLLRDHUP | OUT | POLLHUP},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    mynet_sock *s = peer_connection_in(&p, &t, cases[i].state);
    ck_assert_msg(mynet_sock_events(s) == cases[i].ev, "%s: events %#x, expected %#x",
                  mn_tcp_state_name(cases[i].state), mynet_sock_events(s), cases[i].ev);
    tn_teardown(&t);
  }
}
END_TEST

START_TEST(test_peer_fin_makes_the_socket_readable_with_rdhup)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_FIN, NULL, 0);
  ck_assert_uint_eq(mynet_sock_events(s), IN | POLLRDHUP | OUT);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  ck_assert_uint_eq(mynet_sock_events(s), IN | POLLRDHUP | OUT | POLLHUP);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_reset_raises_pollerr_until_the_error_is_taken)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_RST, NULL, 0);
  ck_assert_uint_eq(mynet_sock_events(s), POLLERR | POLLHUP | IN | POLLRDHUP | OUT);
  ck_assert_int_eq(peer_so_error(s), ECONNRESET);
  ck_assert_uint_eq(mynet_sock_events(s), POLLHUP | IN | POLLRDHUP | OUT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_shutdown_rd_makes_the_socket_readable_at_end_of_file)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_RD), 0);
  ck_assert_uint_eq(mynet_sock_events(s), IN | POLLRDHUP | OUT);
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 0);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  ck_assert_uint_eq(mynet_sock_events(s), IN | POLLRDHUP | OUT | POLLHUP);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_full_send_buffer_clears_pollout_until_acks_make_room)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  p.so_sndbuf = 4096; /* 8192 bytes */
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[16384];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 8192);
  ck_assert_int_eq(peer_write(s, data, 1), -EAGAIN);
  ck_assert_uint_eq(mynet_sock_events(s) & OUT, 0);
  for (int i = 0; i < 5; i++)
    peer_expect(&p, MN_TCP_ACK, snd + 1448u * i, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 5 * 1448, p.snd_nxt, 8192 - 5 * 1448);
  tn_expect_silence(&t);
  /* Writable again once a third of the buffer is free, as on Linux. */
  peer_ack(&p, snd + 1448);
  ck_assert_uint_eq(mynet_sock_events(s) & OUT, 0);
  peer_ack(&p, snd + 2 * 1448);
  ck_assert_uint_eq(mynet_sock_events(s) & OUT, OUT);
  tn_teardown(&t);
}
END_TEST

/* True if s was woken since the last look: on the woken list (taken
 * from it, in order, once) with a new wake word. */
static bool woken(mynet_stack *st, mynet_sock *s, uint32_t *word)
{
  bool listed = false;
  for (mynet_sock *w; (w = mynet_stack_next_woken(st));)
    listed = listed || w == s;
  bool moved = *mynet_sock_wake_word(s) != *word;
  *word = *mynet_sock_wake_word(s);
  ck_assert_int_eq(listed, moved);
  return listed;
}

START_TEST(test_a_socket_is_woken_when_its_events_may_change)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  while (mynet_stack_next_woken(t.st)) /* the handshake's */
    ;
  uint32_t word = *mynet_sock_wake_word(s);
  ck_assert(!woken(t.st, s, &word));
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "x", 1);
  ck_assert(woken(t.st, s, &word));
  ck_assert_ptr_null(mynet_stack_next_woken(t.st)); /* each once */
  peer_send(&p, MN_TCP_ACK | MN_TCP_FIN, NULL, 0);
  ck_assert(woken(t.st, s, &word));
  peer_send(&p, MN_TCP_RST, NULL, 0);
  ck_assert(woken(t.st, s, &word));
  tn_teardown(&t);
}
END_TEST

/* An ICMP destination unreachable from the peer quoting a segment the
 * stack sent with sequence number seq. */
static void inject_unreach(struct tn *t, uint8_t code, uint32_t seq)
{
  uint8_t msg[MN_ICMP_HDR_LEN + MN_IPV4_HDR_LEN + 8];
  struct mn_ipv4_hdr q = {.total_len = MN_IPV4_HDR_LEN + 40,
                          .ttl = 63,
                          .proto = MN_IPPROTO_TCP,
                          .src = TN_ADDR,
                          .dst = TN_PEER,
                          .df = true};
  mn_ipv4_emit(&q, msg + MN_ICMP_HDR_LEN);
  uint8_t *th = msg + MN_ICMP_HDR_LEN + MN_IPV4_HDR_LEN;
  th[0] = PEER_STACK_PORT >> 8;
  th[1] = PEER_STACK_PORT & 0xff;
  th[2] = PEER_PORT >> 8;
  th[3] = PEER_PORT & 0xff;
  th[4] = (uint8_t)(seq >> 24);
  th[5] = (uint8_t)(seq >> 16);
  th[6] = (uint8_t)(seq >> 8);
  th[7] = (uint8_t)seq;
  struct mn_icmp_hdr ic = {.type = MN_ICMP_DEST_UNREACH, .code = code};
  mn_icmp_emit(&ic, msg, sizeof(msg));
  tn_inject_ipv4(t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, sizeof(msg));
}

START_TEST(test_port_unreachable_during_syn_sent_refuses_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  struct sockaddr_in to = tn_sin(TN_PEER, PEER_PORT);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
  struct mn_tcp_hdr syn;
  peer_recv(&p, &syn, NULL, 0);
  /* An error quoting a sequence number we never sent is not believed. */
  inject_unreach(&t, MN_ICMP_PORT_UNREACH, syn.seq + 100);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_SENT);
  inject_unreach(&t, MN_ICMP_PORT_UNREACH, syn.seq);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLERR, 0);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -ECONNREFUSED);
  tn_advance(&t, MYNET_SEC(10));
  tn_expect_silence(&t); /* no SYN retransmissions */
  tn_teardown(&t);
}
END_TEST

START_TEST(test_port_unreachable_on_an_established_connection_is_only_a_soft_error)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "data", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  inject_unreach(&t, MN_ICMP_PORT_UNREACH, snd);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLERR, 0);
  ck_assert_int_eq(peer_so_error(s), 0);
  /* If the connection then times out, the soft error is what is
   * reported (RFC 1122 4.2.3.9). */
  tn_advance(&t, MYNET_SEC(2000));
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_so_error(s), ECONNREFUSED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_soft_error_is_forgotten_once_the_peer_acknowledges)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "data", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  inject_unreach(&t, MN_ICMP_HOST_UNREACH, snd);
  peer_ack(&p, snd + 4);
  /* The path works after all; a later timeout is a plain timeout. */
  ck_assert_int_eq(peer_write(s, "more", 4), 4);
  tn_advance(&t, MYNET_SEC(2000));
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_so_error(s), ETIMEDOUT);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_events");
  TCase *tc = tcase_create("events");
  tcase_add_test(tc, test_a_fresh_socket_is_writable_and_hung_up_like_on_linux);
  tcase_add_test(tc, test_shutdown_of_an_unconnected_socket_fails_but_shows_in_poll);
  tcase_add_test(tc, test_events_follow_the_connection_through_its_states);
  tcase_add_test(tc, test_events_in_every_synchronized_state_match_linux);
  tcase_add_test(tc, test_peer_fin_makes_the_socket_readable_with_rdhup);
  tcase_add_test(tc, test_a_reset_raises_pollerr_until_the_error_is_taken);
  tcase_add_test(tc, test_shutdown_rd_makes_the_socket_readable_at_end_of_file);
  tcase_add_test(tc, test_a_full_send_buffer_clears_pollout_until_acks_make_room);
  tcase_add_test(tc, test_a_socket_is_woken_when_its_events_may_change);
  tcase_add_test(tc, test_port_unreachable_during_syn_sent_refuses_the_connection);
  tcase_add_test(tc, test_port_unreachable_on_an_established_connection_is_only_a_soft_error);
  tcase_add_test(tc, test_a_soft_error_is_forgotten_once_the_peer_acknowledges);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
