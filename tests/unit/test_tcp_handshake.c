/* TCP connection establishment (RFC 9293 3.5): active, passive and
 * simultaneous open, resets to closed ports and during the handshake, SYN
 * and SYN-ACK retransmission. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

static struct sockaddr_in peer_addr(void)
{
  return tn_sin(TN_PEER, PEER_PORT);
}

static int reconnect(mynet_sock *s)
{
  struct sockaddr_in to = peer_addr();
  return mynet_connect(s, (struct sockaddr *)&to, sizeof(to));
}

/* Start an active open and return the SYN; the socket is bound to
 * PEER_STACK_PORT. */
static mynet_sock *start_connect(struct tn *t, struct peer *p, struct mn_tcp_hdr *syn)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_STREAM, 0, &s), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  ck_assert_int_eq(reconnect(s), -EINPROGRESS);
  p->s = s;
  ck_assert_uint_eq(peer_recv(p, syn, NULL, 0), 0);
  p->stack_iss = syn->seq;
  p->rcv_nxt = syn->seq + 1;
  return s;
}

START_TEST(test_active_open_offers_mss_sack_timestamps_and_wscale_then_acks_the_syn_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  ck_assert_uint_eq(syn.flags, MN_TCP_SYN);
  ck_assert_uint_eq(syn.ack, 0);
  ck_assert_uint_eq(syn.win, 65535); /* never scaled in a SYN; the buffer is larger */
  ck_assert(syn.opt.mss_set);
  ck_assert_uint_eq(syn.opt.mss, 1460);
  ck_assert(syn.opt.sack_ok);
  ck_assert(syn.opt.ts_set);
  ck_assert_uint_ne(syn.opt.tsval, 0);
  ck_assert_uint_eq(syn.opt.tsecr, 0);
  ck_assert(syn.opt.ws_set);
  ck_assert_uint_eq(syn.opt.wscale, 7);
  ck_assert_int_eq(syn.opt.nsack, 0);
  ck_assert_int_eq(syn.hdr_len, 40);
  tn_expect_silence(&t);
  ck_assert_int_eq(reconnect(s), -EALREADY);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_SENT);

  tn_advance(&t, MYNET_MS(30));
  p.ts = p.sack = p.ws = true;
  p.stack_wscale = 7;
  struct mn_tcp_opts o = peer_linux_opts();
  peer_inject_opts(&p, 1000, syn.seq + 1, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  p.snd_nxt = 1001;
  struct mn_tcp_hdr ack = peer_expect(&p, MN_TCP_ACK, syn.seq + 1, 1001, 0);
  /* 1 MiB of buffer in units of 2^7. */
  ck_assert_uint_eq(ack.win, (1024 * 1024) >> 7);
  ck_assert_uint_eq(ack.opt.tsecr, peer_tsval(&p));
  ck_assert(!ack.opt.mss_set && !ack.opt.ws_set && !ack.opt.sack_ok);
  ck_assert_int_eq(ack.hdr_len, 32);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(reconnect(s), 0);
  ck_assert_int_eq(reconnect(s), -EISCONN);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.active_opens"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_active_open_advertises_the_same_window_whatever_the_peer_isn)
{
  /* The right edge of the window must be tracked from the peer's ISN,
   * not from whatever it was before the SYN-ACK arrived. */
  uint32_t isns[] = {1000, 0x7fffff00, 0xc0000000, 0xffffff00};
  for (size_t i = 0; i < sizeof(isns) / sizeof(isns[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    peer_init(&p, &t, isns[i]);
    struct mn_tcp_opts o = peer_linux_opts();
    peer_open_active(&p, &o); /* checks the ACK */
    /* A segment far beyond the window is not acceptable: it draws an ACK
     * and is not queued. */
    peer_inject(&p, p.snd_nxt + 0x20000000, p.rcv_nxt, MN_TCP_ACK, "x", 1);
    struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.rcv_nxt, p.snd_nxt, 0);
    ck_assert_uint_eq(h.win, (1024 * 1024) >> 7);
    ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.ofo_queued"), 0);
    tn_teardown(&t);
  }
}
END_TEST

START_TEST(test_passive_open_answers_every_option_a_linux_peer_offers)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 5000);
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *c = peer_open_passive(&p, &o);
  ck_assert_uint_eq(p.syn.opt.mss, 1460);
  ck_assert_uint_eq(p.syn.opt.wscale, 7);
  ck_assert_uint_eq(p.syn.win, 65535);
  ck_assert_int_eq(tcp_of(c)->state, MN_TCPS_ESTABLISHED);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.passive_opens"), 1);
  mynet_sock *again;
  ck_assert_int_eq(mynet_accept(p.listener, &again, NULL), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_passive_open_answers_only_the_options_offered)
{
  struct mn_tcp_opts offers[] = {
      {0},
      {.mss_set = true, .mss = 1400},
      {.mss_set = true, .mss = 1460, .sack_ok = true},
      {.mss_set = true, .mss = 1460, .ts_set = true},
      {.ws_set = true, .wscale = 2},
      {.sack_ok = true, .ts_set = true},
  };
  for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    peer_init(&p, &t, 5000);
    peer_open_passive(&p, &offers[i]); /* checks the SYN-ACK's options */
    ck_assert_uint_eq(p.syn.opt.mss, 1460);
    /* The data that follows carries timestamps exactly when both sides
     * agreed, and never SACK blocks or a scale. */
    ck_assert_int_eq(peer_write(p.s, "hi", 2), 2);
    struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, p.stack_iss + 1, p.snd_nxt, 2);
    ck_assert(!h.opt.mss_set && !h.opt.ws_set && !h.opt.sack_ok && h.opt.nsack == 0);
    tn_teardown(&t);
  }
}
END_TEST

