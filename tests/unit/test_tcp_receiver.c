/* The receiving side: out-of-order reassembly (also across 2^32), SACK
 * blocks in duplicate ACKs (RFC 2018), and when ACKs go out at once
 * (RFC 5681 4.2). */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <string.h>

static uint8_t stream[64 * 1024];

/* Send bytes [from, to) of the peer's stream, counted from its first
 * data byte, without moving p->snd_nxt. */
static void send_range(struct peer *p, uint32_t from, uint32_t to)
{
  peer_inject(p, p->iss + 1 + from, p->rcv_nxt, MN_TCP_ACK, stream + from, to - from);
}

static void expect_ack_with_sack(struct peer *p, uint32_t ack, int n, const uint32_t *blocks)
{
  struct mn_tcp_hdr h = peer_expect(p, MN_TCP_ACK, p->stack_iss + 1, p->iss + 1 + ack, 0);
  ck_assert_int_eq(h.opt.nsack, n);
  for (int i = 0; i < n; i++) {
    ck_assert_msg(h.opt.sack[i].left == p->iss + 1 + blocks[2 * i] &&
                      h.opt.sack[i].right == p->iss + 1 + blocks[2 * i + 1],
                  "block %d is [%u, %u), expected [%u, %u)", i, h.opt.sack[i].left - p->iss - 1,
                  h.opt.sack[i].right - p->iss - 1, blocks[2 * i], blocks[2 * i + 1]);
  }
}

static void read_all(mynet_sock *s, size_t n)
{
  static uint8_t got[sizeof(stream)];
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), (ssize_t)n);
  ck_assert_mem_eq(got, stream, n);
}

static mynet_sock *establish(struct tn *t, struct peer *p, uint32_t iss)
{
  peer_pattern(stream, sizeof(stream), 0);
  tn_setup(t, true);
  peer_init(p, t, iss);
  struct mn_tcp_opts o = peer_linux_opts();
  return peer_open_active(p, &o);
}

START_TEST(test_out_of_order_segments_are_reassembled_and_delivered_in_order)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = establish(&t, &p, 1000);
  send_range(&p, 1000, 2000);
  expect_ack_with_sack(&p, 0, 1, (uint32_t[]){1000, 2000});
  send_range(&p, 2000, 3000);
  expect_ack_with_sack(&p, 0, 1, (uint32_t[]){1000, 3000});
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), -EAGAIN);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLIN, 0);
  /* The segment that fills the gap is acknowledged at once (RFC 5681
   * 4.2), with no SACK block left to report. */
  send_range(&p, 0, 1000);
  expect_ack_with_sack(&p, 3000, 0, NULL);
  tn_expect_silence(&t);
  read_all(s, 3000);
  ck_assert_int_eq(mynet_stack_counter(t.st, "tcp.ofo_queued"), 2);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_reassembly_works_across_the_sequence_number_wrap)
{
  struct tn t;
  struct peer p;
  /* The peer's data starts 255 bytes below 2^32. */
  mynet_sock *s = establish(&t, &p, 0xffffff00);
  send_range(&p, 200, 700); /* straddles 2^32 */
  expect_ack_with_sack(&p, 0, 1, (uint32_t[]){200, 700});
  ck_assert_uint_lt(p.iss + 1 + 700, 1000);
  send_range(&p, 900, 1200);
  expect_ack_with_sack(&p, 0, 2, (uint32_t[]){900, 1200, 200, 700});
  send_range(&p, 0, 200);
  expect_ack_with_sack(&p, 700, 1, (uint32_t[]){900, 1200});
  send_range(&p, 700, 900);
  expect_ack_with_sack(&p, 1200, 0, NULL);
  read_all(s, 1200);
  /* And in-order data keeps flowing past the wrap. */
  p.snd_nxt = p.iss + 1 + 1200;
  peer_send(&p, MN_TCP_ACK, stream + 1200, 1000);
  peer_send(&p, MN_TCP_ACK, stream + 2200, 1000);
  peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  uint8_t got[2000];
  ck_assert_int_eq(peer_read(s, got, sizeof(got)), 2000);
  ck_assert_mem_eq(got, stream + 1200, 2000);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_sack_blocks_list_the_most_recent_first_then_the_most_recently_reported)
{
  struct tn t;
  struct peer p;
  establish(&t, &p, 1000);
  send_range(&p, 2000, 3000); /* X */
  expect_ack_with_sack(&p, 0, 1, (uint32_t[]){2000, 3000});
  send_range(&p, 4000, 5000); /* Y */
  expect_ack_with_sack(&p, 0, 2, (uint32_t[]){4000, 5000, 2000, 3000});
  send_range(&p, 1000, 2000); /* joins X */
  expect_ack_with_sack(&p, 0, 2, (uint32_t[]){1000, 3000, 4000, 5000});
  send_range(&p, 6000, 7000); /* Z */
  expect_ack_with_sack(&p, 0, 3, (uint32_t[]){6000, 7000, 1000, 3000, 4000, 5000});
  /* With timestamps three blocks fit: the oldest report drops out
   * (RFC 2018 4). */
  send_range(&p, 8000, 9000); /* W */
  expect_ack_with_sack(&p, 0, 3, (uint32_t[]){8000, 9000, 6000, 7000, 1000, 3000});
  /* A duplicate of data already held out of order is reported first too. */
  send_range(&p, 4000, 5000);
  expect_ack_with_sack(&p, 0, 3, (uint32_t[]){4000, 5000, 8000, 9000, 6000, 7000});
  tn_teardown(&t);
}
END_TEST

