/* ICMP: echo, errors we send (and the ones we must not), rate limiting,
 * and errors we receive reaching the socket they concern. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include "net/icmp.h"
#include "wire/be.h"
#include "wire/checksum.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#define FRAME_MAX 1600

static int64_t ctr(struct tn *t, const char *name)
{
  return mynet_stack_counter(t->st, name);
}

/* An echo request message: id, seq and payload, checksummed. */
static size_t echo_request(uint8_t *msg, uint16_t id, uint16_t seq, const void *data, size_t len)
{
  memcpy(msg + MN_ICMP_HDR_LEN, data, len);
  struct mn_icmp_hdr h = {.type = MN_ICMP_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq};
  mn_icmp_emit(&h, msg, MN_ICMP_HDR_LEN + len);
  return MN_ICMP_HDR_LEN + len;
}

/* A UDP datagram from the peer to a port nobody listens on. */
static void udp_to_closed_port(struct tn *t, uint32_t src, uint32_t dst)
{
  tn_inject_udp(t, src, 4000, dst, 5999, "x", 1);
}

/* Pop a frame if there is one; true if it was a port unreachable. */
static bool popped_port_unreachable(struct tn *t)
{
  if (tn_device_tx_count(t->dev) == 0)
    return false;
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  mn_pbuf_free(tn_expect_icmp(t, &ip, &ic));
  ck_assert_uint_eq(ic.type, MN_ICMP_DEST_UNREACH);
  ck_assert_uint_eq(ic.code, MN_ICMP_PORT_UNREACH);
  return true;
}

/* How many of n datagrams to a closed port drew an error. */
static int errors_for_burst(struct tn *t, int n)
{
  int got = 0;
  for (int i = 0; i < n; i++) {
    udp_to_closed_port(t, TN_PEER, TN_ADDR);
    got += popped_port_unreachable(t);
  }
  tn_expect_silence(t);
  return got;
}

/* Inject an ICMP error of type/code from the peer quoting `sent` (a
 * frame the stack sent, data at its IP header). */
static void inject_error_about(struct tn *t, uint8_t type, uint8_t code, const struct mn_pbuf *sent,
                               size_t quote)
{
  uint8_t msg[MN_ICMP_HDR_LEN + 576];
  ck_assert_uint_le(quote, sent->len);
  ck_assert_uint_le(quote, 576);
  memcpy(msg + MN_ICMP_HDR_LEN, sent->data, quote);
  struct mn_icmp_hdr h = {.type = type, .code = code};
  mn_icmp_emit(&h, msg, MN_ICMP_HDR_LEN + quote);
  tn_inject_ipv4(t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, MN_ICMP_HDR_LEN + quote);
}

/* Send one byte from s (to `to`:port, or its peer) and return the frame,
 * data at the IP header. */
