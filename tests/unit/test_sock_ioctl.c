/* The queue ioctls (mynet_sock_ioctl), with the values and errnos Linux's
 * tcp_ioctl() and udp_ioctl() give. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>

static int ioc(mynet_sock *s, unsigned long req)
{
  int v = -12345;
  int rc = mynet_sock_ioctl(s, req, &v);
  if (rc < 0) {
    ck_assert_int_eq(v, -12345); /* nothing written on failure */
    return rc;
  }
  return v;
}

START_TEST(test_tcp_queues_count_unread_unacknowledged_and_unsent_bytes)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish_unscaled(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  ck_assert_int_eq(ioc(s, SIOCINQ), 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQNSD), 0);
  ck_assert_int_eq(ioc(s, SIOCATMARK), 0);
  /* A window of one segment: the rest of a write waits. */
  p.win = 1448;
  peer_ack(&p, snd);
  static uint8_t data[5000];
  ck_assert_int_eq(peer_write(s, data, sizeof(data)), 5000);
  peer_expect(&p, MN_TCP_ACK, snd, p.snd_nxt, 1448);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 5000);
  ck_assert_int_eq(ioc(s, SIOCOUTQNSD), 5000 - 1448);
  peer_ack(&p, snd + 1000);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 4000);
  /* Readable bytes; FIONREAD is the same request. */
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "hello", 5);
  ck_assert_int_eq(ioc(s, SIOCINQ), 5);
  ck_assert_int_eq(ioc(s, FIONREAD), 5);
  ck_assert_int_eq(mynet_sock_pending(s), 5);
  char buf[8];
  ck_assert_int_eq(peer_read(s, buf, 2), 2);
  ck_assert_int_eq(ioc(s, SIOCINQ), 3);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_fin_counts_in_the_send_queues_until_acknowledged)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  uint32_t snd = p.stack_iss + 1;
  /* Linux's write_seq covers the FIN: SIOCOUTQ says 1 until it is
   * acknowledged. */
  ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_FIN, snd, p.snd_nxt, 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 1);
  ck_assert_int_eq(ioc(s, SIOCOUTQNSD), 0);
  peer_ack(&p, snd + 1);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_listener_answers_einval_except_for_the_mark)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *l = tn_tcp_listener(&t, 80, 4);
  ck_assert_int_eq(ioc(l, SIOCINQ), -EINVAL);
  ck_assert_int_eq(ioc(l, SIOCOUTQ), -EINVAL);
  ck_assert_int_eq(ioc(l, SIOCOUTQNSD), -EINVAL);
  ck_assert_int_eq(mynet_sock_pending(l), -EINVAL);
  ck_assert_int_eq(ioc(l, SIOCATMARK), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tcp_connecting_socket_reports_empty_queues)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &s), 0);
  tn_tcp_connect_start(s, TN_PEER, 80);
  ck_assert_int_eq(ioc(s, SIOCINQ), 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQNSD), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_unknown_requests_answer_enotty_and_a_null_result_efault)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *tcp, *udp;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &tcp), 0);
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &udp), 0);
  ck_assert_int_eq(ioc(tcp, 0x1234), -ENOTTY);
  ck_assert_int_eq(ioc(udp, 0x1234), -ENOTTY);
  ck_assert_int_eq(mynet_sock_ioctl(tcp, SIOCINQ, NULL), -EFAULT);
  ck_assert_int_eq(mynet_sock_ioctl(udp, SIOCINQ, NULL), -EFAULT);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_inq_is_the_next_datagram_and_the_tcp_requests_are_unknown)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(ioc(s, SIOCINQ), 0);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "12345", 5);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "1234567890", 10);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "", 0);
  ck_assert_int_eq(ioc(s, SIOCINQ), 5);
  ck_assert_int_eq(ioc(s, FIONREAD), 5);
  char buf[16];
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 5);
  ck_assert_int_eq(ioc(s, SIOCINQ), 10);
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 10);
  ck_assert_int_eq(ioc(s, SIOCINQ), 0); /* an empty datagram is next */
  ck_assert_int_eq(tn_send(s, TN_PEER, 4000, "x", 1), 1);
  ck_assert_int_eq(ioc(s, SIOCOUTQ), 0);
  ck_assert_int_eq(ioc(s, SIOCOUTQNSD), -ENOTTY);
  ck_assert_int_eq(ioc(s, SIOCATMARK), -ENOTTY);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("sock_ioctl");
  TCase *tc = tcase_create("ioctl");
  tcase_add_test(tc, test_tcp_queues_count_unread_unacknowledged_and_unsent_bytes);
  tcase_add_test(tc, test_tcp_fin_counts_in_the_send_queues_until_acknowledged);
  tcase_add_test(tc, test_tcp_listener_answers_einval_except_for_the_mark);
  tcase_add_test(tc, test_tcp_connecting_socket_reports_empty_queues);
  tcase_add_test(tc, test_unknown_requests_answer_enotty_and_a_null_result_efault);
  tcase_add_test(tc, test_udp_inq_is_the_next_datagram_and_the_tcp_requests_are_unknown);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