START_TEST(test_four_sack_blocks_fit_without_timestamps)
{
  struct tn t;
  struct peer p;
  peer_pattern(stream, sizeof(stream), 0);
  tn_setup(&t, true);
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.ts_set = false;
  peer_open_active(&p, &o);
  for (int i = 1; i <= 5; i++) {
    send_range(&p, 2000u * i, 2000u * i + 1000);
    struct mn_tcp_hdr h;
    peer_recv(&p, &h, NULL, 0);
    ck_assert_int_eq(h.opt.nsack, i < 4 ? i : 4);
    ck_assert_uint_eq(h.opt.sack[0].left, p.iss + 1 + 2000u * i);
  }
  tn_teardown(&t);
}
END_TEST

START_TEST(test_duplicate_data_is_acknowledged_at_once_with_a_dsack)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = establish(&t, &p, 1000);
  send_range(&p, 0, 500);
  tn_expect_silence(&t); /* a single small segment: delayed */
  tn_advance(&t, MN_TCP_DELACK);
  expect_ack_with_sack(&p, 500, 0, NULL);
  /* The ACK was lost; the peer retransmits: answered at once, with a
   * D-SACK block for what arrived twice (RFC 2883). */
  send_range(&p, 0, 500);
  expect_ack_with_sack(&p, 500, 1, (uint32_t[]){0, 500});
  /* A retransmission that overlaps old and new data: the new part is
   * taken, the old part reported once as a duplicate. */
  send_range(&p, 300, 800);
  tn_advance(&t, MN_TCP_DELACK);
  expect_ack_with_sack(&p, 800, 1, (uint32_t[]){300, 500});
  read_all(s, 800);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_fin_ahead_of_a_hole_takes_effect_when_the_hole_fills)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = establish(&t, &p, 1000);
  /* The last segment carries the FIN; the one before it is lost. */
  peer_inject(&p, p.iss + 1 + 1000, p.rcv_nxt, MN_TCP_ACK | MN_TCP_FIN, stream + 1000, 1000);
  expect_ack_with_sack(&p, 0, 1, (uint32_t[]){1000, 2000});
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_ESTABLISHED);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLRDHUP, 0);
  /* The retransmission fills the hole: data and FIN are acknowledged
   * together, without waiting for the FIN to be sent again. */
  send_range(&p, 0, 1000);
  expect_ack_with_sack(&p, 2001, 0, NULL);
  ck_assert_int_eq(tcp_of(s)->state, MN_TCPS_CLOSE_WAIT);
  read_all(s, 2000);
  char c = 0;
  ck_assert_int_eq(peer_read(s, &c, 1), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_data_beyond_the_window_is_dropped_and_acknowledged)
{
  struct tn t;
  struct peer p;
  peer_pattern(stream, sizeof(stream), 0);
  tn_setup(&t, true);
  peer_init(&p, &t, 1000);
  int rcvbuf = 2048; /* 4096 bytes */
  /* A peer without options opening to a listener with a 4096-byte buffer. */
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l), 0);
  ck_assert_int_eq(mynet_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 1), 0);
  peer_send(&p, MN_TCP_SYN, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.win, 4096);
  p.stack_iss = h.seq;
  p.rcv_nxt = h.seq + 1;
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  send_range(&p, 4096, 4196); /* just past the right edge */
  expect_ack_with_sack(&p, 0, 0, NULL);
  send_range(&p, 3000, 4196); /* partly inside: the inside part is kept */
  expect_ack_with_sack(&p, 0, 0, NULL);
  send_range(&p, 0, 3000);
  h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.iss + 1 + 4096, 0);
  ck_assert_uint_eq(h.win, 0);
  read_all(c, 4096);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_batch_of_segments_is_acknowledged_less_often_until_one_arrives_out_of_order)
{
  struct tn t;
  struct peer p;
  mynet_sock *s = establish(&t, &p, 1000);
  struct mn_tcp_sock *tp = tcp_of(s);
  ck_assert_uint_eq(tp->ack_batch, MN_TCP_ACK_BATCH_MIN);
  /* 32 full segments arrive together, as from one read of a busy TAP. */
  enum { N = 32, SEG = 1000 };
  t.hold = true;
  for (int i = 0; i < N; i++)
    send_range(&p, (uint32_t)(i * SEG), (uint32_t)((i + 1) * SEG));
  t.hold = false;
  tn_poll(&t);
  int acks = 0;
  struct mn_tcp_hdr h;
  uint8_t buf[64];
  while (tn_device_tx_count(t.dev)) {
    peer_recv(&p, &h, buf, sizeof(buf));
    acks++;
  }
  /* Fewer ACKs than one per two segments (each is a system call on a
   * TAP), but more than one, and the last covers everything. */
  ck_assert_int_gt(acks, 1);
  ck_assert_int_lt(acks, N / 2);
  ck_assert_uint_eq(h.ack, p.iss + 1 + N * SEG);
  ck_assert_uint_gt(tp->ack_batch, MN_TCP_ACK_BATCH_MIN);
  /* A gap: the path loses or reorders; back to an ACK every second segment. */
  send_range(&p, (N + 1) * SEG, (N + 2) * SEG);
  ck_assert_uint_eq(tp->ack_batch, MN_TCP_ACK_BATCH_MIN);
  read_all(s, N * SEG);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_receiver");
  TCase *tc = tcase_create("receiver");
  tcase_add_test(tc, test_out_of_order_segments_are_reassembled_and_delivered_in_order);
  tcase_add_test(tc, test_reassembly_works_across_the_sequence_number_wrap);
  tcase_add_test(tc, test_sack_blocks_list_the_most_recent_first_then_the_most_recently_reported);
  tcase_add_test(tc, test_four_sack_blocks_fit_without_timestamps);
  tcase_add_test(tc, test_duplicate_data_is_acknowledged_at_once_with_a_dsack);
  tcase_add_test(
      tc, test_a_batch_of_segments_is_acknowledged_less_often_until_one_arrives_out_of_order);
  tcase_add_test(tc, test_a_fin_ahead_of_a_hole_takes_effect_when_the_hole_fills);
  tcase_add_test(tc, test_data_beyond_the_window_is_dropped_and_acknowledged);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