START_TEST(test_listener_is_readable_only_once_a_connection_completes)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  ck_assert_uint_eq(mynet_sock_events(l), 0);
  struct peer p;
  peer_init(&p, &t, 77);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  ck_assert_uint_eq(h.ack, 78);
  /* Without options: MSS only, and a window in bytes. */
  ck_assert(h.opt.mss_set && !h.opt.ts_set && !h.opt.ws_set && !h.opt.sack_ok);
  ck_assert_uint_eq(mynet_sock_events(l), 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), -EAGAIN);
  p.stack_iss = h.seq;
  p.rcv_nxt = h.seq + 1;
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  ck_assert_uint_eq(mynet_sock_events(l), POLLIN | POLLRDNORM);
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  ck_assert_uint_eq(mynet_sock_events(l), 0);
  ck_assert_uint_eq(mynet_sock_events(c) & (POLLOUT | POLLIN | POLLHUP | POLLERR), POLLOUT);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_simultaneous_open_reaches_established_on_the_peer_syn_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 300);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  /* The peer's own SYN crosses ours (RFC 9293 figure 7). */
  struct mn_tcp_opts o = peer_linux_opts();
  p.ts = p.sack = p.ws = true;
  p.stack_wscale = 7;
  peer_inject_opts(&p, 300, 0, MN_TCP_SYN, &o, NULL, 0);
  p.snd_nxt = 301;
  /* SYN-RECEIVED: the SYN again, now with an ACK. */
  struct mn_tcp_hdr sa = peer_expect(&p, MN_TCP_SYN | MN_TCP_ACK, syn.seq, 301, 0);
  ck_assert(sa.opt.mss_set && sa.opt.ts_set && sa.opt.sack_ok && sa.opt.ws_set);
  ck_assert_uint_eq(sa.opt.tsecr, peer_tsval(&p));
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_RECEIVED);
  ck_assert_int_eq(reconnect(s), -EALREADY);
  /* The peer's SYN-ACK for our SYN completes the handshake. */
  peer_inject(&p, 300, syn.seq + 1, MN_TCP_SYN | MN_TCP_ACK, NULL, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  /* Its SYN is a duplicate by now: acknowledged at once, as Linux does. */
  peer_expect(&p, MN_TCP_ACK, syn.seq + 1, 301, 0);
  tn_expect_silence(&t);
  ck_assert_int_eq(reconnect(s), 0);
  ck_assert_int_eq(peer_write(s, "abc", 3), 3);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, syn.seq + 1, 301, 3);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syn_to_a_closed_port_draws_rst_ack_acknowledging_the_syn)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 0x12345678);
  peer_inject(&p, 0x12345678, 0, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, 0, 0x12345679, 0);
  ck_assert_uint_eq(h.win, 0);
  /* A SYN with data and a FIN: everything it occupied is acknowledged. */
  peer_inject(&p, 0x12345678, 0, MN_TCP_SYN | MN_TCP_FIN, "12345", 5);
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, 0, 0x12345678 + 7, 0);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.out_rsts"), 2);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ack_to_a_closed_port_draws_rst_with_seq_equal_to_the_ack)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 100);
  peer_inject(&p, 100, 0xdeadbeef, MN_TCP_ACK, "data", 4);
  peer_expect(&p, MN_TCP_RST, 0xdeadbeef, 0, 0);
  /* An ACK to a listening port also draws a reset (RFC 9293 3.10.7.2). */
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  peer_inject(&p, 100, 0xabcdef01, MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_RST, 0xabcdef01, 0, 0);
  /* A reset is never answered. */
  peer_inject(&p, 100, 0, MN_TCP_RST, NULL, 0);
  peer_inject(&p, 100, 5, MN_TCP_RST | MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  ck_assert_uint_eq(mynet_sock_events(l), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_with_an_acceptable_ack_in_syn_sent_refuses_the_connection)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  peer_inject(&p, 0, syn.seq + 1, MN_TCP_RST | MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLERR, 0);
  ck_assert_int_eq(reconnect(s), -ECONNREFUSED);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.attempt_fails"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_refused_connection_reports_econnrefused_through_so_error)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  peer_inject(&p, 0, syn.seq + 1, MN_TCP_RST | MN_TCP_ACK, NULL, 0);
  ck_assert_uint_eq(mynet_sock_events(s) & (POLLERR | POLLHUP), POLLERR | POLLHUP);
  ck_assert_int_eq(peer_so_error(s), ECONNREFUSED);
  ck_assert_int_eq(peer_so_error(s), 0);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLERR, 0);
  /* The error was taken: connect reports the abort, as Linux does. */
  ck_assert_int_eq(reconnect(s), -ECONNABORTED);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_in_syn_sent_without_an_acceptable_ack_is_ignored)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  peer_inject(&p, 0, syn.seq, MN_TCP_RST | MN_TCP_ACK, NULL, 0);     /* acks nothing */
  peer_inject(&p, 0, syn.seq + 2, MN_TCP_RST | MN_TCP_ACK, NULL, 0); /* acks the future */
  peer_inject(&p, 0, 0, MN_TCP_RST, NULL, 0);                        /* no ACK at all */
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_SENT);
  ck_assert_int_eq(reconnect(s), -EALREADY);
  ck_assert_int_eq(peer_so_error(s), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syn_ack_with_an_unacceptable_ack_draws_a_reset)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 900);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  peer_inject(&p, 900, syn.seq + 5, MN_TCP_SYN | MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_RST, syn.seq + 5, 0, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_SENT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syn_is_retransmitted_with_exponential_backoff_then_connect_times_out)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  mynet_time gap = MYNET_SEC(1);
  for (int i = 0; i < MN_TCP_SYN_RETRIES; i++) {
    tn_advance(&t, gap - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_SYN, syn.seq, 0, 0);
    ck_assert(h.opt.mss_set && h.opt.ws_set && h.opt.sack_ok && h.opt.ts_set);
    ck_assert_int_eq(reconnect(s), -EALREADY);
    gap *= 2;
  }
  /* 1 + 2 + ... + 32 s, then 64 s more: 127 s in all, as Linux with
   * tcp_syn_retries = 6.  No reset is sent to a peer that never answered. */
  tn_advance(&t, gap - 1);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_SYN_SENT);
  tn_advance(&t, 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSED);
  ck_assert_int_eq(reconnect(s), -ETIMEDOUT);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.timeouts"), 7);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_retransmitted_syn_is_answered_without_taking_an_rtt_sample)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  tn_advance(&t, MYNET_SEC(1));
  peer_expect(&p, MN_TCP_SYN, syn.seq, 0, 0);
  tn_advance(&t, MYNET_MS(10));
  /* No timestamps: the SYN-ACK cannot tell which SYN it answers (Karn). */
  struct mn_tcp_opts o = {.mss_set = true, .mss = 1460};
  peer_inject_opts(&p, 1, syn.seq + 1, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  p.snd_nxt = 2;
  peer_expect(&p, MN_TCP_ACK, syn.seq + 1, 2, 0);
  ck_assert_int_eq(reconnect(s), 0);
  ck_assert_int_eq(tcp_of(s)->srtt, 0);
  /* RFC 6298 5.7: after a lost SYN the RTO starts at 3 s, not 1 s. */
  ck_assert_int_eq(tcp_of(s)->rto, MN_TCP_RTO_FALLBACK);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_lost_syn_ack_is_sent_again_when_the_syn_is_retransmitted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  struct peer p;
  peer_init(&p, &t, 4000);
  p.ts = true;
  struct mn_tcp_opts o = peer_linux_opts();
  peer_inject_opts(&p, 4000, 0, MN_TCP_SYN, &o, NULL, 0);
  struct mn_tcp_hdr h1;
  peer_recv(&p, &h1, NULL, 0); /* lost on the way */
  ck_assert_uint_eq(h1.flags, MN_TCP_SYN | MN_TCP_ACK);
  tn_advance(&t, MYNET_MS(500));
  peer_inject_opts(&p, 4000, 0, MN_TCP_SYN, &o, NULL, 0);
  p.stack_iss = h1.seq;
  struct mn_tcp_hdr h2 = peer_expect(&p, MN_TCP_SYN | MN_TCP_ACK, h1.seq, 4001, 0);
  /* Like Linux, the SYN-ACK still echoes the first SYN's timestamp. */
  ck_assert_uint_eq(h2.opt.tsecr, h1.opt.tsecr);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.passive_opens"), 1);
  p.snd_nxt = 4001;
  p.rcv_nxt = h1.seq + 1;
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_syn_ack_is_retransmitted_by_its_timer_then_abandoned)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  struct peer p;
  peer_init(&p, &t, 4000);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  p.stack_iss = h.seq;
  mynet_time gap = MYNET_SEC(1);
  for (int i = 0; i < MN_TCP_SYNACK_RETRIES; i++) {
    tn_advance(&t, gap - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    peer_expect(&p, MN_TCP_SYN | MN_TCP_ACK, h.seq, 4001, 0);
    gap *= 2;
  }
  tn_advance(&t, gap);
  tn_expect_silence(&t);
  /* The half-open connection is gone: the late ACK is answered with a reset. */
  peer_inject(&p, 4001, h.seq + 1, MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_RST, h.seq + 1, 0, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), -EAGAIN);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ack_that_does_not_acknowledge_the_syn_ack_draws_a_reset)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  struct peer p;
  peer_init(&p, &t, 4000);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  p.stack_iss = h.seq;
  peer_inject(&p, 4001, h.seq + 7, MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_RST, h.seq + 7, 0, 0);
  /* The embryonic connection survives and completes with a good ACK. */
  peer_inject(&p, 4001, h.seq + 1, MN_TCP_ACK, NULL, 0);
  tn_expect_silence(&t);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rst_in_syn_received_drops_the_embryonic_connection_silently)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  struct peer p;
  peer_init(&p, &t, 4000);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  peer_inject(&p, 4001, 0, MN_TCP_RST, NULL, 0);
  tn_expect_silence(&t);
  ck_assert_uint_eq(mynet_sock_events(l), 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), -EAGAIN);
  /* Nothing is left: the SYN-ACK timer does not fire. */
  tn_advance(&t, MYNET_SEC(5));
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_shutdown_during_a_simultaneous_open_sends_the_fin_once_established)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 300);
  struct mn_tcp_hdr syn;
  mynet_sock *s = start_connect(&t, &p, &syn);
  peer_inject(&p, 300, 0, MN_TCP_SYN, NULL, 0);
  p.snd_nxt = 301;
  peer_expect(&p, MN_TCP_SYN | MN_TCP_ACK, syn.seq, 301, 0);
  /* RFC 9293 3.10.4: in SYN-RECEIVED the FIN is queued until ESTABLISHED. */
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  tn_expect_silence(&t);
  peer_inject(&p, 301, syn.seq + 1, MN_TCP_ACK, NULL, 0);
  peer_expect(&p, MN_TCP_FIN | MN_TCP_ACK, syn.seq + 1, 301, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_FIN_WAIT_1);
  peer_inject(&p, 301, syn.seq + 2, MN_TCP_ACK | MN_TCP_FIN, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, syn.seq + 2, 302, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_TIME_WAIT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_retransmitted_syn_ack_after_establishment_is_acknowledged_again)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  /* Our ACK of the SYN-ACK was lost. */
  struct mn_tcp_opts o = peer_linux_opts();
  peer_inject_opts(&p, p.iss, p.stack_iss + 1, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  tn_teardown(&t);
}
END_TEST

