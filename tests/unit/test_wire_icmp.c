/* ICMP messages (RFC 792). */
#include "wire/icmp.h"
#include "wire_golden.h"

#define ICMP_OFF (ETH_LEN + IP_LEN)
#define ICMP_LEN (sizeof(golden_icmp_echo) - ICMP_OFF)

static const uint8_t *icmp_msg(void)
{
  return golden_icmp_echo + ICMP_OFF;
}

START_TEST(test_icmp_parses_golden_echo_request)
{
  struct mn_icmp_hdr h;
  ck_assert_uint_eq(ICMP_LEN, 64);
  ck_assert_int_eq(mn_icmp_parse(icmp_msg(), ICMP_LEN, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.type, MN_ICMP_ECHO_REQUEST);
  ck_assert_uint_eq(h.code, 0);
  ck_assert_uint_eq(h.rest, 0x0d1f0001u); /* id 0x0d1f, seq 1 */
}
END_TEST

START_TEST(test_icmp_emit_reproduces_golden_echo_request)
{
  struct mn_icmp_hdr h = {.type = MN_ICMP_ECHO_REQUEST, .code = 0, .rest = 0x0d1f0001u};
  uint8_t out[64];
  memset(out, 0xaa, MN_ICMP_HDR_LEN); /* stale bytes, including the checksum */
  memcpy(out + MN_ICMP_HDR_LEN, icmp_msg() + MN_ICMP_HDR_LEN, ICMP_LEN - MN_ICMP_HDR_LEN);
  mn_icmp_emit(&h, out, sizeof(out));
  ck_assert_mem_eq(out, icmp_msg(), ICMP_LEN);
}
END_TEST

START_TEST(test_icmp_odd_length_message_survives_emit_then_parse)
{
  /* An echo reply quoting an odd-length payload: the checksum pads it. */
  struct mn_icmp_hdr h = {.type = MN_ICMP_ECHO_REPLY, .rest = 0x12340007u}, g;
  uint8_t out[8 + 7];
  memcpy(out + 8, "abcdefg", 7);
  mn_icmp_emit(&h, out, sizeof(out));
  uint8_t zeroed[sizeof(out)];
  memcpy(zeroed, out, sizeof(out));
  zeroed[2] = zeroed[3] = 0;
  ck_assert_uint_eq((uint16_t)(out[2] << 8 | out[3]), ref_csum(0, zeroed, sizeof(zeroed)));
  ck_assert_int_eq(mn_icmp_parse(out, sizeof(out), &g), MN_PARSE_OK);
  ck_assert_uint_eq(g.type, MN_ICMP_ECHO_REPLY);
  ck_assert_uint_eq(g.rest, 0x12340007u);
}
END_TEST

START_TEST(test_icmp_rejects_every_truncation)
{
  struct mn_icmp_hdr h;
  for (size_t n = 0; n < ICMP_LEN; n++) {
    uint8_t *b = dup_exact(icmp_msg(), n);
    enum mn_parse r = mn_icmp_parse(b, n, &h);
    /* Short of a header it is truncated; short of the data, the checksum
     * over the whole message no longer matches. */
    ck_assert_msg(r == (n < MN_ICMP_HDR_LEN ? MN_PARSE_TRUNCATED : MN_PARSE_BAD_CHECKSUM),
                  "len %zu: %s", n, mn_parse_str(r));
    free(b);
  }
}
END_TEST

START_TEST(test_icmp_rejects_bad_checksum_in_header_or_data)
{
  struct mn_icmp_hdr h;
  uint8_t b[64];
  memcpy(b, icmp_msg(), sizeof(b));
  b[3] ^= 0x80;
  ck_assert_int_eq(mn_icmp_parse(b, sizeof(b), &h), MN_PARSE_BAD_CHECKSUM);
  memcpy(b, icmp_msg(), sizeof(b));
  b[63] ^= 0x01;
  ck_assert_int_eq(mn_icmp_parse(b, sizeof(b), &h), MN_PARSE_BAD_CHECKSUM);
}
END_TEST

static Suite *icmp_suite(void)
{
  Suite *s = suite_create("wire_icmp");
  TCase *tc = tcase_create("icmp");
  tcase_add_test(tc, test_icmp_parses_golden_echo_request);
  tcase_add_test(tc, test_icmp_emit_reproduces_golden_echo_request);
  tcase_add_test(tc, test_icmp_odd_length_message_survives_emit_then_parse);
  tcase_add_test(tc, test_icmp_rejects_every_truncation);
  tcase_add_test(tc, test_icmp_rejects_bad_checksum_in_header_or_data);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(icmp_suite());
}
