/* Flow control: a receiver whose application does not read closes its
 * window, a sender facing a zero window probes it (RFC 9293 3.8.6.1), and
 * both sides avoid silly windows (RFC 9293 3.8.6.2). */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

static uint8_t stream[64 * 1024];

/* The peer connects to a listener whose children get an 8192-byte
 * receive buffer (SO_RCVBUF 4096, doubled). */
static mynet_sock *accept_small_buffer(struct tn *t, struct peer *p)
{
  peer_pattern(stream, sizeof(stream), 0);
  tn_setup(t, true);
  peer_init(p, t, 1000);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_STREAM, 0, &l), 0);
  int rcvbuf = 4096;
  ck_assert_int_eq(mynet_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 1), 0);
  struct mn_tcp_opts o = peer_linux_opts();
  p->ts = p->sack = p->ws = true;
  peer_inject_opts(p, 1000, 0, MN_TCP_SYN, &o, NULL, 0);
  p->snd_nxt = 1001;
  struct mn_tcp_hdr h;
  peer_recv(p, &h, NULL, 0);
  ck_assert_uint_eq(h.win, 8192); /* unscaled in the SYN-ACK */
  p->stack_iss = h.seq;
  p->rcv_nxt = h.seq + 1;
  p->stack_wscale = h.opt.wscale;
  peer_send(p, MN_TCP_ACK, NULL, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  p->s = c;
  p->listener = l;
  return c;
}

