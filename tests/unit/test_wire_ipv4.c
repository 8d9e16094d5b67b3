/* IPv4 header (RFC 791). */
#include "wire/ipv4.h"
#include "wire_golden.h"

/* The IPv4 part of a golden frame, Ethernet header stripped. */
#define IP_OF(f) ((f) + ETH_LEN)
#define IP_LEN_OF(f) (sizeof(f) - ETH_LEN)

/* Rewrites the header checksum after a test has edited the header. */
static void fix_csum(uint8_t *ip)
{
  size_t hl = (size_t)(ip[0] & 0x0f) * 4;
  ip[10] = ip[11] = 0;
  uint16_t c = ref_csum(0, ip, hl);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
}

START_TEST(test_ipv4_parses_golden_echo_request_header)
{
  struct mn_ipv4_hdr h;
  ck_assert_int_eq(mn_ipv4_parse(IP_OF(golden_icmp_echo), IP_LEN_OF(golden_icmp_echo), &h),
                   MN_PARSE_OK);
  ck_assert_uint_eq(h.hdr_len, 20);
  ck_assert_uint_eq(h.tos, 0);
  ck_assert_uint_eq(h.total_len, 84);
  ck_assert_uint_eq(h.id, 0x1c46);
  ck_assert(h.df);
  ck_assert(!h.mf);
  ck_assert_uint_eq(h.frag_off, 0);
  ck_assert_uint_eq(h.ttl, 64);
  ck_assert_uint_eq(h.proto, MN_IPPROTO_ICMP);
  ck_assert_uint_eq(h.src, GOLDEN_IP_A);
  ck_assert_uint_eq(h.dst, GOLDEN_IP_B);
}
END_TEST

START_TEST(test_ipv4_emit_reproduces_every_golden_header)
{
  const uint8_t *frames[] = {golden_icmp_echo, golden_udp_hello, golden_tcp_syn,
                             golden_tcp_ack_sack};
  const size_t lens[] = {sizeof(golden_icmp_echo), sizeof(golden_udp_hello), sizeof(golden_tcp_syn),
                         sizeof(golden_tcp_ack_sack)};
  for (size_t i = 0; i < 4; i++) {
    struct mn_ipv4_hdr h;
    uint8_t out[MN_IPV4_HDR_LEN];
    ck_assert_int_eq(mn_ipv4_parse(frames[i] + ETH_LEN, lens[i] - ETH_LEN, &h), MN_PARSE_OK);
    h.hdr_len = 99; /* documented as ignored */
    mn_ipv4_emit(&h, out);
    ck_assert_mem_eq(out, frames[i] + ETH_LEN, MN_IPV4_HDR_LEN);
  }
}
END_TEST

START_TEST(test_ipv4_accepts_ethernet_padding_after_total_length)
{
  struct mn_ipv4_hdr h;
  /* 46 bytes after the Ethernet header, of which the datagram is 33. */
  ck_assert_int_eq(mn_ipv4_parse(IP_OF(golden_udp_hello), IP_LEN_OF(golden_udp_hello), &h),
                   MN_PARSE_OK);
  ck_assert_uint_eq(h.total_len, 33);
  ck_assert_uint_eq(h.proto, MN_IPPROTO_UDP);
}
END_TEST

START_TEST(test_ipv4_rejects_every_truncation)
{
  struct mn_ipv4_hdr h;
  const uint8_t *ip = IP_OF(golden_icmp_echo);
  for (size_t n = 0; n < IP_LEN_OF(golden_icmp_echo); n++) {
    uint8_t *b = dup_exact(ip, n);
    ck_assert_msg(mn_ipv4_parse(b, n, &h) == MN_PARSE_TRUNCATED, "len %zu", n);
    free(b);
  }
}
END_TEST

START_TEST(test_ipv4_rejects_bad_checksum)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
  b[11] ^= 0x01;
  ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_BAD_CHECKSUM);
  /* A changed field under an unchanged checksum is caught too. */
  memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
  b[8] = 63;
  ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_BAD_CHECKSUM);
}
END_TEST

START_TEST(test_ipv4_ignores_payload_when_checking_header_checksum)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
  b[40] ^= 0xff;
  ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_OK);
}
END_TEST

START_TEST(test_ipv4_rejects_bad_version)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  static const uint8_t versions[] = {0, 1, 3, 5, 6, 15};
  for (size_t i = 0; i < sizeof(versions); i++) {
    memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
    b[0] = (uint8_t)(versions[i] << 4 | 5);
    fix_csum(b);
    ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_BAD_VERSION);
  }
}
END_TEST

START_TEST(test_ipv4_rejects_ihl_below_five)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
    b[0] = (uint8_t)(0x40 | ihl);
    ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_BAD_HDRLEN);
  }
}
END_TEST

START_TEST(test_ipv4_rejects_ihl_longer_than_buffer)
{
  struct mn_ipv4_hdr h;
  /* IHL 15 (60 bytes) in a 40-byte buffer: the header itself is cut. */
  uint8_t *b = dup_exact(IP_OF(golden_tcp_syn), 40);
  b[0] = 0x4f;
  ck_assert_int_eq(mn_ipv4_parse(b, 40, &h), MN_PARSE_BAD_HDRLEN);
  b[0] = 0x4a;
  ck_assert_int_eq(mn_ipv4_parse(b, 39, &h), MN_PARSE_BAD_HDRLEN);
  free(b);
}
END_TEST

START_TEST(test_ipv4_rejects_total_length_below_header_length)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  for (uint16_t total = 0; total < 20; total++) {
    memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
    b[2] = 0;
    b[3] = (uint8_t)total;
    fix_csum(b);
    ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_BAD_LENGTH);
  }
}
END_TEST

