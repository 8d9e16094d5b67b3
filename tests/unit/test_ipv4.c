/* IPv4 input validation and demultiplexing, and the header we send. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include "wire/be.h"
#include "wire/checksum.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <string.h>

#define IP_OFF MN_ETH_HDR_LEN
#define FRAME_MAX 256

static int64_t ctr(struct tn *t, const char *name)
{
  return mynet_stack_counter(t->st, name);
}

/* Recompute the header checksum of the IPv4 header in frame. */
static void fix_ip_csum(uint8_t *frame)
{
  uint8_t *h = frame + IP_OFF;
  size_t ihl = (size_t)(h[0] & 0x0f) * 4;
  mn_put16(h + 10, 0);
  mn_put16(h + 10, mn_csum_fold(mn_csum_add(0, h, ihl)));
}

/* A frame from the peer carrying a UDP datagram to dst:5000 (from port
 * 4000), with opt_words 32-bit words of IP options (NOPs).  Returns its
 * length. */
static size_t udp_frame(uint8_t *frame, uint32_t dst, const void *payload, size_t len,
                        int opt_words)
{
  uint8_t seg[FRAME_MAX];
  ck_assert_uint_le(MN_UDP_HDR_LEN + len, sizeof(seg));
  memcpy(seg + MN_UDP_HDR_LEN, payload, len);
  struct mn_udp_hdr u = {.sport = 4000, .dport = 5000};
  mn_udp_emit(&u, seg, len, TN_PEER, dst);
  size_t n = tn_build_ipv4(frame, TN_PEER, dst, MN_IPPROTO_UDP, seg, MN_UDP_HDR_LEN + len);
  if (opt_words) {
    size_t opt = (size_t)opt_words * 4;
    uint8_t *h = frame + IP_OFF;
    memmove(h + MN_IPV4_HDR_LEN + opt, h + MN_IPV4_HDR_LEN, n - IP_OFF - MN_IPV4_HDR_LEN);
    memset(h + MN_IPV4_HDR_LEN, 1, opt); /* NOP options */
    h[0] = (uint8_t)(0x40 | (5 + opt_words));
    mn_put16(h + 2, (uint16_t)(mn_get16(h + 2) + opt));
    n += opt;
    fix_ip_csum(frame);
  }
  return n;
}

/* Inject the frame and check that it was dropped before any transport
 * saw it, with `counter` incremented, and nothing sent in answer. */
static void expect_dropped(struct tn *t, mynet_sock *s, const uint8_t *frame, size_t len,
                           const char *counter)
{
  int64_t before = ctr(t, counter);
  int64_t delivered = ctr(t, "ip.in_delivers");
  tn_inject_frame(t, frame, len);
  ck_assert_msg(ctr(t, counter) == before + 1, "%s not counted", counter);
  ck_assert_int_eq(ctr(t, "ip.in_delivers"), delivered);
  ck_assert_uint_eq(mynet_sock_events(s) & POLLIN, 0);
  tn_expect_silence(t);
}

