/* The routing table: longest-prefix match, gateways, loopback for local
 * destinations, and what the socket layer sees without a route. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#define GW mn_ip4(192, 0, 2, 254)
static const uint8_t gw_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};

static struct mn_route_result lookup_ok(struct tn *t, uint32_t dst)
{
  struct mn_route_result r;
  ck_assert_int_eq(mn_route_lookup(t->st, dst, NULL, &r), 0);
  return r;
}

START_TEST(test_route_connected_subnet_is_reached_directly)
{
  struct tn t;
  tn_setup(&t, false);
  struct mn_route_result r = lookup_ok(&t, mn_ip4(192, 0, 2, 77));
  ck_assert_int_eq(r.ifindex, 1);
  ck_assert_uint_eq(r.next_hop, mn_ip4(192, 0, 2, 77));
  ck_assert_uint_eq(r.src, TN_ADDR);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_default_gateway_is_the_next_hop_for_other_networks)
{
  struct tn t;
  tn_setup(&t, false);
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, GW), 0);
  struct mn_route_result r = lookup_ok(&t, mn_ip4(8, 8, 8, 8));
  ck_assert_int_eq(r.ifindex, 1);
  ck_assert_uint_eq(r.next_hop, GW);
  ck_assert_uint_eq(r.src, TN_ADDR);
  /* The connected subnet is more specific than the default. */
  ck_assert_uint_eq(lookup_ok(&t, TN_PEER).next_hop, TN_PEER);

  /* On the wire: the gateway's MAC is resolved, and the datagram goes
   * to it still addressed to the far host. */
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, mn_ip4(8, 8, 8, 8), 53, "q", 1), 1);
  struct mn_arp_pkt a;
  mn_pbuf_free(tn_expect_arp(&t, &a));
  ck_assert_uint_eq(a.op, MN_ARP_REQUEST);
  ck_assert_uint_eq(a.tpa, GW);
  tn_inject_arp(&t, MN_ARP_REPLY, gw_mac, GW, tn_mac, TN_ADDR);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_mem_eq(t.eth.dst, gw_mac, 6);
  ck_assert_uint_eq(ip.dst, mn_ip4(8, 8, 8, 8));
  ck_assert_uint_eq(ip.src, TN_ADDR);
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_more_specific_static_route_wins)
{
  struct tn t;
  tn_setup(&t, false);
  /* Added most specific first, so the match cannot depend on order. */
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(10, 1, 2, 0), 24, mn_ip4(192, 0, 2, 252)), 0);
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(10, 1, 0, 0), 16, mn_ip4(192, 0, 2, 253)), 0);
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, GW), 0);
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(10, 1, 2, 3)).next_hop, mn_ip4(192, 0, 2, 252));
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(10, 1, 3, 3)).next_hop, mn_ip4(192, 0, 2, 253));
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(10, 2, 0, 1)).next_hop, GW);
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(192, 0, 2, 9)).next_hop, mn_ip4(192, 0, 2, 9));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_static_route_inside_the_connected_subnet_overrides_it)
{
  struct tn t;
  tn_setup(&t, false);
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(192, 0, 2, 128), 25, TN_PEER), 0);
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(192, 0, 2, 200)).next_hop, TN_PEER);
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(192, 0, 2, 100)).next_hop, mn_ip4(192, 0, 2, 100));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_network_is_masked_and_an_identical_route_is_replaced)
{
  struct tn t;
  tn_setup(&t, false);
  int before = t.st->routes.n;
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(10, 1, 9, 9), 16, mn_ip4(192, 0, 2, 253)), 0);
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(10, 1, 0, 0), 16, mn_ip4(192, 0, 2, 252)), 0);
  ck_assert_int_eq(t.st->routes.n, before + 1);
  ck_assert_uint_eq(lookup_ok(&t, mn_ip4(10, 1, 200, 1)).next_hop, mn_ip4(192, 0, 2, 252));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_no_match_makes_send_and_connect_fail_with_enetunreach)
{
  struct tn t;
  tn_setup(&t, true);
  struct mn_route_result r;
  ck_assert_int_eq(mn_route_lookup(t.st, mn_ip4(8, 8, 8, 8), NULL, &r), -ENETUNREACH);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, mn_ip4(8, 8, 8, 8), 53, "q", 1), -ENETUNREACH);
  mynet_sock *c;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &c), 0);
  struct sockaddr_in to = tn_sin(mn_ip4(8, 8, 8, 8), 53);
  ck_assert_int_eq(mynet_connect(c, (struct sockaddr *)&to, sizeof(to)), -ENETUNREACH);
  ck_assert_int_eq(tn_send(c, 0, 0, "q", 1), -EDESTADDRREQ);
  tn_expect_silence(&t);
  mynet_close(s);
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_gateway_not_on_a_connected_subnet_is_rejected)
{
  struct tn t;
  tn_setup(&t, false);
  int before = t.st->routes.n;
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, mn_ip4(10, 0, 0, 1)), -ENETUNREACH);
  /* RFC 1122 3.3.1.1: reachable through another gateway is not enough. */
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(10, 0, 0, 0), 8, GW), 0);
  ck_assert_int_eq(mn_route_add(t.st, mn_ip4(20, 0, 0, 0), 8, mn_ip4(10, 0, 0, 1)), -ENETUNREACH);
  ck_assert_int_eq(t.st->routes.n, before + 1);
  struct mn_route_result r;
  ck_assert_int_eq(mn_route_lookup(t.st, mn_ip4(20, 1, 1, 1), NULL, &r), -ENETUNREACH);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_each_connected_subnet_uses_its_own_interface_and_source)
{
  struct tn t;
  tn_setup(&t, false);
  static const uint8_t mac2[6] = {0x02, 0, 0, 0, 1, 2};
  struct mn_device *dev2 = tn_device_new();
  ck_assert_int_eq(tn_attach(&t, dev2, NULL, mac2, mn_ip4(198, 51, 100, 2), 24), 2);
  mn_pbuf_free(tn_device_pop_tx(dev2)); /* its announcement */
  struct mn_route_result r = lookup_ok(&t, mn_ip4(198, 51, 100, 9));
  ck_assert_int_eq(r.ifindex, 2);
  ck_assert_uint_eq(r.src, mn_ip4(198, 51, 100, 2));
  r = lookup_ok(&t, mn_ip4(192, 0, 2, 9));
  ck_assert_int_eq(r.ifindex, 1);
  ck_assert_uint_eq(r.src, TN_ADDR);
  /* A gateway is accepted on either subnet and keeps its interface. */
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, mn_ip4(198, 51, 100, 1)), 0);
  r = lookup_ok(&t, mn_ip4(8, 8, 8, 8));
  ck_assert_int_eq(r.ifindex, 2);
  ck_assert_uint_eq(r.next_hop, mn_ip4(198, 51, 100, 1));
  ck_assert_uint_eq(r.src, mn_ip4(198, 51, 100, 2));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_local_address_and_127_8_route_to_loopback)
{
  struct tn t;
  tn_setup(&t, false);
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, GW), 0); /* must not capture them */
  uint32_t locals[] = {mn_ip4(127, 0, 0, 1), mn_ip4(127, 1, 2, 3), TN_ADDR};
  for (size_t i = 0; i < MN_ARRAY_LEN(locals); i++) {
    struct mn_route_result r = lookup_ok(&t, locals[i]);
    ck_assert_int_eq(r.ifindex, 0);
    ck_assert_uint_eq(r.next_hop, locals[i]);
    ck_assert_uint_eq(r.src, locals[i]);
  }
  tn_teardown(&t);
}
END_TEST

