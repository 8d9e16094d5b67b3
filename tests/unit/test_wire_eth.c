/* Ethernet II framing. */
#include "wire/eth.h"
#include "wire_golden.h"

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x2a};

START_TEST(test_eth_parses_golden_broadcast_header)
{
  struct mn_eth_hdr h;
  ck_assert_int_eq(mn_eth_parse(golden_arp_request, sizeof(golden_arp_request), &h), MN_PARSE_OK);
  ck_assert_mem_eq(h.dst, mn_eth_broadcast, 6);
  ck_assert_mem_eq(h.src, mac_a, 6);
  ck_assert_uint_eq(h.type, MN_ETHERTYPE_ARP);

  ck_assert_int_eq(mn_eth_parse(golden_tcp_syn, sizeof(golden_tcp_syn), &h), MN_PARSE_OK);
  ck_assert_mem_eq(h.dst, mac_b, 6);
  ck_assert_uint_eq(h.type, MN_ETHERTYPE_IPV4);
}
END_TEST

START_TEST(test_eth_emit_reproduces_golden_header)
{
  struct mn_eth_hdr h = {.type = MN_ETHERTYPE_IPV4};
  uint8_t out[MN_ETH_HDR_LEN];
  memcpy(h.dst, mac_b, 6);
  memcpy(h.src, mac_a, 6);
  mn_eth_emit(&h, out);
  ck_assert_mem_eq(out, golden_tcp_syn, MN_ETH_HDR_LEN);
}
END_TEST

START_TEST(test_eth_accepts_a_bare_header)
{
  struct mn_eth_hdr h;
  uint8_t *b = dup_exact(golden_icmp_echo, MN_ETH_HDR_LEN);
  ck_assert_int_eq(mn_eth_parse(b, MN_ETH_HDR_LEN, &h), MN_PARSE_OK);
  free(b);
}
END_TEST

START_TEST(test_eth_rejects_every_truncation)
{
  struct mn_eth_hdr h;
  for (size_t n = 0; n < MN_ETH_HDR_LEN; n++) {
    uint8_t *b = dup_exact(golden_arp_request, n);
    ck_assert_msg(mn_eth_parse(b, n, &h) == MN_PARSE_TRUNCATED, "len %zu", n);
    free(b);
  }
}
END_TEST

START_TEST(test_eth_rejects_8023_length_as_unsupported)
{
  struct mn_eth_hdr h;
  uint8_t b[60];
  memcpy(b, golden_arp_request, sizeof(b));
  static const uint16_t lengths[] = {0x0000, 0x002e, 0x05dc, 0x05ff};
  for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
    b[12] = (uint8_t)(lengths[i] >> 8);
    b[13] = (uint8_t)lengths[i];
    ck_assert_int_eq(mn_eth_parse(b, sizeof(b), &h), MN_PARSE_UNSUPPORTED);
  }
  b[12] = 0x06;
  b[13] = 0x00;
  ck_assert_int_eq(mn_eth_parse(b, sizeof(b), &h), MN_PARSE_OK);
}
END_TEST

START_TEST(test_eth_multicast_bit_is_the_low_bit_of_the_first_byte)
{
  static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  ck_assert(mn_eth_is_multicast(mn_eth_broadcast));
  ck_assert(mn_eth_is_multicast(mcast));
  ck_assert(!mn_eth_is_multicast(mac_a));
}
END_TEST

static Suite *eth_suite(void)
{
  Suite *s = suite_create("wire_eth");
  TCase *tc = tcase_create("eth");
  tcase_add_test(tc, test_eth_parses_golden_broadcast_header);
  tcase_add_test(tc, test_eth_emit_reproduces_golden_header);
  tcase_add_test(tc, test_eth_accepts_a_bare_header);
  tcase_add_test(tc, test_eth_rejects_every_truncation);
  tcase_add_test(tc, test_eth_rejects_8023_length_as_unsupported);
  tcase_add_test(tc, test_eth_multicast_bit_is_the_low_bit_of_the_first_byte);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(eth_suite());
}