static struct mn_pbuf *sent_by(struct tn *t, mynet_sock *s, uint32_t to, uint16_t port)
{
  ck_assert_int_eq(tn_send(s, to, port, "x", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_pbuf *p = tn_expect_ipv4(t, MN_IPPROTO_UDP, &ip);
  mn_pbuf_push(p, ip.hdr_len);
  return p;
}

START_TEST(test_icmp_echo_request_is_answered_with_the_same_id_seq_and_data)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t data[37]; /* odd, so the checksum's last byte is padded */
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 7 + 1);
  uint8_t msg[MN_ICMP_HDR_LEN + sizeof(data)];
  size_t n = echo_request(msg, 0x1234, 0x0007, data, sizeof(data));
  tn_inject_ipv4(&t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, n);
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  struct mn_pbuf *p = tn_expect_icmp(&t, &ip, &ic); /* verifies the checksum */
  ck_assert_uint_eq(ic.type, MN_ICMP_ECHO_REPLY);
  ck_assert_uint_eq(ic.code, 0);
  ck_assert_uint_eq(ic.rest >> 16, 0x1234);
  ck_assert_uint_eq(ic.rest & 0xffff, 0x0007);
  ck_assert_uint_eq(p->len, n);
  ck_assert_mem_eq(p->data + MN_ICMP_HDR_LEN, data, sizeof(data));
  ck_assert_uint_eq(ip.src, TN_ADDR);
  ck_assert_uint_eq(ip.dst, TN_PEER);
  ck_assert_uint_eq(ip.ttl, 64);
  ck_assert_mem_eq(t.eth.dst, tn_peer_mac, 6);
  mn_pbuf_free(p);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "icmp.in_echos"), 1);
  ck_assert_int_eq(ctr(&t, "icmp.out_echo_reps"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_echo_reply_leaves_out_the_ethernet_padding)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t msg[MN_ICMP_HDR_LEN + 2];
  size_t n = echo_request(msg, 1, 2, "hi", 2);
  uint8_t frame[64];
  size_t len = tn_build_ipv4(frame, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, n);
  memset(frame + len, 0x5a, 60 - len);
  tn_inject_frame(&t, frame, 60);
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  struct mn_pbuf *p = tn_expect_icmp(&t, &ip, &ic);
  ck_assert_uint_eq(ic.type, MN_ICMP_ECHO_REPLY);
  ck_assert_uint_eq(p->len, n);
  ck_assert_mem_eq(p->data + MN_ICMP_HDR_LEN, "hi", 2);
  mn_pbuf_free(p);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_echo_request_to_a_broadcast_address_is_ignored)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t msg[MN_ICMP_HDR_LEN + 4];
  size_t n = echo_request(msg, 1, 1, "ping", 4);
  tn_inject_ipv4(&t, TN_PEER, mn_ip4(192, 0, 2, 255), MN_IPPROTO_ICMP, msg, n);
  tn_inject_ipv4(&t, TN_PEER, 0xffffffffu, MN_IPPROTO_ICMP, msg, n);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "icmp.in_echos"), 2);
  ck_assert_int_eq(ctr(&t, "icmp.out_echo_reps"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_message_with_a_bad_checksum_is_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t msg[MN_ICMP_HDR_LEN + 4];
  size_t n = echo_request(msg, 1, 1, "ping", 4);
  msg[n - 1] ^= 0x40;
  tn_inject_ipv4(&t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, n);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "icmp.in_errors"), 1);
  ck_assert_int_eq(ctr(&t, "icmp.in_echos"), 0);
  /* Shorter than an ICMP header: dropped the same way. */
  tn_inject_ipv4(&t, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, MN_ICMP_HDR_LEN - 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "icmp.in_errors"), 2);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_port_unreachable_quotes_the_datagram_up_to_576_bytes)
{
  struct tn t;
  tn_setup(&t, true);
  static uint8_t big[1000];
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5999, big, sizeof(big));
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  struct mn_pbuf *p = tn_expect_icmp(&t, &ip, &ic);
  ck_assert_uint_eq(ic.type, MN_ICMP_DEST_UNREACH);
  ck_assert_uint_eq(ic.code, MN_ICMP_PORT_UNREACH);
  ck_assert_uint_eq(ip.total_len, 576);
  /* The quote starts with the offending header: from the peer to us. */
  ck_assert_uint_eq(p->data[MN_ICMP_HDR_LEN] >> 4, 4);
  ck_assert_uint_eq(mn_get32(p->data + MN_ICMP_HDR_LEN + 12), TN_PEER);
  ck_assert_uint_eq(mn_get32(p->data + MN_ICMP_HDR_LEN + 16), TN_ADDR);
  ck_assert_uint_eq(mn_get16(p->data + MN_ICMP_HDR_LEN + 20 + 2), 5999);
  mn_pbuf_free(p);
  ck_assert_int_eq(ctr(&t, "icmp.out_dest_unreachs"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_errors_are_rate_limited_to_a_burst_of_six_refilled_over_time)
{
  struct tn t;
  tn_setup(&t, true);
  ck_assert_int_eq(errors_for_burst(&t, 8), MN_ICMP_BURST);
  ck_assert_int_eq(ctr(&t, "icmp.out_rate_limited"), 2);
  ck_assert_int_eq(ctr(&t, "udp.no_ports"), 8);
  /* One token comes back per interval, not before. */
  tn_advance(&t, MN_ICMP_TOKEN_INTERVAL - 1);
  ck_assert_int_eq(errors_for_burst(&t, 1), 0);
  tn_advance(&t, 1);
  ck_assert_int_eq(errors_for_burst(&t, 2), 1);
  /* After a quiet second the whole burst is available again, no more. */
  tn_advance(&t, MYNET_SEC(1));
  ck_assert_int_eq(errors_for_burst(&t, 8), MN_ICMP_BURST);
  /* However long the quiet, the bucket holds only a burst. */
  tn_advance(&t, MYNET_SEC(3600));
  /* (The peer's ARP entry has long expired: let it announce itself.) */
  tn_inject_arp(&t, MN_ARP_REQUEST, tn_peer_mac, TN_PEER, (const uint8_t[6]){0}, TN_ADDR);
  mn_pbuf_free(tn_pop(&t));
  ck_assert_int_eq(errors_for_burst(&t, 8), MN_ICMP_BURST);
  ck_assert_int_eq(ctr(&t, "icmp.out_rate_limited"), 2 + 1 + 1 + 2 + 2);
  tn_teardown(&t);
}
END_TEST

/* Linux's icmpv4_xrlim_allow: no limit for errors to our own addresses,
 * so a burst of datagrams to a closed loopback port is refused every
 * time. */
START_TEST(test_icmp_errors_to_our_own_address_are_not_rate_limited)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_connected(&t, mn_ip4(127, 0, 0, 1), 5999);
  for (int i = 0; i < 3 * MN_ICMP_BURST; i++) {
    ck_assert_int_eq(tn_send(s, 0, 0, "x", 1), 1);
    tn_poll(&t);
    char buf[4];
    ck_assert_int_eq(tn_recv(s, buf, sizeof buf, NULL), -ECONNREFUSED);
  }
  ck_assert_int_eq(ctr(&t, "icmp.out_rate_limited"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_no_error_about_a_broadcast_or_a_non_host_source)
{
  struct tn t;
  tn_setup(&t, true);
  udp_to_closed_port(&t, TN_PEER, mn_ip4(192, 0, 2, 255));
  udp_to_closed_port(&t, TN_PEER, 0xffffffffu);
  udp_to_closed_port(&t, 0, TN_ADDR);
  udp_to_closed_port(&t, mn_ip4(192, 0, 2, 255), TN_ADDR);
  udp_to_closed_port(&t, mn_ip4(224, 0, 0, 1), TN_ADDR);
  /* Addressed to us, but sent to every station on the link. */
  uint8_t seg[MN_UDP_HDR_LEN + 1] = {0, 0, 0, 0, 0, 0, 0, 0, 'x'};
  struct mn_udp_hdr u = {.sport = 4000, .dport = 5999};
  mn_udp_emit(&u, seg, 1, TN_PEER, TN_ADDR);
  uint8_t frame[128];
  size_t n = tn_build_ipv4(frame, TN_PEER, TN_ADDR, MN_IPPROTO_UDP, seg, sizeof(seg));
  memcpy(frame, mn_eth_broadcast, 6);
  tn_inject_frame(&t, frame, n);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "udp.no_ports"), 6);
  ck_assert_int_eq(ctr(&t, "icmp.out_msgs"), 0);
  /* Suppressed errors use no tokens. */
  ck_assert_int_eq(ctr(&t, "icmp.out_rate_limited"), 0);
  ck_assert_int_eq(errors_for_burst(&t, MN_ICMP_BURST), MN_ICMP_BURST);
  tn_teardown(&t);
}
END_TEST

