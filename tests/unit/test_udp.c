/* UDP sockets on the test device: demultiplexing, queues, errors. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(addr);
  a.sin_port = htons(port);
  return a;
}

static mynet_sock *udp_bound(struct tn *t, uint32_t addr, uint16_t port)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_DGRAM, 0, &s), 0);
  struct sockaddr_in a = sin_of(addr, port);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  return s;
}

static ssize_t recv_buf(mynet_sock *s, void *buf, size_t len, struct sockaddr_in *from, int *mf)
{
  struct iovec iov = {buf, len};
  return mynet_recvmsg(s, &iov, 1, from, 0, mf);
}

START_TEST(test_udp_datagram_to_bound_port_is_queued_with_its_source)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = udp_bound(&t, 0, 5000);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLIN, 0);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "hello", 5);
  ck_assert_uint_ne(mynet_sock_events(s) & POLLIN, 0);
  char buf[16];
  struct sockaddr_in from;
  int mf;
  ck_assert_int_eq(recv_buf(s, buf, sizeof(buf), &from, &mf), 5);
  ck_assert_mem_eq(buf, "hello", 5);
  ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), TN_PEER);
  ck_assert_uint_eq(ntohs(from.sin_port), 4000);
  ck_assert_int_eq(recv_buf(s, buf, sizeof(buf), NULL, &mf), -EAGAIN);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_datagram_to_closed_port_draws_port_unreachable)
{
  struct tn t;
  tn_setup(&t, true);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5001, "x", 1);
  struct mn_ipv4_hdr ip;
  struct mn_pbuf *p = tn_expect_ipv4(&t, MN_IPPROTO_ICMP, &ip);
  struct mn_icmp_hdr ic;
  ck_assert_int_eq(mn_icmp_parse(p->data, p->len, &ic), MN_PARSE_OK);
  ck_assert_uint_eq(ic.type, MN_ICMP_DEST_UNREACH);
  ck_assert_uint_eq(ic.code, MN_ICMP_PORT_UNREACH);
  ck_assert_uint_eq(ip.dst, TN_PEER);
  /* The quote starts with the offending IP header. */
  ck_assert_uint_eq(p->data[8] >> 4, 4);
  mn_pbuf_free(p);
  ck_assert_int_eq(mynet_stack_counter(t.st, "udp.no_ports"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_send_builds_a_checksummed_datagram)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = udp_bound(&t, 0, 5000);
  struct sockaddr_in to = sin_of(TN_PEER, 7);
  struct iovec iov = {"ping", 4};
  ck_assert_int_eq(mynet_sendmsg(s, &iov, 1, &to, 0), 4);
  struct mn_ipv4_hdr ip;
  struct mn_pbuf *p = tn_expect_ipv4(&t, MN_IPPROTO_UDP, &ip);
  struct mn_udp_hdr u;
  ck_assert_int_eq(mn_udp_parse(p->data, p->len, ip.src, ip.dst, &u), MN_PARSE_OK);
  ck_assert_uint_ne(u.csum, 0);
  ck_assert_uint_eq(u.sport, 5000);
  ck_assert_uint_eq(u.dport, 7);
  ck_assert_mem_eq(p->data + 8, "ping", 4);
  mn_pbuf_free(p);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_connected_socket_gets_econnrefused_after_port_unreachable)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &s), 0);
  struct sockaddr_in to = sin_of(TN_PEER, 9);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
  struct iovec iov = {"x", 1};
  ck_assert_int_eq(mynet_sendmsg(s, &iov, 1, NULL, 0), 1);
  struct mn_ipv4_hdr ip;
  struct mn_pbuf *sent = tn_expect_ipv4(&t, MN_IPPROTO_UDP, &ip);
  /* Answer with port unreachable quoting what was sent. */
  uint8_t msg[8 + 20 + 8 + 1];
  mn_pbuf_push(sent, ip.hdr_len);
  memcpy(msg + 8, sent->data, sizeof(msg) - 8);
  mn_pbuf_free(sent);
  struct mn_icmp_hdr ic = {.type = MN_ICMP_DEST_UNREACH, .code = MN_ICMP_PORT_UNREACH};
  mn_icmp_emit(&ic, msg, sizeof(msg));
  tn_inject_ipv4(&t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, sizeof(msg));
  ck_assert_uint_ne(mynet_sock_events(s) & POLLERR, 0);
  char buf[4];
  ck_assert_int_eq(recv_buf(s, buf, sizeof(buf), NULL, NULL), -ECONNREFUSED);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLERR, 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_receive_queue_is_bounded_by_rcvbuf)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = udp_bound(&t, 0, 5000);
  int small = 4096; /* doubled to 8192: room for a few datagrams only */
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
  for (int i = 0; i < 20; i++)
    tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "data", 4);
  ck_assert_int_gt(mynet_stack_counter(t.st, "udp.rcvbuf_errors"), 0);
  int got = 0;
  char buf[8];
  while (recv_buf(s, buf, sizeof(buf), NULL, NULL) == 4)
    got++;
  ck_assert_int_gt(got, 0);
  ck_assert_int_eq(got + mynet_stack_counter(t.st, "udp.rcvbuf_errors"), 20);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_udp_broadcast_copy_without_a_buffer_is_counted_and_others_still_get_theirs)
{
  struct tn t;
  tn_setup(&t, true);
  int on = 1;
  mynet_sock *socks[2];
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &socks[i]), 0);
    ck_assert_int_eq(mynet_setsockopt(socks[i], SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
    struct sockaddr_in a = sin_of(0, 5000);
    ck_assert_int_eq(mynet_bind(socks[i], &a), 0);
  }
  /* Each socket bound to the port gets its own copy; the pool has room
   * for one copy only: the other is lost and counted as a queueing
   * failure. */
  t.hold = true;
  tn_inject_udp(&t, TN_PEER, 4000, mn_ip4(192, 0, 2, 255), 5000, "bcast", 5);
  size_t bound = t.st->pool.bytes_max;
  t.st->pool.bytes_max = t.st->pool.bytes_used + MN_PBUF_SMALL;
  tn_poll(&t);
  t.st->pool.bytes_max = bound;
  ck_assert_int_eq(mynet_stack_counter(t.st, "udp.rcvbuf_errors"), 1);
  char buf[8];
  int got = 0;
  for (int i = 0; i < 2; i++)
    got += recv_buf(socks[i], buf, sizeof(buf), NULL, NULL) == 5;
  ck_assert_int_eq(got, 1);
  for (int i = 0; i < 2; i++)
    mynet_close(socks[i]);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("udp");
  TCase *tc = tcase_create("udp");
  tcase_add_test(tc, test_udp_datagram_to_bound_port_is_queued_with_its_source);
  tcase_add_test(tc, test_udp_datagram_to_closed_port_draws_port_unreachable);
  tcase_add_test(tc, test_udp_send_builds_a_checksummed_datagram);
  tcase_add_test(tc, test_udp_connected_socket_gets_econnrefused_after_port_unreachable);
  tcase_add_test(tc, test_udp_receive_queue_is_bounded_by_rcvbuf);
  tcase_add_test(tc,
                 test_udp_broadcast_copy_without_a_buffer_is_counted_and_others_still_get_theirs);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
