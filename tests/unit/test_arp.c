/* ARP and the neighbour cache on the test device: replies, resolution with
 * a pending queue, retries and failure, ageing, announcements, bad
 * packets. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

static const uint8_t zero_mac[6];
static const uint8_t other_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
#define OTHER mn_ip4(192, 0, 2, 77)

static int64_t ctr(struct tn *t, const char *name)
{
  return mynet_stack_counter(t->st, name);
}

static enum mn_arp_state arp_state(struct tn *t, uint32_t ip)
{
  const struct mn_arp_entry *e = mn_arp_lookup(t->st, ip);
  return e ? e->state : MN_ARP_FREE;
}

/* The next frame must be an ARP request for tpa; returns whether it was
 * sent to the broadcast address. */
static bool expect_request(struct tn *t, uint32_t tpa)
{
  struct mn_arp_pkt a;
  mn_pbuf_free(tn_expect_arp(t, &a));
  ck_assert_uint_eq(a.op, MN_ARP_REQUEST);
  ck_assert_mem_eq(a.sha, tn_mac, 6);
  ck_assert_uint_eq(a.spa, TN_ADDR);
  ck_assert_mem_eq(a.tha, zero_mac, 6);
  ck_assert_uint_eq(a.tpa, tpa);
  ck_assert_mem_eq(t->eth.src, tn_mac, 6);
  return memcmp(t->eth.dst, mn_eth_broadcast, 6) == 0;
}

/* The next frame must be a UDP datagram to `to` carrying one byte. */
static uint8_t expect_datagram_byte(struct tn *t, const uint8_t to_mac[6])
{
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  struct mn_pbuf *p = tn_expect_udp(t, &ip, &u);
  ck_assert_uint_eq(p->len, 1);
  ck_assert_mem_eq(t->eth.dst, to_mac, 6);
  uint8_t b = p->data[0];
  mn_pbuf_free(p);
  return b;
}

static void reply_from(struct tn *t, const uint8_t mac[6], uint32_t ip)
{
  tn_inject_arp(t, MN_ARP_REPLY, mac, ip, tn_mac, TN_ADDR);
}