static mynet_sock *listener(struct tn *t, int backlog)
{
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_STREAM, 0, &l), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, backlog), 0);
  return l;
}

/* The peer on `port` completes a handshake with the listener; returns
 * the SYN-ACK's sequence number, or 0 if no SYN-ACK came. */
static uint32_t handshake_from(struct tn *t, struct peer *p, uint16_t port)
{
  peer_init(p, t, 7000);
  p->port = port;
  peer_send(p, MN_TCP_SYN, NULL, 0);
  if (!tn_device_tx_count(t->dev))
    return 0;
  struct mn_tcp_hdr h;
  peer_recv(p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  p->stack_iss = h.seq;
  p->rcv_nxt = h.seq + 1;
  peer_send(p, MN_TCP_ACK, NULL, 0);
  return h.seq;
}

START_TEST(test_data_on_the_handshake_ack_is_readable_after_accept)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l = listener(&t, 4);
  struct peer p;
  peer_init(&p, &t, 7000);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  p.rcv_nxt = h.seq + 1;
  p.stack_iss = h.seq;
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "early", 5);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLIN, POLLIN);
  char buf[8];
  ck_assert_int_eq(peer_read(c, buf, sizeof(buf)), 5);
  ck_assert_mem_eq(buf, "early", 5);
  tn_advance(&t, MN_TCP_DELACK);
  peer_expect(&p, MN_TCP_ACK, h.seq + 1, p.snd_nxt, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_full_accept_queue_drops_new_syns_until_a_connection_is_accepted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l = listener(&t, 1);
  struct peer p1, p2, p3;
  /* Like Linux, the queue holds backlog + 1 connections. */
  ck_assert_uint_ne(handshake_from(&t, &p1, 6001), 0);
  ck_assert_uint_ne(handshake_from(&t, &p2, 6002), 0);
  ck_assert_uint_eq(handshake_from(&t, &p3, 6003), 0);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.listen_drops"), 1);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  /* The client's SYN retransmission now gets through. */
  ck_assert_uint_ne(handshake_from(&t, &p3, 6003), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_closing_a_listener_resets_connections_not_yet_accepted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l = listener(&t, 4);
  struct peer p;
  uint32_t iss = handshake_from(&t, &p, 6001);
  mynet_close(l);
  peer_expect(&p, MN_TCP_RST | MN_TCP_ACK, iss + 1, p.snd_nxt, 0);
  tn_expect_silence(&t);
  /* Nothing listens any more: a new SYN is refused. */
  struct peer q;
  peer_init(&q, &t, 100);
  peer_send(&q, MN_TCP_SYN, NULL, 0);
  peer_expect(&q, MN_TCP_RST | MN_TCP_ACK, 0, 101, 0);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_handshake");
  TCase *tc = tcase_create("handshake");
  tcase_add_test(tc, test_active_open_offers_mss_sack_timestamps_and_wscale_then_acks_the_syn_ack);
  tcase_add_test(tc, test_active_open_advertises_the_same_window_whatever_the_peer_isn);
  tcase_add_test(tc, test_passive_open_answers_every_option_a_linux_peer_offers);
  tcase_add_test(tc, test_passive_open_answers_only_the_options_offered);
  tcase_add_test(tc, test_listener_is_readable_only_once_a_connection_completes);
  tcase_add_test(tc, test_simultaneous_open_reaches_established_on_the_peer_syn_ack);
  tcase_add_test(tc, test_syn_to_a_closed_port_draws_rst_ack_acknowledging_the_syn);
  tcase_add_test(tc, test_ack_to_a_closed_port_draws_rst_with_seq_equal_to_the_ack);
  tcase_add_test(tc, test_rst_with_an_acceptable_ack_in_syn_sent_refuses_the_connection);
  tcase_add_test(tc, test_refused_connection_reports_econnrefused_through_so_error);
  tcase_add_test(tc, test_rst_in_syn_sent_without_an_acceptable_ack_is_ignored);
  tcase_add_test(tc, test_syn_ack_with_an_unacceptable_ack_draws_a_reset);
  tcase_add_test(tc, test_syn_is_retransmitted_with_exponential_backoff_then_connect_times_out);
  tcase_add_test(tc, test_retransmitted_syn_is_answered_without_taking_an_rtt_sample);
  tcase_add_test(tc, test_lost_syn_ack_is_sent_again_when_the_syn_is_retransmitted);
  tcase_add_test(tc, test_syn_ack_is_retransmitted_by_its_timer_then_abandoned);
  tcase_add_test(tc, test_ack_that_does_not_acknowledge_the_syn_ack_draws_a_reset);
  tcase_add_test(tc, test_rst_in_syn_received_drops_the_embryonic_connection_silently);
  tcase_add_test(tc, test_shutdown_during_a_simultaneous_open_sends_the_fin_once_established);
  tcase_add_test(tc, test_a_retransmitted_syn_ack_after_establishment_is_acknowledged_again);
  tcase_add_test(tc, test_data_on_the_handshake_ack_is_readable_after_accept);
  tcase_add_test(tc, test_a_full_accept_queue_drops_new_syns_until_a_connection_is_accepted);
  tcase_add_test(tc, test_closing_a_listener_resets_connections_not_yet_accepted);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