START_TEST(test_ipv4_valid_datagram_is_delivered)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  tn_inject_frame(&t, frame, udp_frame(frame, TN_ADDR, "ok", 2, 0));
  char buf[8];
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 2);
  ck_assert_int_eq(ctr(&t, "ip.in_receives"), 1);
  ck_assert_int_eq(ctr(&t, "ip.in_delivers"), 1);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_bad_header_checksum_is_dropped_as_header_error)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  frame[IP_OFF + 10] ^= 0x01;
  expect_dropped(&t, s, frame, n, "ip.in_hdr_errors");
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_wrong_version_is_dropped_as_header_error)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  frame[IP_OFF] = 0x65; /* version 6, IHL 5 */
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_hdr_errors");
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_header_length_below_five_words_is_dropped_as_header_error)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  frame[IP_OFF] = 0x44; /* IHL 4: 16 bytes */
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_hdr_errors");
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_total_length_beyond_the_frame_is_dropped_as_header_error)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "xyz", 3, 0);
  /* The datagram was cut on the way: its last byte is missing. */
  expect_dropped(&t, s, frame, n - 1, "ip.in_hdr_errors");
  /* A total length smaller than the header is as bad. */
  n = udp_frame(frame, TN_ADDR, "xyz", 3, 0);
  mn_put16(frame + IP_OFF + 2, 19);
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_hdr_errors");
  /* And so is a frame too short for any header. */
  expect_dropped(&t, s, frame, IP_OFF + MN_IPV4_HDR_LEN - 1, "ip.in_hdr_errors");
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_fragments_are_dropped_and_counted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  /* A first fragment: MF set, offset 0. */
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  mn_put16(frame + IP_OFF + 6, 0x2000);
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_frag_drops");
  /* A last fragment: MF clear, offset 185 (1480 bytes). */
  n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  mn_put16(frame + IP_OFF + 6, 185);
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_frag_drops");
  ck_assert_int_eq(ctr(&t, "ip.in_frag_drops"), 2);
  ck_assert_int_eq(ctr(&t, "icmp.out_msgs"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_datagram_for_another_address_is_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  /* We are a host, not a router (RFC 1122 3.3.1). */
  size_t n = udp_frame(frame, mn_ip4(192, 0, 2, 3), "x", 1, 0);
  expect_dropped(&t, s, frame, n, "ip.in_addr_errors");
  n = udp_frame(frame, mn_ip4(198, 51, 100, 1), "x", 1, 0);
  expect_dropped(&t, s, frame, n, "ip.in_addr_errors");
  /* Loopback addresses never come from a wire (RFC 1122 3.2.1.3). */
  n = udp_frame(frame, mn_ip4(127, 0, 0, 1), "x", 1, 0);
  expect_dropped(&t, s, frame, n, "ip.in_addr_errors");
  n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  mn_put32(frame + IP_OFF + 12, mn_ip4(127, 0, 0, 1));
  fix_ip_csum(frame);
  expect_dropped(&t, s, frame, n, "ip.in_addr_errors");
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_broadcast_datagrams_are_accepted)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  tn_inject_frame(&t, frame, udp_frame(frame, mn_ip4(192, 0, 2, 255), "d", 1, 0));
  tn_inject_frame(&t, frame, udp_frame(frame, 0xffffffffu, "l", 1, 0));
  char buf[4];
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 1);
  ck_assert_int_eq(buf[0], 'd');
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 1);
  ck_assert_int_eq(buf[0], 'l');
  ck_assert_int_eq(ctr(&t, "ip.in_addr_errors"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_ethernet_padding_is_not_data)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  /* A 43-byte frame is padded to Ethernet's 60-byte minimum; the pad is
   * not zero here, to show it is ignored rather than summed. */
  ck_assert_uint_lt(n, 60);
  memset(frame + n, 0xa5, 60 - n);
  tn_inject_frame(&t, frame, 60);
  char buf[32];
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 1);
  ck_assert_int_eq(buf[0], 'x');
  ck_assert_int_eq(ctr(&t, "udp.in_errors"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_options_are_skipped)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  tn_inject_frame(&t, frame, udp_frame(frame, TN_ADDR, "opt", 3, 1));  /* IHL 6 */
  tn_inject_frame(&t, frame, udp_frame(frame, TN_ADDR, "max", 3, 10)); /* IHL 15 */
  char buf[8];
  struct sockaddr_in from;
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), &from), 3);
  ck_assert_mem_eq(buf, "opt", 3);
  ck_assert_uint_eq(ntohs(from.sin_port), 4000);
  ck_assert_int_eq(tn_recv(s, buf, sizeof(buf), NULL), 3);
  ck_assert_mem_eq(buf, "max", 3);
  ck_assert_int_eq(ctr(&t, "ip.in_hdr_errors"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_unknown_protocol_draws_protocol_unreachable)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t body[12] = "not a proto";
  uint8_t frame[FRAME_MAX];
  size_t n = tn_build_ipv4(frame, TN_PEER, TN_ADDR, 253, body, sizeof(body));
  tn_inject_frame(&t, frame, n);
  ck_assert_int_eq(ctr(&t, "ip.in_unknown_protos"), 1);
  ck_assert_int_eq(ctr(&t, "ip.in_delivers"), 0);
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  struct mn_pbuf *p = tn_expect_icmp(&t, &ip, &ic);
  ck_assert_uint_eq(ic.type, MN_ICMP_DEST_UNREACH);
  ck_assert_uint_eq(ic.code, MN_ICMP_PROTO_UNREACH);
  ck_assert_uint_eq(ic.rest, 0);
  ck_assert_uint_eq(ip.src, TN_ADDR);
  ck_assert_uint_eq(ip.dst, TN_PEER);
  /* The whole offending datagram is quoted, header first. */
  ck_assert_uint_eq(p->len, MN_ICMP_HDR_LEN + n - IP_OFF);
  ck_assert_mem_eq(p->data + MN_ICMP_HDR_LEN, frame + IP_OFF, n - IP_OFF);
  mn_pbuf_free(p);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_unknown_protocol_to_broadcast_is_dropped_silently)
{
  struct tn t;
  tn_setup(&t, true);
  uint8_t body[4] = {0};
  uint8_t frame[FRAME_MAX];
  size_t n = tn_build_ipv4(frame, TN_PEER, mn_ip4(192, 0, 2, 255), 253, body, sizeof(body));
  tn_inject_frame(&t, frame, n);
  ck_assert_int_eq(ctr(&t, "ip.in_unknown_protos"), 1);
  tn_expect_silence(&t);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_output_header_has_our_defaults)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "abc", 3), 3);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "def", 3), 3);
  struct mn_ipv4_hdr a, b;
  struct mn_udp_hdr u;
  struct mn_pbuf *p = tn_expect_udp(&t, &a, &u);
  /* Version, IHL and checksum were checked by the parser. */
  ck_assert_uint_eq(a.hdr_len, MN_IPV4_HDR_LEN);
  ck_assert_uint_eq(a.total_len, MN_IPV4_HDR_LEN + MN_UDP_HDR_LEN + 3);
  ck_assert_uint_eq(a.ttl, 64);
  ck_assert_uint_eq(a.tos, 0);
  ck_assert(!a.df); /* UDP sends DF clear (no path MTU discovery for datagrams) */
  ck_assert(!a.mf);
  ck_assert_uint_eq(a.frag_off, 0);
  ck_assert_uint_eq(a.proto, MN_IPPROTO_UDP);
  ck_assert_uint_eq(a.src, TN_ADDR);
  ck_assert_uint_eq(a.dst, TN_PEER);
  ck_assert_mem_eq(t.eth.src, tn_mac, 6);
  ck_assert_mem_eq(t.eth.dst, tn_peer_mac, 6);
  mn_pbuf_free(p);
  mn_pbuf_free(tn_expect_udp(&t, &b, &u));
  /* Each datagram has its own identification. */
  ck_assert_uint_ne(a.id, b.id);
  ck_assert_int_eq(ctr(&t, "ip.out_requests"), 2);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_output_uses_the_socket_ttl_and_tos)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  int ttl = 7, tos = IPTOS_LOWDELAY;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "x", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_uint_eq(ip.ttl, 7);
  ck_assert_uint_eq(ip.tos, IPTOS_LOWDELAY);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_datagram_larger_than_the_mtu_is_refused)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  static uint8_t big[1500];
  size_t fits = 1500 - MN_IPV4_HDR_LEN - MN_UDP_HDR_LEN;
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, big, fits + 1), -EMSGSIZE);
  tn_expect_silence(&t);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, big, fits), (ssize_t)fits);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_uint_eq(ip.total_len, 1500);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv4_frame_for_another_station_or_ethertype_is_dropped)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  uint8_t frame[FRAME_MAX];
  size_t n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  frame[5] ^= 0x10; /* another unicast MAC */
  expect_dropped(&t, s, frame, n, "eth.in_not_for_us");
  n = udp_frame(frame, TN_ADDR, "x", 1, 0);
  mn_put16(frame + 12, 0x86dd); /* IPv6 */
  expect_dropped(&t, s, frame, n, "eth.in_unknown_type");
  ck_assert_int_eq(ctr(&t, "ip.in_receives"), 0);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("ipv4");
  TCase *tc = tcase_create("ipv4");
  tcase_add_test(tc, test_ipv4_valid_datagram_is_delivered);
  tcase_add_test(tc, test_ipv4_bad_header_checksum_is_dropped_as_header_error);
  tcase_add_test(tc, test_ipv4_wrong_version_is_dropped_as_header_error);
  tcase_add_test(tc, test_ipv4_header_length_below_five_words_is_dropped_as_header_error);
  tcase_add_test(tc, test_ipv4_total_length_beyond_the_frame_is_dropped_as_header_error);
  tcase_add_test(tc, test_ipv4_fragments_are_dropped_and_counted);
  tcase_add_test(tc, test_ipv4_datagram_for_another_address_is_dropped);
  tcase_add_test(tc, test_ipv4_broadcast_datagrams_are_accepted);
  tcase_add_test(tc, test_ipv4_ethernet_padding_is_not_data);
  tcase_add_test(tc, test_ipv4_options_are_skipped);
  tcase_add_test(tc, test_ipv4_unknown_protocol_draws_protocol_unreachable);
  tcase_add_test(tc, test_ipv4_unknown_protocol_to_broadcast_is_dropped_silently);
  tcase_add_test(tc, test_ipv4_output_header_has_our_defaults);
  tcase_add_test(tc, test_ipv4_output_uses_the_socket_ttl_and_tos);
  tcase_add_test(tc, test_ipv4_datagram_larger_than_the_mtu_is_refused);
  tcase_add_test(tc, test_ipv4_frame_for_another_station_or_ethertype_is_dropped);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