/* Send "hi" from a fresh socket to dst:5000 and check it arrives at a
 * wildcard-bound socket only after a poll, from src, and never on the
 * wire. */
static void check_local_delivery(uint32_t dst)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *rx = tn_udp_bound(&t, 0, 5000);
  mynet_sock *tx = tn_udp_bound(&t, 0, 4000);
  ck_assert_int_eq(tn_send(tx, dst, 5000, "hi", 2), 2);
  char buf[8];
  ck_assert_int_eq(tn_recv(rx, buf, sizeof(buf), NULL), -EAGAIN);
  tn_poll(&t);
  struct sockaddr_in from;
  ck_assert_int_eq(tn_recv(rx, buf, sizeof(buf), &from), 2);
  ck_assert_mem_eq(buf, "hi", 2);
  ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), dst);
  ck_assert_uint_eq(ntohs(from.sin_port), 4000);
  /* And the answer finds its way back. */
  ck_assert_int_eq(tn_send(rx, dst, 4000, "ok", 2), 2);
  tn_poll(&t);
  ck_assert_int_eq(tn_recv(tx, buf, sizeof(buf), &from), 2);
  ck_assert_mem_eq(buf, "ok", 2);
  ck_assert_uint_eq(ntohs(from.sin_port), 5000);
  tn_expect_silence(&t);
  ck_assert_int_eq(mynet_stack_counter(t.st, "arp.out_requests"), 1); /* the announcement */
  mynet_close(rx);
  mynet_close(tx);
  tn_teardown(&t);
}

START_TEST(test_route_udp_to_127_0_0_1_is_delivered_inside_the_stack_after_a_poll)
{
  check_local_delivery(mn_ip4(127, 0, 0, 1));
}
END_TEST

START_TEST(test_route_udp_to_any_127_8_address_is_delivered_inside_the_stack)
{
  check_local_delivery(mn_ip4(127, 9, 8, 7));
}
END_TEST

