/* getsockopt(TCP_INFO): the figures Linux's tcp_get_info() reports, after
 * scripted exchanges, in Linux's units and state numbers. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

/* What Linux 6.18 returns: the 232 bytes of a 6.1 <linux/tcp.h> and the
 * fields added since (rcv_wnd, rehash, the RTO totals, AccECN). */
#define KERNEL_INFO_LEN 280
#define RCV_WND_OFFSET (offsetof(struct tcp_info, tcpi_snd_wnd) + 4)
#define TOTAL_RTO_OFFSET (RCV_WND_OFFSET + 8)

struct info {
  struct tcp_info i;
  uint8_t tail[KERNEL_INFO_LEN]; /* room for what a newer kernel adds */
};

static struct info get_info(mynet_sock *s)
{
  struct info x;
  memset(&x, 0xee, sizeof(x));
  socklen_t len = sizeof(x);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, &x, &len), 0);
  ck_assert_uint_eq(len, KERNEL_INFO_LEN);
  return x;
}

static uint32_t tail_u32(const struct info *x, size_t offset)
{
  uint32_t v;
  memcpy(&v, (const uint8_t *)x + offset, sizeof(v));
  return v;
}

static uint16_t tail_u16(const struct info *x, size_t offset)
{
  uint16_t v;
  memcpy(&v, (const uint8_t *)x + offset, sizeof(v));
  return v;
}

/* Linux's state numbers (include/net/tcp_states.h). */
enum {
  ESTABLISHED = 1,
  SYN_SENT,
  SYN_RECV,
  FIN_WAIT1,
  FIN_WAIT2,
  TIME_WAIT,
  CLOSE,
  CLOSE_WAIT,
  LAST_ACK,
  LISTEN,
  CLOSING
};