START_TEST(test_arp_request_for_our_address_is_answered_with_a_reply)
{
  struct tn t;
  tn_setup(&t, false);
  tn_inject_arp(&t, MN_ARP_REQUEST, tn_peer_mac, TN_PEER, zero_mac, TN_ADDR);
  struct mn_arp_pkt a;
  mn_pbuf_free(tn_expect_arp(&t, &a));
  ck_assert_uint_eq(a.op, MN_ARP_REPLY);
  ck_assert_mem_eq(a.sha, tn_mac, 6);
  ck_assert_uint_eq(a.spa, TN_ADDR);
  ck_assert_mem_eq(a.tha, tn_peer_mac, 6);
  ck_assert_uint_eq(a.tpa, TN_PEER);
  /* Unicast back to the asker, from our MAC. */
  ck_assert_mem_eq(t.eth.dst, tn_peer_mac, 6);
  ck_assert_mem_eq(t.eth.src, tn_mac, 6);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.out_replies"), 1);
  /* The asker is now a neighbour we know. */
  const struct mn_arp_entry *e = mn_arp_lookup(t.st, TN_PEER);
  ck_assert_ptr_nonnull(e);
  ck_assert_int_eq(e->state, MN_ARP_REACHABLE);
  ck_assert_mem_eq(e->mac, tn_peer_mac, 6);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_request_for_another_address_is_ignored_and_not_cached)
{
  struct tn t;
  tn_setup(&t, false);
  tn_inject_arp(&t, MN_ARP_REQUEST, other_mac, OTHER, zero_mac, mn_ip4(192, 0, 2, 50));
  tn_expect_silence(&t);
  ck_assert_ptr_null(mn_arp_lookup(t.st, OTHER));
  ck_assert_int_eq(ctr(&t, "arp.in_packets"), 1);
  ck_assert_int_eq(ctr(&t, "arp.out_replies"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_reply_not_for_us_does_not_create_an_entry)
{
  struct tn t;
  tn_setup(&t, false);
  tn_inject_arp(&t, MN_ARP_REPLY, other_mac, OTHER, tn_peer_mac, TN_PEER);
  tn_expect_silence(&t);
  ck_assert_ptr_null(mn_arp_lookup(t.st, OTHER));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_packet_from_a_known_neighbour_updates_its_mac)
{
  struct tn t;
  tn_setup(&t, true);
  /* RFC 826 merge: even a request for someone else refreshes the sender's
   * entry if we already have one. */
  tn_inject_arp(&t, MN_ARP_REQUEST, other_mac, TN_PEER, zero_mac, mn_ip4(192, 0, 2, 50));
  tn_expect_silence(&t);
  const struct mn_arp_entry *e = mn_arp_lookup(t.st, TN_PEER);
  ck_assert_ptr_nonnull(e);
  ck_assert_mem_eq(e->mac, other_mac, 6);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "x", 1), 1);
  ck_assert_uint_eq(expect_datagram_byte(&t, other_mac), 'x');
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_first_packet_to_unknown_neighbour_waits_for_the_reply)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "a", 1), 1);
  ck_assert(expect_request(&t, TN_PEER)); /* broadcast */
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_INCOMPLETE);
  /* More packets wait with the first; no second request goes out. */
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "b", 1), 1);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "c", 1), 1);
  tn_expect_silence(&t);
  reply_from(&t, tn_peer_mac, TN_PEER);
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'a');
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'b');
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'c');
  tn_expect_silence(&t);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_REACHABLE);
  ck_assert_int_eq(ctr(&t, "arp.queue_drops"), 0);
  ck_assert_int_eq(ctr(&t, "arp.out_requests"), 2); /* the announcement and this one */
  /* Resolved: the next packet leaves at once. */
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "d", 1), 1);
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'd');
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_pending_queue_bound_keeps_the_first_packet)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  const int sent = MN_ARP_PENDING_MAX + 2;
  for (int i = 0; i < sent; i++) {
    uint8_t b = (uint8_t)i;
    ck_assert_int_eq(tn_send(s, TN_PEER, 9, &b, 1), 1);
  }
  ck_assert(expect_request(&t, TN_PEER));
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.queue_drops"), 2);
  reply_from(&t, tn_peer_mac, TN_PEER);
  /* The first survives; the oldest after it made room for the newest. */
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 0);
  for (int i = 3; i < sent; i++)
    ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), i);
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_request_is_retried_every_second_then_the_sender_gets_ehostunreach)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *c = tn_udp_connected(&t, OTHER, 9);
  mynet_sock *u = tn_udp_bound(&t, 0, 5000);
  int64_t live = ctr(&t, "pool.live");
  ck_assert_int_eq(tn_send(c, 0, 0, "a", 1), 1);
  ck_assert(expect_request(&t, OTHER));
  ck_assert_int_eq(tn_send(c, 0, 0, "b", 1), 1);
  ck_assert_int_eq(tn_send(u, OTHER, 9, "c", 1), 1);
  ck_assert_int_eq(ctr(&t, "pool.live"), live + 3); /* all three wait */
  for (int i = 0; i < MN_ARP_RETRIES - 1; i++) {
    tn_advance(&t, MN_ARP_RETRY_INTERVAL - 1);
    tn_expect_silence(&t);
    tn_advance(&t, 1);
    ck_assert(expect_request(&t, OTHER));
  }
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0);
  /* No fourth request: a second after the third, resolution fails. */
  tn_advance(&t, MN_ARP_RETRY_INTERVAL);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.out_requests"), 1 + MN_ARP_RETRIES);
  ck_assert_int_eq(ctr(&t, "arp.resolve_failed"), 1);
  ck_assert_ptr_null(mn_arp_lookup(t.st, OTHER));
  /* The waiting packets are freed... */
  ck_assert_int_eq(ctr(&t, "pool.live"), live);
  /* ...and the connected sender hears about it once, as on the kernel. */
  ck_assert_uint_ne(mynet_sock_events(c) & POLLERR, 0);
  char buf[4];
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -EHOSTUNREACH);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0);
  ck_assert_int_eq(tn_recv(c, buf, sizeof(buf), NULL), -EAGAIN);
  /* An unconnected socket cannot be told which peer failed. */
  ck_assert_uint_eq(mynet_sock_events(u) & POLLERR, 0);
  /* The next packet starts a fresh resolution. */
  ck_assert_int_eq(tn_send(c, 0, 0, "d", 1), 1);
  ck_assert(expect_request(&t, OTHER));
  mynet_close(c);
  mynet_close(u);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_failure_is_reported_by_the_next_send_too)
{
  struct tn t;
  tn_setup(&t, false);
  mynet_sock *c = tn_udp_connected(&t, OTHER, 9);
  ck_assert_int_eq(tn_send(c, 0, 0, "a", 1), 1);
  tn_advance(&t, MN_ARP_RETRIES * MN_ARP_RETRY_INTERVAL);
  ck_assert_int_eq(tn_send(c, 0, 0, "b", 1), -EHOSTUNREACH);
  ck_assert_uint_eq(mynet_sock_events(c) & POLLERR, 0);
  mynet_close(c);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_entry_goes_stale_after_30s_and_its_use_sends_a_unicast_refresh)
{
  struct tn t;
  tn_setup(&t, true);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_REACHABLE);
  tn_advance(&t, MN_ARP_REACHABLE_TIME - 1);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_REACHABLE);
  tn_advance(&t, 1);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_STALE);
  tn_expect_silence(&t); /* ageing alone sends nothing */

  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "x", 1), 1);
  /* The packet does not wait for the refresh. */
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'x');
  tn_poll(&t);
  ck_assert(!expect_request(&t, TN_PEER)); /* unicast to the known MAC */
  ck_assert_mem_eq(t.eth.dst, tn_peer_mac, 6);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_PROBE);
  /* Traffic keeps flowing while the refresh is outstanding. */
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "y", 1), 1);
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'y');
  tn_expect_silence(&t);

  reply_from(&t, tn_peer_mac, TN_PEER);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_REACHABLE);
  tn_advance(&t, MN_ARP_REACHABLE_TIME - 1);
  tn_expect_silence(&t); /* no more requests once confirmed */
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_unanswered_refresh_falls_back_to_broadcast_then_forgets_the_entry)
{
  struct tn t;
  tn_setup(&t, true);
  tn_advance(&t, MN_ARP_REACHABLE_TIME);
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "x", 1), 1);
  ck_assert_uint_eq(expect_datagram_byte(&t, tn_peer_mac), 'x');
  tn_poll(&t);
  ck_assert(!expect_request(&t, TN_PEER));
  /* RFC 1122 2.3.2.1: then ask everyone, in case the MAC changed. */
  for (int i = 1; i < MN_ARP_RETRIES; i++) {
    tn_advance(&t, MN_ARP_RETRY_INTERVAL);
    ck_assert(expect_request(&t, TN_PEER));
  }
  tn_advance(&t, MN_ARP_RETRY_INTERVAL);
  tn_expect_silence(&t);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_PEER));
  /* Forgotten: the next packet waits for a fresh resolution. */
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "y", 1), 1);
  ck_assert(expect_request(&t, TN_PEER));
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_unused_stale_entry_is_forgotten)
{
  struct tn t;
  tn_setup(&t, true);
  tn_advance(&t, MN_ARP_REACHABLE_TIME);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_STALE);
  tn_advance(&t, MN_ARP_STALE_TIME - 1);
  ck_assert_int_eq(arp_state(&t, TN_PEER), MN_ARP_STALE);
  tn_advance(&t, 1);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_PEER));
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "timers.armed"), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_full_cache_evicts_the_least_recently_used_entry)
{
  struct tn t;
  tn_setup(&t, false);
  uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++) {
    mac[5] = (uint8_t)i;
    tn_inject_arp(&t, MN_ARP_REQUEST, mac, mn_ip4(192, 0, 2, (uint8_t)(10 + i)), zero_mac, TN_ADDR);
    mn_pbuf_free(tn_pop(&t)); /* our reply */
    tn_advance(&t, MYNET_MS(1));
  }
  /* Using the oldest makes the second oldest the least recently used. */
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, mn_ip4(192, 0, 2, 10), 9, "x", 1), 1);
  mn_pbuf_free(tn_pop(&t));
  mac[5] = 0xee;
  tn_inject_arp(&t, MN_ARP_REQUEST, mac, mn_ip4(192, 0, 2, 200), zero_mac, TN_ADDR);
  mn_pbuf_free(tn_pop(&t));
  ck_assert_ptr_nonnull(mn_arp_lookup(t.st, mn_ip4(192, 0, 2, 200)));
  ck_assert_ptr_nonnull(mn_arp_lookup(t.st, mn_ip4(192, 0, 2, 10)));
  ck_assert_ptr_null(mn_arp_lookup(t.st, mn_ip4(192, 0, 2, 11)));
  ck_assert_ptr_nonnull(mn_arp_lookup(t.st, mn_ip4(192, 0, 2, 12)));
  tn_expect_silence(&t);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_gratuitous_request_announces_our_address_at_interface_up)
{
  struct tn t;
  tn_setup_stack(&t, 0);
  t.dev = tn_device_new();
  ck_assert_int_eq(tn_attach(&t, t.dev, NULL, tn_mac, TN_ADDR, 24), 1);
  struct mn_arp_pkt a;
  mn_pbuf_free(tn_expect_arp(&t, &a));
  ck_assert_uint_eq(a.op, MN_ARP_REQUEST);
  ck_assert_uint_eq(a.spa, TN_ADDR);
  ck_assert_uint_eq(a.tpa, TN_ADDR);
  ck_assert_mem_eq(a.sha, tn_mac, 6);
  ck_assert_mem_eq(t.eth.dst, mn_eth_broadcast, 6);
  ck_assert_mem_eq(t.eth.src, tn_mac, 6);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.out_requests"), 1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_truncated_packet_is_counted_as_an_error)
{
  struct tn t;
  tn_setup(&t, false);
  uint8_t frame[MN_ETH_HDR_LEN + MN_ARP_LEN];
  struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_ARP};
  memcpy(eth.dst, mn_eth_broadcast, 6);
  memcpy(eth.src, tn_peer_mac, 6);
  mn_eth_emit(&eth, frame);
  struct mn_arp_pkt a = {.op = MN_ARP_REQUEST, .spa = TN_PEER, .tpa = TN_ADDR};
  memcpy(a.sha, tn_peer_mac, 6);
  mn_arp_emit(&a, frame + MN_ETH_HDR_LEN);
  tn_inject_frame(&t, frame, sizeof(frame) - 1);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.in_errors"), 1);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_PEER));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_wrong_hardware_type_is_counted_as_an_error)
{
  struct tn t;
  tn_setup(&t, false);
  uint8_t frame[MN_ETH_HDR_LEN + MN_ARP_LEN];
  struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_ARP};
  memcpy(eth.dst, mn_eth_broadcast, 6);
  memcpy(eth.src, tn_peer_mac, 6);
  mn_eth_emit(&eth, frame);
  struct mn_arp_pkt a = {.op = MN_ARP_REQUEST, .spa = TN_PEER, .tpa = TN_ADDR};
  memcpy(a.sha, tn_peer_mac, 6);
  mn_arp_emit(&a, frame + MN_ETH_HDR_LEN);
  frame[MN_ETH_HDR_LEN + 1] = 6; /* htype 6: IEEE 802 networks */
  tn_inject_frame(&t, frame, sizeof(frame));
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.in_errors"), 1);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_PEER));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_arp_sender_claiming_our_address_is_not_cached)
{
  struct tn t;
  tn_setup(&t, false);
  tn_inject_arp(&t, MN_ARP_REQUEST, other_mac, TN_ADDR, zero_mac, TN_ADDR);
  tn_expect_silence(&t);
  ck_assert_int_eq(ctr(&t, "arp.in_errors"), 1);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_ADDR));
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("arp");
  TCase *tc = tcase_create("arp");
  tcase_add_test(tc, test_arp_request_for_our_address_is_answered_with_a_reply);
  tcase_add_test(tc, test_arp_request_for_another_address_is_ignored_and_not_cached);
  tcase_add_test(tc, test_arp_reply_not_for_us_does_not_create_an_entry);
  tcase_add_test(tc, test_arp_packet_from_a_known_neighbour_updates_its_mac);
  tcase_add_test(tc, test_arp_first_packet_to_unknown_neighbour_waits_for_the_reply);
  tcase_add_test(tc, test_arp_pending_queue_bound_keeps_the_first_packet);
  tcase_add_test(tc, test_arp_request_is_retried_every_second_then_the_sender_gets_ehostunreach);
  tcase_add_test(tc, test_arp_failure_is_reported_by_the_next_send_too);
  tcase_add_test(tc, test_arp_entry_goes_stale_after_30s_and_its_use_sends_a_unicast_refresh);
  tcase_add_test(tc, test_arp_unanswered_refresh_falls_back_to_broadcast_then_forgets_the_entry);
  tcase_add_test(tc, test_arp_unused_stale_entry_is_forgotten);
  tcase_add_test(tc, test_arp_full_cache_evicts_the_least_recently_used_entry);
  tcase_add_test(tc, test_arp_gratuitous_request_announces_our_address_at_interface_up);
  tcase_add_test(tc, test_arp_truncated_packet_is_counted_as_an_error);
  tcase_add_test(tc, test_arp_wrong_hardware_type_is_counted_as_an_error);
  tcase_add_test(tc, test_arp_sender_claiming_our_address_is_not_cached);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