START_TEST(test_route_udp_to_our_own_address_is_delivered_inside_the_stack_after_a_poll)
{
  check_local_delivery(TN_ADDR);
}
END_TEST

START_TEST(test_route_limited_broadcast_needs_a_route_and_directed_broadcast_needs_permission)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  /* As on Linux: 255.255.255.255 is routed like any address, so without
   * a default route it is unreachable, SO_BROADCAST or not. */
  ck_assert_int_eq(tn_send(s, 0xffffffffu, 67, "b", 1), -ENETUNREACH);
  /* The subnet's directed broadcast has a route; it needs SO_BROADCAST
   * (EACCES without) and no ARP. */
  ck_assert_int_eq(tn_send(s, mn_ip4(192, 0, 2, 255), 67, "b", 1), -EACCES);
  int on = 1;
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)), 0);
  ck_assert_int_eq(tn_send(s, 0xffffffffu, 67, "b", 1), -ENETUNREACH);
  ck_assert_int_eq(tn_send(s, mn_ip4(192, 0, 2, 255), 67, "b", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_mem_eq(t.eth.dst, mn_eth_broadcast, 6);
  ck_assert_uint_eq(ip.src, TN_ADDR);
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_limited_broadcast_never_goes_to_the_gateway)
{
  struct tn t;
  tn_setup(&t, true);
  /* A default route through the (resolved) peer must not turn the
   * limited broadcast into a unicast frame to the gateway (RFC 919 7,
   * RFC 1122 3.3.6): it stays on the link. */
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, TN_PEER), 0);
  struct mn_route_result r = lookup_ok(&t, 0xffffffffu);
  ck_assert_int_eq(r.ifindex, 1);
  ck_assert_uint_eq(r.next_hop, 0xffffffffu);
  ck_assert_uint_eq(r.src, TN_ADDR);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  int on = 1;
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)), 0);
  ck_assert_int_eq(tn_send(s, 0xffffffffu, 67, "b", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_mem_eq(t.eth.dst, mn_eth_broadcast, 6);
  ck_assert_uint_eq(ip.dst, 0xffffffffu);
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_route_socket_bound_to_loopback_cannot_send_off_host)
{
  struct tn t;
  tn_setup(&t, true);
  /* 127/8 must never appear on a wire (RFC 1122 3.2.1.3); the kernel
   * refuses the route with EINVAL. */
  mynet_sock *s = tn_udp_bound(&t, mn_ip4(127, 0, 0, 1), 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "x", 1), -EINVAL);
  struct sockaddr_in peer = tn_sin(TN_PEER, 9);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&peer, sizeof(peer)), -EINVAL);
  tn_expect_silence(&t);
  /* To ourselves it is fine. */
  mynet_sock *rx = tn_udp_bound(&t, 0, 6000);
  ck_assert_int_eq(tn_send(s, TN_ADDR, 6000, "y", 1), 1);
  tn_poll(&t);
  char buf[2];
  struct sockaddr_in from;
  ck_assert_int_eq(tn_recv(rx, buf, sizeof(buf), &from), 1);
  ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), mn_ip4(127, 0, 0, 1));
  tn_expect_silence(&t);
  mynet_close(s);
  mynet_close(rx);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("route");
  TCase *tc = tcase_create("route");
  tcase_add_test(tc, test_route_connected_subnet_is_reached_directly);
  tcase_add_test(tc, test_route_default_gateway_is_the_next_hop_for_other_networks);
  tcase_add_test(tc, test_route_more_specific_static_route_wins);
  tcase_add_test(tc, test_route_static_route_inside_the_connected_subnet_overrides_it);
  tcase_add_test(tc, test_route_network_is_masked_and_an_identical_route_is_replaced);
  tcase_add_test(tc, test_route_no_match_makes_send_and_connect_fail_with_enetunreach);
  tcase_add_test(tc, test_route_gateway_not_on_a_connected_subnet_is_rejected);
  tcase_add_test(tc, test_route_each_connected_subnet_uses_its_own_interface_and_source);
  tcase_add_test(tc, test_route_local_address_and_127_8_route_to_loopback);
  tcase_add_test(tc, test_route_udp_to_127_0_0_1_is_delivered_inside_the_stack_after_a_poll);
  tcase_add_test(tc, test_route_udp_to_any_127_8_address_is_delivered_inside_the_stack);
  tcase_add_test(tc, test_route_udp_to_our_own_address_is_delivered_inside_the_stack_after_a_poll);
  tcase_add_test(
      tc, test_route_limited_broadcast_needs_a_route_and_directed_broadcast_needs_permission);
  tcase_add_test(tc, test_route_limited_broadcast_never_goes_to_the_gateway);
  tcase_add_test(tc, test_route_socket_bound_to_loopback_cannot_send_off_host);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