START_TEST(test_receiver_closes_its_window_when_the_application_does_not_read)
{
  struct tn t;
  struct peer p;
  mynet_sock *c = accept_small_buffer(&t, &p);
  uint32_t snd = p.stack_iss + 1;
  for (int i = 0; i < 8; i++) {
    peer_send(&p, MN_TCP_ACK, stream + 1024 * i, 1024);
    if (i % 2 == 1) {
      struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
      ck_assert_uint_eq(h.win, peer_stack_win(&p, 8192 - 1024 * (uint32_t)(i + 1)));
    }
  }
  tn_expect_silence(&t);
  /* A zero-window probe (Linux sends SND.UNA - 1) is answered with the
   * closed window; so is a byte beyond it, which is not taken. */
  peer_inject(&p, p.snd_nxt - 1, p.rcv_nxt, MN_TCP_ACK, NULL, 0);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, 0);
  peer_inject(&p, p.snd_nxt, p.rcv_nxt, MN_TCP_ACK, "z", 1);
  h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, 0);
  /* Reading a little opens no silly window (RFC 9293 3.8.6.2.2)... */
  uint8_t got[8192];
  ck_assert_int_eq(peer_read(c, got, 100), 100);
  tn_expect_silence(&t);
  peer_inject(&p, p.snd_nxt - 1, p.rcv_nxt, MN_TCP_ACK, NULL, 0);
  h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, 0);
  /* ...reading an MSS worth sends a window update at once. */
  ck_assert_int_eq(peer_read(c, got + 100, 1900), 1900);
  h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, peer_stack_win(&p, 2000));
  ck_assert_int_eq(peer_read(c, got + 2000, sizeof(got) - 2000), 8192 - 2000);
  ck_assert_mem_eq(got, stream, 8192);
  /* Reading the rest doubles the window again: another update. */
  h = peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 0);
  ck_assert_uint_eq(h.win, peer_stack_win(&p, 8192));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sender_stops_at_a_zero_window_and_probes_it_with_backoff)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_pattern(stream, sizeof(stream), 0);
  ck_assert_int_eq(peer_write(s, stream, 2 * 1448), 2 * 1448);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 1448, p.snd_nxt, 1448);
  /* The receiver takes it all and closes its window. */
  p.win = 0;
  peer_ack(&p, snd + 2 * 1448);
  ck_assert_int_eq(peer_write(s, stream + 2 * 1448, 3000), 3000);
  tn_expect_silence(&t);
  mynet_time rto = tcp_of(s)->rto;
  ck_assert_int_ge(rto, MN_TCP_RTO_MIN);
  mynet_time gap = rto;
  for (int i = 0; i < 6; i++) {
    tn_advance(&t, gap - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    /* An old sequence number and no data: the receiver must answer. */
    peer_expect(&p, MN_TCP_ACK, snd + 2 * 1448 - 1, p.snd_nxt, 0);
    peer_ack(&p, snd + 2 * 1448); /* still closed */
    gap *= 2;
  }
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 0);
  /* The window opens: the data goes at once, the probes stop. */
  p.win = 65535;
  peer_ack(&p, snd + 2 * 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 2 * 1448, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 3 * 1448, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 4 * 1448, p.snd_nxt, 3000 - 2 * 1448);
  peer_ack(&p, snd + 2 * 1448 + 3000);
  tn_advance(&t, MYNET_SEC(100));
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_unanswered_zero_window_probes_end_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  p.win = 0;
  peer_ack(&p, snd);
  ck_assert_int_eq(peer_write(s, "stuck", 5), 5);
  mynet_time gap = tcp_of(s)->rto;
  for (int i = 0; i < MN_TCP_RETRIES2; i++) {
    tn_advance(&t, gap);
    peer_expect(&p, MN_TCP_ACK, snd - 1, p.snd_nxt, 0);
    gap = gap * 2 > MN_TCP_RTO_MAX ? MN_TCP_RTO_MAX : gap * 2;
  }
  /* The peer vanished: like a retransmission timeout, no reset. */
  tn_advance(&t, gap - 1);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_advance(&t, 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(peer_so_error(s), ETIMEDOUT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sender_fills_a_window_that_opens_a_little_at_a_time)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.ws_set = false; /* window fields in bytes */
  p.win = 4000;
  mynet_sock *s = peer_open_active(&p, &o);
  uint32_t snd = p.stack_iss + 1;
  peer_pattern(stream, sizeof(stream), 0);
  ck_assert_int_eq(peer_write(s, stream, 10000), 10000);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 1448, p.snd_nxt, 1448);
  /* 1104 bytes of window left: less than a segment and less than half
   * the largest window seen, so they wait (RFC 9293 3.8.6.2.1). */
  tn_expect_silence(&t);
  peer_ack(&p, snd + 2896);
  peer_expect(&p, MN_TCP_ACK, snd + 2896, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 4344, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  /* Everything is acknowledged but the window reopens by 100 bytes only:
   * not worth a segment, until the persist timer sends them anyway
   * rather than wait for an update that may never come. */
  p.win = 100;
  peer_ack(&p, snd + 5792);
  tn_expect_silence(&t);
  tn_advance(&t, tcp_of(s)->rto - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  peer_expect(&p, MN_TCP_ACK, snd + 5792, p.snd_nxt, 100);
  p.win = 3000;
  peer_ack(&p, snd + 5892);
  peer_expect(&p, MN_TCP_ACK, snd + 5892, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 7340, p.snd_nxt, 1448);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_fin_waits_for_a_closed_window_to_open)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "abc", 3), 3);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 3);
  p.win = 0;
  peer_ack(&p, snd + 3);
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  tn_expect_silence(&t);
  tn_advance(&t, tcp_of(s)->rto);
  peer_expect(&p, MN_TCP_ACK, snd + 2, p.snd_nxt, 0); /* a probe */
  p.win = 1000;
  peer_ack(&p, snd + 3);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, snd + 3, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_reordered_older_ack_does_not_shrink_the_window)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  peer_pattern(stream, sizeof(stream), 0);
  ck_assert_int_eq(peer_write(s, stream, 3 * 1448), 3 * 1448);
  for (int i = 0; i < 3; i++)
    peer_expect(&p, MN_TCP_ACK | (i == 2 ? MN_TCP_PSH : 0), snd + 1448u * i, p.snd_nxt, 1448);
  peer_ack(&p, snd + 3 * 1448);
  /* An ACK sent earlier, when the window was closed, arrives late: the
   * SND.WL1/SND.WL2 rule (RFC 9293 3.10.7.4) keeps the newer window. */
  p.win = 0;
  peer_inject(&p, p.snd_nxt, snd + 1448, MN_TCP_ACK, NULL, 0);
  ck_assert_uint_eq(tcp_of(s)->snd_wnd, 65535u << 7);
  ck_assert_int_eq(peer_write(s, "more", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 3 * 1448, p.snd_nxt, 4);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_window");
  TCase *tc = tcase_create("window");
  tcase_add_test(tc, test_receiver_closes_its_window_when_the_application_does_not_read);
  tcase_add_test(tc, test_sender_stops_at_a_zero_window_and_probes_it_with_backoff);
  tcase_add_test(tc, test_unanswered_zero_window_probes_end_the_connection);
  tcase_add_test(tc, test_sender_fills_a_window_that_opens_a_little_at_a_time);
  tcase_add_test(tc, test_fin_waits_for_a_closed_window_to_open);
  tcase_add_test(tc, test_a_reordered_older_ack_does_not_shrink_the_window);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