/* A datagram from the peer to us carrying an ICMP message of this type,
 * in a buffer from the stack's pool, data at the IP header. */
static struct mn_pbuf *icmp_datagram(struct tn *t, uint8_t type)
{
  uint8_t msg[MN_ICMP_HDR_LEN + 28] = {0};
  struct mn_icmp_hdr h = {.type = type};
  mn_icmp_emit(&h, msg, sizeof(msg));
  uint8_t frame[128];
  size_t n = tn_build_ipv4(frame, TN_PEER, TN_ADDR, MN_IPPROTO_ICMP, msg, sizeof(msg));
  struct mn_pbuf *p = mn_pbuf_alloc(&t->st->pool, MN_PBUF_HEADROOM, n - MN_ETH_HDR_LEN);
  ck_assert_ptr_nonnull(p);
  memcpy(p->data, frame + MN_ETH_HDR_LEN, p->len);
  return p;
}

START_TEST(test_icmp_no_error_about_an_icmp_error)
{
  struct tn t;
  tn_setup(&t, true);
  /* RFC 1122 3.2.2: never answer an error with an error... */
  uint8_t errors[] = {MN_ICMP_DEST_UNREACH, MN_ICMP_TIME_EXCEEDED, MN_ICMP_PARAM_PROBLEM,
                      MN_ICMP_SOURCE_QUENCH};
  for (size_t i = 0; i < MN_ARRAY_LEN(errors); i++) {
    struct mn_pbuf *p = icmp_datagram(&t, errors[i]);
    mn_icmp_send_error(t.st, p, MN_ICMP_DEST_UNREACH, MN_ICMP_PROTO_UNREACH, 0);
    mn_pbuf_free(p);
    tn_expect_silence(&t);
  }
  ck_assert_int_eq(ctr(&t, "icmp.out_msgs"), 0);
  /* ...but a query may draw one. */
  struct mn_pbuf *p = icmp_datagram(&t, MN_ICMP_ECHO_REQUEST);
  mn_icmp_send_error(t.st, p, MN_ICMP_DEST_UNREACH, MN_ICMP_PROTO_UNREACH, 0);
  mn_pbuf_free(p);
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  mn_pbuf_free(tn_expect_icmp(&t, &ip, &ic));
  ck_assert_uint_eq(ic.type, MN_ICMP_DEST_UNREACH);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_port_unreachable_reaches_a_connected_socket_as_econnrefused)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *c = tn_udp_connected(&t, TN_PEER, 9);
  struct mn_pbuf *sent = sent_by(&t, c, 0, 0);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, sent, sent->len);
  mn_pbuf_free(sent);
  ck_assert_int_eq(ctr(&t, "icmp.in_dest_unreachs"), 1);
  ck_assert_uint_ne(mynet_sock_events(c) & POLLERR, 0);
  int err;
  socklen_t len = sizeof(err);
  ck_assert_int_eq(mynet_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  ck_assert_int_eq(err, ECONNREFUSED);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0); /* reading SO_ERROR clears it */
  /* Reported once, by whichever call comes first. */
  sent = sent_by(&t, c, 0, 0);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, sent, sent->len);
  mn_pbuf_free(sent);
  ck_assert_int_eq(tn_send(c, 0, 0, "y", 1), -ECONNREFUSED);
  ck_assert_int_eq(tn_send(c, 0, 0, "y", 1), 1);
  mn_pbuf_free(tn_pop(&t));
  tn_expect_silence(&t); /* no ICMP about an ICMP error either */
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_port_unreachable_over_loopback_refuses_a_connected_socket)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *c = tn_udp_connected(&t, mn_ip4(127, 0, 0, 1), 5999);
  ck_assert_int_eq(tn_send(c, 0, 0, "x", 1), 1);
  tn_poll(&t); /* the datagram, then the error, both through loopback */
  ck_assert_uint_ne(mynet_sock_events(c) & POLLERR, 0);
  char buf[4];
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -ECONNREFUSED);
  ck_assert_int_eq(ctr(&t, "icmp.out_dest_unreachs"), 1);
  ck_assert_int_eq(ctr(&t, "icmp.in_dest_unreachs"), 1);
  tn_expect_silence(&t);
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_port_unreachable_is_not_reported_to_an_unconnected_socket)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *u = tn_udp_bound(&t, 0, 5000);
  struct mn_pbuf *sent = sent_by(&t, u, TN_PEER, 9);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, sent, sent->len);
  mn_pbuf_free(sent);
  ck_assert_int_eq(ctr(&t, "icmp.in_dest_unreachs"), 1);
  ck_assert_uint_eq(mynet_sock_events(u) & POLLERR, 0);
  char buf[4];
  ck_assert_int_eq(tn_recv(u, buf, sizeof(buf), NULL), -EAGAIN);
  ck_assert_int_eq(tn_send(u, TN_PEER, 9, "y", 1), 1);
  mn_pbuf_free(tn_pop(&t));
  mynet_close(u);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_error_about_another_flow_leaves_the_socket_alone)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *c = tn_udp_connected(&t, TN_PEER, 9);
  mynet_sock *other = tn_udp_connected(&t, TN_PEER, 10);
  struct mn_pbuf *sent = sent_by(&t, other, 0, 0);
  mynet_close(other);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, sent, sent->len);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0);
  mn_pbuf_free(sent);
  /* A quote too short to hold the ports tells nobody anything. */
  sent = sent_by(&t, c, 0, 0);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH, sent, MN_IPV4_HDR_LEN + 4);
  mn_pbuf_free(sent);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0);
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_host_unreachable_and_time_exceeded_map_to_ehostunreach)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *c = tn_udp_connected(&t, TN_PEER, 9);
  struct mn_pbuf *sent = sent_by(&t, c, 0, 0);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_HOST_UNREACH, sent, sent->len);
  char buf[4];
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -EHOSTUNREACH);
  inject_error_about(&t, MN_ICMP_TIME_EXCEEDED, 0, sent, sent->len);
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -EHOSTUNREACH);
  inject_error_about(&t, MN_ICMP_DEST_UNREACH, MN_ICMP_NET_UNREACH, sent, sent->len);
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -ENETUNREACH);
  mn_pbuf_free(sent);
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_icmp_unreachable_codes_map_to_the_kernel_errnos)
{
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, MN_ICMP_NET_UNREACH), ENETUNREACH);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, MN_ICMP_HOST_UNREACH), EHOSTUNREACH);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, MN_ICMP_PROTO_UNREACH), ENOPROTOOPT);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, MN_ICMP_PORT_UNREACH), ECONNREFUSED);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, MN_ICMP_FRAG_NEEDED), EMSGSIZE);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_DEST_UNREACH, 13), EACCES);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_TIME_EXCEEDED, 0), EHOSTUNREACH);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_PARAM_PROBLEM, 0), EPROTO);
  ck_assert_int_eq(mn_icmp_unreach_errno(MN_ICMP_ECHO_REPLY, 0), 0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("icmp");
  TCase *tc = tcase_create("icmp");
  tcase_add_test(tc, test_icmp_echo_request_is_answered_with_the_same_id_seq_and_data);
  tcase_add_test(tc, test_icmp_echo_reply_leaves_out_the_ethernet_padding);
  tcase_add_test(tc, test_icmp_echo_request_to_a_broadcast_address_is_ignored);
  tcase_add_test(tc, test_icmp_message_with_a_bad_checksum_is_dropped);
  tcase_add_test(tc, test_icmp_port_unreachable_quotes_the_datagram_up_to_576_bytes);
  tcase_add_test(tc, test_icmp_errors_are_rate_limited_to_a_burst_of_six_refilled_over_time);
  tcase_add_test(tc, test_icmp_errors_to_our_own_address_are_not_rate_limited);
  tcase_add_test(tc, test_icmp_no_error_about_a_broadcast_or_a_non_host_source);
  tcase_add_test(tc, test_icmp_no_error_about_an_icmp_error);
  tcase_add_test(tc, test_icmp_port_unreachable_reaches_a_connected_socket_as_econnrefused);
  tcase_add_test(tc, test_icmp_port_unreachable_over_loopback_refuses_a_connected_socket);
  tcase_add_test(tc, test_icmp_port_unreachable_is_not_reported_to_an_unconnected_socket);
  tcase_add_test(tc, test_icmp_error_about_another_flow_leaves_the_socket_alone);
  tcase_add_test(tc, test_icmp_host_unreachable_and_time_exceeded_map_to_ehostunreach);
  tcase_add_test(tc, test_icmp_unreachable_codes_map_to_the_kernel_errnos);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
