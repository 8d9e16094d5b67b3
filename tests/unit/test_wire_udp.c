/* UDP header (RFC 768). */
#include "wire/udp.h"
#include "wire_golden.h"

#define UDP_OFF (ETH_LEN + IP_LEN)
#define UDP_LEN 13 /* IP total length 33 minus the header; the rest is padding */

static const uint8_t *udp_dgram(void)
{
  return golden_udp_hello + UDP_OFF;
}

START_TEST(test_udp_parses_golden_datagram)
{
  struct mn_udp_hdr h;
  ck_assert_int_eq(mn_udp_parse(udp_dgram(), UDP_LEN, GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.sport, 54321);
  ck_assert_uint_eq(h.dport, 7777);
  ck_assert_uint_eq(h.len, 13);
  ck_assert_uint_eq(h.csum, 0xb56c);
  ck_assert_mem_eq(udp_dgram() + MN_UDP_HDR_LEN, "hello", h.len - MN_UDP_HDR_LEN);
}
END_TEST

START_TEST(test_udp_emit_reproduces_golden_datagram)
{
  struct mn_udp_hdr h = {.sport = 54321, .dport = 7777, .len = 1234, .csum = 0x5555};
  uint8_t out[UDP_LEN];
  memcpy(out + MN_UDP_HDR_LEN, "hello", 5);
  mn_udp_emit(&h, out, 5, GOLDEN_IP_A, GOLDEN_IP_B);
  ck_assert_mem_eq(out, udp_dgram(), UDP_LEN);
}
END_TEST

START_TEST(test_udp_rejects_every_truncation)
{
  struct mn_udp_hdr h;
  for (size_t n = 0; n < UDP_LEN; n++) {
    uint8_t *b = dup_exact(udp_dgram(), n);
    ck_assert_msg(mn_udp_parse(b, n, GOLDEN_IP_A, GOLDEN_IP_B, &h) == MN_PARSE_TRUNCATED, "len %zu",
                  n);
    free(b);
  }
}
END_TEST

START_TEST(test_udp_rejects_bad_checksum)
{
  struct mn_udp_hdr h;
  uint8_t b[UDP_LEN];
  memcpy(b, udp_dgram(), sizeof(b));
  b[12] ^= 0x20; /* "hellO" */
  ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_BAD_CHECKSUM);
  /* The pseudo-header is covered: the same bytes to another host fail. */
  ck_assert_int_eq(mn_udp_parse(udp_dgram(), UDP_LEN, GOLDEN_IP_A, 0x0a000003u, &h),
                   MN_PARSE_BAD_CHECKSUM);
}
END_TEST

START_TEST(test_udp_accepts_zero_checksum_as_none)
{
  struct mn_udp_hdr h;
  uint8_t b[UDP_LEN];
  memcpy(b, udp_dgram(), sizeof(b));
  b[6] = b[7] = 0;
  b[12] ^= 0x20; /* would fail a checksum, but none was sent (RFC 768) */
  ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.csum, 0);
}
END_TEST

START_TEST(test_udp_sends_computed_zero_checksum_as_all_ones)
{
  struct mn_udp_hdr h = {.sport = 1, .dport = 2}, g;
  uint8_t out[MN_UDP_HDR_LEN + 2] = {0};
  /* With a zero payload word the checksum is c; a payload word equal to c
   * adds ~sum to the sum, which makes the computed checksum zero. */
  mn_udp_emit(&h, out, 2, GOLDEN_IP_A, GOLDEN_IP_B);
  out[8] = out[6];
  out[9] = out[7];
  mn_udp_emit(&h, out, 2, GOLDEN_IP_A, GOLDEN_IP_B);
  ck_assert_uint_eq(out[6], 0xff);
  ck_assert_uint_eq(out[7], 0xff);
  ck_assert_int_eq(mn_udp_parse(out, sizeof(out), GOLDEN_IP_A, GOLDEN_IP_B, &g), MN_PARSE_OK);
  ck_assert_uint_eq(g.csum, 0xffff);
}
END_TEST

START_TEST(test_udp_rejects_length_field_below_header)
{
  struct mn_udp_hdr h;
  uint8_t b[UDP_LEN];
  for (uint8_t l = 0; l < MN_UDP_HDR_LEN; l++) {
    memcpy(b, udp_dgram(), sizeof(b));
    b[5] = l;
    ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_BAD_LENGTH);
  }
}
END_TEST

START_TEST(test_udp_rejects_length_field_beyond_ip_payload)
{
  struct mn_udp_hdr h;
  uint8_t b[UDP_LEN];
  memcpy(b, udp_dgram(), sizeof(b));
  /* Checked before the checksum, which could not cover missing bytes. */
  b[5] = UDP_LEN + 1;
  ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_TRUNCATED);
  b[4] = 0xff;
  b[5] = 0xff;
  ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_TRUNCATED);
}
END_TEST

START_TEST(test_udp_accepts_length_field_shorter_than_ip_payload)
{
  struct mn_udp_hdr h;
  /* The datagram ends where its length field says; trailing bytes in the
   * IP payload are not summed and not delivered. */
  uint8_t b[UDP_LEN + 3];
  memcpy(b, udp_dgram(), UDP_LEN);
  memcpy(b + UDP_LEN, "xyz", 3);
  ck_assert_int_eq(mn_udp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.len, UDP_LEN);
}
END_TEST

static Suite *udp_suite(void)
{
  Suite *s = suite_create("wire_udp");
  TCase *tc = tcase_create("udp");
  tcase_add_test(tc, test_udp_parses_golden_datagram);
  tcase_add_test(tc, test_udp_emit_reproduces_golden_datagram);
  tcase_add_test(tc, test_udp_rejects_every_truncation);
  tcase_add_test(tc, test_udp_rejects_bad_checksum);
  tcase_add_test(tc, test_udp_accepts_zero_checksum_as_none);
  tcase_add_test(tc, test_udp_sends_computed_zero_checksum_as_all_ones);
  tcase_add_test(tc, test_udp_rejects_length_field_below_header);
  tcase_add_test(tc, test_udp_rejects_length_field_beyond_ip_payload);
  tcase_add_test(tc, test_udp_accepts_length_field_shorter_than_ip_payload);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(udp_suite());
}