START_TEST(test_a_fresh_socket_reports_what_linux_reports_before_connect)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_state, CLOSE);
  ck_assert_uint_eq(x.i.tcpi_ca_state, TCP_CA_Open);
  ck_assert_uint_eq(x.i.tcpi_options, 0);
  ck_assert_uint_eq(x.i.tcpi_rto, 1000000);
  ck_assert_uint_eq(x.i.tcpi_snd_mss, 536);
  ck_assert_uint_eq(x.i.tcpi_rcv_mss, 0);
  ck_assert_uint_eq(x.i.tcpi_pmtu, 0);
  ck_assert_uint_eq(x.i.tcpi_rtt, 0);
  ck_assert_uint_eq(x.i.tcpi_rttvar, 250000);
  ck_assert_uint_eq(x.i.tcpi_snd_ssthresh, 0x7fffffff); /* TCP_INFINITE_SSTHRESH */
  ck_assert_uint_eq(x.i.tcpi_snd_cwnd, 10);
  ck_assert_uint_eq(x.i.tcpi_advmss, 0);
  ck_assert_uint_eq(x.i.tcpi_reordering, 3);
  ck_assert_uint_eq(x.i.tcpi_min_rtt, UINT32_MAX);
  ck_assert_uint_eq(x.i.tcpi_bytes_acked, 0);
  ck_assert_uint_eq(x.i.tcpi_segs_out, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_the_copy_is_min_of_len_and_the_size_with_linux_errnos)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  uint8_t buf[16];
  memset(buf, 0xee, sizeof(buf));
  socklen_t len = 10;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
  ck_assert_uint_eq(len, 10);
  ck_assert_uint_eq(buf[0], CLOSE);
  ck_assert_uint_eq(buf[10], 0xee); /* nothing beyond len */
  len = 0;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, NULL, &len), 0);
  ck_assert_uint_eq(len, 0);
  len = 8;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, NULL, &len), -EFAULT);
  len = (socklen_t)-1;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_TCP, TCP_INFO, buf, &len), -EINVAL);
  /* A UDP socket has no TCP level: Linux's ip_getsockopt() answers. */
  mynet_sock *u;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &u), 0);
  len = sizeof(buf);
  ck_assert_int_eq(mynet_getsockopt(u, IPPROTO_TCP, TCP_INFO, buf, &len), -EOPNOTSUPP);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_listener_reports_its_accept_queue_and_backlog)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  peer_open_passive(&p, &o); /* backlog 8, the child accepted */
  struct info x = get_info(p.listener);
  ck_assert_uint_eq(x.i.tcpi_state, LISTEN);
  ck_assert_uint_eq(x.i.tcpi_unacked, 0);
  ck_assert_uint_eq(x.i.tcpi_sacked, 8);
  ck_assert_uint_eq(x.i.tcpi_rto, 0);
  ck_assert_uint_eq(x.i.tcpi_snd_cwnd, 10);
  ck_assert_uint_eq(x.i.tcpi_reordering, 3);
  ck_assert_uint_eq(x.i.tcpi_min_rtt, 0);
  /* A second connection waits in the accept queue. */
  struct peer q;
  peer_init(&q, &t, 5000);
  q.port = PEER_PORT + 1;
  peer_syn_to_listener(&q);
  peer_send(&q, MN_TCP_ACK, NULL, 0);
  x = get_info(p.listener);
  ck_assert_uint_eq(x.i.tcpi_unacked, 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_an_established_connection_reports_options_mss_rtt_and_handshake_counts)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish_rtt(&p, &t, MYNET_MS(10));
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_state, ESTABLISHED);
  ck_assert_uint_eq(x.i.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
  ck_assert_uint_eq(x.i.tcpi_snd_wscale, 7);
  ck_assert_uint_eq(x.i.tcpi_rcv_wscale, p.syn.opt.wscale);
  ck_assert_uint_eq(x.i.tcpi_snd_mss, 1448); /* 1460 less the timestamps */
  ck_assert_uint_eq(x.i.tcpi_advmss, 1448);
  ck_assert_uint_eq(x.i.tcpi_rcv_mss, 536);
  ck_assert_uint_eq(x.i.tcpi_pmtu, 1500);
  ck_assert_uint_eq(x.i.tcpi_rtt, 10000);
  ck_assert_uint_eq(x.i.tcpi_rttvar, 5000);
  ck_assert_uint_eq(x.i.tcpi_min_rtt, 10000);
  ck_assert_uint_eq(x.i.tcpi_rto, 210000);
  ck_assert_uint_eq(x.i.tcpi_snd_cwnd, 10);
  ck_assert_uint_eq(x.i.tcpi_snd_ssthresh, 0x7fffffff);
  /* Linux counts the active opener's SYN as acknowledged and delivered. */
  ck_assert_uint_eq(x.i.tcpi_bytes_acked, 1);
  ck_assert_uint_eq(x.i.tcpi_delivered, 1);
  ck_assert_uint_eq(x.i.tcpi_segs_out, 2); /* SYN, ACK */
  ck_assert_uint_eq(x.i.tcpi_segs_in, 1);  /* SYN-ACK */
  ck_assert_uint_eq(x.i.tcpi_data_segs_out, 0);
  ck_assert_uint_eq(x.i.tcpi_snd_wnd, 65535);
  /* tcpi_rcv_wnd (Linux 6.2): the window we advertised, the whole
   * default buffer. */
  ck_assert_uint_eq(tail_u32(&x, RCV_WND_OFFSET), MN_TCP_RCVBUF_DEFAULT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_transfer_is_counted_in_bytes_and_segments_both_ways)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[3000];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 3000);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK, snd + 1448, p.snd_nxt, 1448);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd + 2896, p.snd_nxt, 104);
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_unacked, 3);
  ck_assert_uint_eq(x.i.tcpi_bytes_sent, 3000);
  ck_assert_uint_eq(x.i.tcpi_data_segs_out, 3);
  ck_assert_uint_eq(x.i.tcpi_notsent_bytes, 0);
  peer_ack(&p, snd + 3000);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, data, 500);
  x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_unacked, 0);
  ck_assert_uint_eq(x.i.tcpi_bytes_acked, 3001); /* the data and our SYN */
  ck_assert_uint_eq(x.i.tcpi_delivered, 1 + 3);
  ck_assert_uint_eq(x.i.tcpi_bytes_received, 500);
  ck_assert_uint_eq(x.i.tcpi_data_segs_in, 1);
  ck_assert_uint_eq(x.i.tcpi_segs_in, 3);  /* SYN-ACK, ACK, data */
  ck_assert_uint_eq(x.i.tcpi_segs_out, 5); /* SYN, ACK, three data */
  ck_assert_uint_eq(x.i.tcpi_ato, 40000);
  ck_assert_uint_eq(x.i.tcpi_total_retrans, 0);
  /* The peer's FIN counts as received sequence space, as on Linux. */
  peer_send(&p, MN_TCP_ACK | MN_TCP_FIN, NULL, 0);
  x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_state, CLOSE_WAIT);
  ck_assert_uint_eq(x.i.tcpi_bytes_received, 501);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_timeout_counts_one_retransmission_and_the_loss_state_until_acked)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* the timer alone */
  struct peer p;
  mynet_sock *s = peer_establish_rtt(&p, &t, MYNET_MS(10));
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "lost", 4), 4);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  tn_advance(&t, MYNET_MS(210));
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, snd, p.snd_nxt, 4);
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_ca_state, TCP_CA_Loss);
  ck_assert_uint_eq(x.i.tcpi_retransmits, 1);
  ck_assert_uint_eq(x.i.tcpi_backoff, 1);
  ck_assert_uint_eq(x.i.tcpi_rto, 420000);
  ck_assert_uint_eq(x.i.tcpi_total_retrans, 1);
  ck_assert_uint_eq(x.i.tcpi_bytes_retrans, 4);
  ck_assert_uint_eq(x.i.tcpi_lost, 1);
  ck_assert_uint_eq(x.i.tcpi_retrans, 1);
  ck_assert_uint_eq(x.i.tcpi_snd_cwnd, 1);
  ck_assert_uint_eq(tail_u16(&x, TOTAL_RTO_OFFSET), 1);
  ck_assert_uint_eq(tail_u16(&x, TOTAL_RTO_OFFSET + 2), 1);
  tn_advance(&t, MYNET_MS(5));
  peer_ack(&p, snd + 4);
  x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_ca_state, TCP_CA_Open);
  ck_assert_uint_eq(x.i.tcpi_retransmits, 0);
  ck_assert_uint_eq(x.i.tcpi_lost, 0);
  ck_assert_uint_eq(x.i.tcpi_retrans, 0);
  ck_assert_uint_eq(x.i.tcpi_total_retrans, 1);
  ck_assert_uint_eq(tail_u32(&x, TOTAL_RTO_OFFSET + 4), 5); /* ms spent recovering */
  tn_teardown(&t);
}
END_TEST