START_TEST(test_ipv4_rejects_total_length_beyond_buffer)
{
  struct mn_ipv4_hdr h;
  uint8_t b[84];
  memcpy(b, IP_OF(golden_icmp_echo), sizeof(b));
  b[2] = 0;
  b[3] = 85;
  fix_csum(b);
  ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_TRUNCATED);
  b[2] = 0xff;
  b[3] = 0xff;
  fix_csum(b);
  ck_assert_int_eq(mn_ipv4_parse(b, sizeof(b), &h), MN_PARSE_TRUNCATED);
}
END_TEST

START_TEST(test_ipv4_skips_options_for_every_ihl_from_6_to_15)
{
  for (uint8_t ihl = 6; ihl <= 15; ihl++) {
    size_t hl = ihl * 4u, total = hl + 8;
    uint8_t *b = malloc(total);
    struct mn_ipv4_hdr h;
    memcpy(b, IP_OF(golden_icmp_echo), MN_IPV4_HDR_LEN);
    b[0] = (uint8_t)(0x40 | ihl);
    b[2] = 0;
    b[3] = (uint8_t)total;
    /* Router Alert (RFC 2113), then NOPs, then EOL: options the parser must
     * step over without reading them. */
    memset(b + 20, 0x01, hl - 20);
    b[20] = 0x94;
    b[21] = 0x04;
    b[22] = 0x00;
    b[23] = 0x00;
    b[hl - 1] = 0x00;
    memcpy(b + hl, "PAYLOAD!", 8);
    fix_csum(b);
    ck_assert_int_eq(mn_ipv4_parse(b, total, &h), MN_PARSE_OK);
    ck_assert_uint_eq(h.hdr_len, hl);
    ck_assert_uint_eq(h.total_len, total);
    ck_assert_mem_eq(b + h.hdr_len, "PAYLOAD!", 8);
    /* An options byte is covered by the header checksum. */
    b[hl - 2] ^= 0x40;
    ck_assert_int_eq(mn_ipv4_parse(b, total, &h), MN_PARSE_BAD_CHECKSUM);
    free(b);
  }
}
END_TEST

START_TEST(test_ipv4_fragment_fields_survive_emit_then_parse)
{
  struct mn_ipv4_hdr a = {.tos = 0xb8,
                          .total_len = 1500,
                          .id = 0xbeef,
                          .mf = true,
                          .frag_off = 2960,
                          .ttl = 1,
                          .proto = MN_IPPROTO_UDP,
                          .src = mn_ip4(192, 168, 1, 1),
                          .dst = mn_ip4(224, 0, 0, 251)},
                     b;
  uint8_t out[1500] = {0};
  mn_ipv4_emit(&a, out);
  ck_assert_uint_eq(out[0], 0x45);
  ck_assert_uint_eq(out[6], 0x21); /* MF, offset 370 units = 0x172 */
  ck_assert_uint_eq(out[7], 0x72);
  ck_assert_int_eq(mn_ipv4_parse(out, sizeof(out), &b), MN_PARSE_OK);
  ck_assert(b.mf && !b.df);
  ck_assert_uint_eq(b.frag_off, 2960);
  ck_assert_uint_eq(b.tos, 0xb8);
  ck_assert_uint_eq(b.id, 0xbeef);
  ck_assert_uint_eq(b.src, a.src);
  ck_assert_uint_eq(b.dst, a.dst);
}
END_TEST

START_TEST(test_ipv4_formats_addresses_as_dotted_quads)
{
  char s[16];
  ck_assert_str_eq(mn_ip4_str(GOLDEN_IP_A, s), "10.0.0.1");
  ck_assert_str_eq(mn_ip4_str(0, s), "0.0.0.0");
  ck_assert_str_eq(mn_ip4_str(0xffffffffu, s), "255.255.255.255");
  ck_assert_str_eq(mn_ip4_str(mn_ip4(192, 168, 100, 254), s), "192.168.100.254");
  ck_assert_uint_eq(mn_prefix_mask(0), 0);
  ck_assert_uint_eq(mn_prefix_mask(24), 0xffffff00u);
  ck_assert_uint_eq(mn_prefix_mask(32), 0xffffffffu);
}
END_TEST

static Suite *ipv4_suite(void)
{
  Suite *s = suite_create("wire_ipv4");
  TCase *tc = tcase_create("ipv4");
  tcase_add_test(tc, test_ipv4_parses_golden_echo_request_header);
  tcase_add_test(tc, test_ipv4_emit_reproduces_every_golden_header);
  tcase_add_test(tc, test_ipv4_accepts_ethernet_padding_after_total_length);
  tcase_add_test(tc, test_ipv4_rejects_every_truncation);
  tcase_add_test(tc, test_ipv4_rejects_bad_checksum);
  tcase_add_test(tc, test_ipv4_ignores_payload_when_checking_header_checksum);
  tcase_add_test(tc, test_ipv4_rejects_bad_version);
  tcase_add_test(tc, test_ipv4_rejects_ihl_below_five);
  tcase_add_test(tc, test_ipv4_rejects_ihl_longer_than_buffer);
  tcase_add_test(tc, test_ipv4_rejects_total_length_below_header_length);
  tcase_add_test(tc, test_ipv4_rejects_total_length_beyond_buffer);
  tcase_add_test(tc, test_ipv4_skips_options_for_every_ihl_from_6_to_15);
  tcase_add_test(tc, test_ipv4_fragment_fields_survive_emit_then_parse);
  tcase_add_test(tc, test_ipv4_formats_addresses_as_dotted_quads);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(ipv4_suite());
}
