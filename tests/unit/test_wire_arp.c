/* ARP for IPv4 over Ethernet (RFC 826). */
#include "wire/arp.h"
#include "wire_golden.h"

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x2a};

static const uint8_t *arp_body(void)
{
  return golden_arp_request + ETH_LEN;
}

START_TEST(test_arp_parses_golden_request)
{
  struct mn_arp_pkt a;
  /* The body the Ethernet layer hands over still carries the padding. */
  ck_assert_int_eq(mn_arp_parse(arp_body(), sizeof(golden_arp_request) - ETH_LEN, &a), MN_PARSE_OK);
  ck_assert_uint_eq(a.op, MN_ARP_REQUEST);
  ck_assert_mem_eq(a.sha, mac_a, 6);
  ck_assert_uint_eq(a.spa, GOLDEN_IP_A);
  ck_assert_mem_eq(a.tha, "\0\0\0\0\0\0", 6);
  ck_assert_uint_eq(a.tpa, GOLDEN_IP_B);
}
END_TEST

START_TEST(test_arp_emit_reproduces_golden_request)
{
  struct mn_arp_pkt a = {.op = MN_ARP_REQUEST, .spa = GOLDEN_IP_A, .tpa = GOLDEN_IP_B};
  uint8_t out[MN_ARP_LEN];
  memcpy(a.sha, mac_a, 6);
  mn_arp_emit(&a, out);
  ck_assert_mem_eq(out, arp_body(), MN_ARP_LEN);
}
END_TEST

START_TEST(test_arp_reply_survives_emit_then_parse)
{
  struct mn_arp_pkt a = {.op = MN_ARP_REPLY, .spa = GOLDEN_IP_B, .tpa = GOLDEN_IP_A}, b;
  uint8_t out[MN_ARP_LEN];
  memcpy(a.sha, mac_b, 6);
  memcpy(a.tha, mac_a, 6);
  mn_arp_emit(&a, out);
  ck_assert_int_eq(mn_arp_parse(out, sizeof(out), &b), MN_PARSE_OK);
  ck_assert_uint_eq(b.op, MN_ARP_REPLY);
  ck_assert_mem_eq(b.sha, mac_b, 6);
  ck_assert_mem_eq(b.tha, mac_a, 6);
  ck_assert_uint_eq(b.spa, GOLDEN_IP_B);
  ck_assert_uint_eq(b.tpa, GOLDEN_IP_A);
}
END_TEST

START_TEST(test_arp_rejects_every_truncation)
{
  struct mn_arp_pkt a;
  for (size_t n = 0; n < MN_ARP_LEN; n++) {
    uint8_t *b = dup_exact(arp_body(), n);
    ck_assert_msg(mn_arp_parse(b, n, &a) == MN_PARSE_TRUNCATED, "len %zu", n);
    free(b);
  }
}
END_TEST

START_TEST(test_arp_rejects_other_hardware_and_protocol_types)
{
  struct mn_arp_pkt a;
  /* offset, value: htype 6 (IEEE 802), ptype 0x08dd and 0x86.., hlen 8,
   * plen 16, htype 0x0106 */
  static const struct {
    size_t off;
    uint8_t v;
  } bad[] = {{1, 6}, {2, 0x86}, {3, 0xdd}, {4, 8}, {5, 16}, {0, 1}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t b[MN_ARP_LEN];
    memcpy(b, arp_body(), sizeof(b));
    b[bad[i].off] = bad[i].v;
    ck_assert_msg(mn_arp_parse(b, sizeof(b), &a) == MN_PARSE_BAD_VERSION, "case %zu", i);
  }
}
END_TEST

START_TEST(test_arp_rejects_rarp_opcodes_as_unsupported)
{
  struct mn_arp_pkt a;
  uint8_t b[MN_ARP_LEN];
  memcpy(b, arp_body(), sizeof(b));
  for (unsigned op = 0; op < 10; op++) {
    if (op == MN_ARP_REQUEST || op == MN_ARP_REPLY)
      continue;
    b[7] = (uint8_t)op;
    ck_assert_int_eq(mn_arp_parse(b, sizeof(b), &a), MN_PARSE_UNSUPPORTED);
  }
}
END_TEST

static Suite *arp_suite(void)
{
  Suite *s = suite_create("wire_arp");
  TCase *tc = tcase_create("arp");
  tcase_add_test(tc, test_arp_parses_golden_request);
  tcase_add_test(tc, test_arp_emit_reproduces_golden_request);
  tcase_add_test(tc, test_arp_reply_survives_emit_then_parse);
  tcase_add_test(tc, test_arp_rejects_every_truncation);
  tcase_add_test(tc, test_arp_rejects_other_hardware_and_protocol_types);
  tcase_add_test(tc, test_arp_rejects_rarp_opcodes_as_unsupported);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(arp_suite());
}