START_TEST(test_states_use_linux_numbers_and_time_wait_reads_as_close)
{
  static const struct {
    enum mn_tcp_state ours;
    unsigned linux_state;
  } cases[] = {
      {MN_TCPS_FIN_WAIT_1, FIN_WAIT1},  {MN_TCPS_FIN_WAIT_2, FIN_WAIT2},
      {MN_TCPS_CLOSE_WAIT, CLOSE_WAIT}, {MN_TCPS_LAST_ACK, LAST_ACK},
      {MN_TCPS_CLOSING, CLOSING},       {MN_TCPS_TIME_WAIT, CLOSE},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct tn t;
    tn_setup(&t, true);
    struct peer p;
    mynet_sock *s = peer_connection_in(&p, &t, cases[i].ours);
    ck_assert_uint_eq(get_info(s).i.tcpi_state, cases[i].linux_state);
    tn_teardown(&t);
  }
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  tn_tcp_connect_start(s, TN_PEER, 80);
  ck_assert_uint_eq(get_info(s).i.tcpi_state, SYN_SENT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_times_since_the_last_data_and_ack_are_in_milliseconds)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false); /* no probe resends the data */
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  ck_assert_int_eq(peer_write(s, "x", 1), 1);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, p.stack_iss + 1, p.snd_nxt, 1);
  tn_advance(&t, MYNET_MS(100));
  peer_ack(&p, p.stack_iss + 2);
  tn_advance(&t, MYNET_MS(50));
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_last_data_sent, 150);
  ck_assert_uint_eq(x.i.tcpi_last_ack_recv, 50);
  ck_assert_uint_eq(x.i.tcpi_last_data_recv, 150); /* since the handshake */
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_hole_filled_without_retransmission_is_reordering)
{
  struct tn t;
  tn_setup(&t, true);
  mn_tcp_set_loss_probes(t.st, false);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[3 * 1448];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  for (int i = 0; i < 3; i++)
    peer_recv(&p, &(struct mn_tcp_hdr){0}, NULL, 0);
  /* The first segment is late: the peer SACKs the third. */
  struct mn_tcp_sack_block b = {snd + 2 * 1448, snd + 3 * 1448};
  peer_sack(&p, &b, 1);
  tn_expect_silence(&t);
  struct info x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_ca_state, TCP_CA_Disorder);
  ck_assert_uint_eq(x.i.tcpi_sacked, 1);
  ck_assert_uint_eq(x.i.tcpi_delivered, 1 + 1);
  peer_ack(&p, snd + 3 * 1448);
  x = get_info(s);
  ck_assert_uint_eq(x.i.tcpi_reord_seen, 1);
  ck_assert_uint_eq(x.i.tcpi_total_retrans, 0);
  ck_assert_uint_eq(x.i.tcpi_delivered, 1 + 3);
  ck_assert_uint_eq(x.i.tcpi_ca_state, TCP_CA_Open);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_out_of_order_segments_and_dsack_duplicates_are_counted)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_inject(&p, p.snd_nxt + 10, p.rcv_nxt, MN_TCP_ACK, "later", 5);
  peer_recv(&p, &(struct mn_tcp_hdr){0}, NULL, 0);
  ck_assert_uint_eq(get_info(s).i.tcpi_rcv_ooopack, 1);
  /* The peer reports a segment of ours that arrived twice. */
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(peer_write(s, "dup", 3), 3);
  peer_recv(&p, &(struct mn_tcp_hdr){0}, NULL, 0);
  p.rcv_nxt = snd + 3;
  struct mn_tcp_sack_block d = {snd, snd + 3};
  peer_sack(&p, &d, 1);
  ck_assert_uint_eq(get_info(s).i.tcpi_dsack_dups, 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_delivery_rate_is_bytes_acknowledged_over_a_round_trip)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish_rtt(&p, &t, MYNET_MS(10));
  uint32_t snd = p.stack_iss + 1;
  static uint8_t data[10 * 1448];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), (ssize_t)sizeof(data));
  for (int i = 0; i < 10; i++)
    peer_recv(&p, &(struct mn_tcp_hdr){0}, NULL, 0);
  tn_advance(&t, MYNET_MS(10));
  peer_ack(&p, snd + 5 * 1448); /* starts the interval */
  ck_assert_uint_eq(get_info(s).i.tcpi_delivery_rate, 0);
  tn_advance(&t, MYNET_MS(10));
  peer_ack(&p, snd + 10 * 1448);
  /* 5 segments in 10 ms. */
  ck_assert_uint_eq(get_info(s).i.tcpi_delivery_rate, 5 * 1448 * 100);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_info");
  TCase *tc = tcase_create("info");
  tcase_add_test(tc, test_a_fresh_socket_reports_what_linux_reports_before_connect);
  tcase_add_test(tc, test_the_copy_is_min_of_len_and_the_size_with_linux_errnos);
  tcase_add_test(tc, test_a_listener_reports_its_accept_queue_and_backlog);
  tcase_add_test(tc, test_an_established_connection_reports_options_mss_rtt_and_handshake_counts);
  tcase_add_test(tc, test_a_transfer_is_counted_in_bytes_and_segments_both_ways);
  tcase_add_test(tc, test_a_timeout_counts_one_retransmission_and_the_loss_state_until_acked);
  tcase_add_test(tc, test_states_use_linux_numbers_and_time_wait_reads_as_close);
  tcase_add_test(tc, test_times_since_the_last_data_and_ack_are_in_milliseconds);
  tcase_add_test(tc, test_a_hole_filled_without_retransmission_is_reordering);
  tcase_add_test(tc, test_out_of_order_segments_and_dsack_duplicates_are_counted);
  tcase_add_test(tc, test_delivery_rate_is_bytes_acknowledged_over_a_round_trip);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
