/* The Internet checksum (RFC 1071) against its worked example and against a
 * byte-at-a-time reference over many lengths and alignments. */
#include "wire/checksum.h"
#include "wire_golden.h"

START_TEST(test_checksum_matches_rfc1071_worked_example)
{
  /* RFC 1071 section 3: these bytes sum to 0xddf2, stored as ~0xddf2. */
  static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  ck_assert_uint_eq(mn_csum_fold(mn_csum_add(0, b, sizeof(b))), 0x220d);
}
END_TEST

START_TEST(test_checksum_pads_odd_length_with_a_zero_byte)
{
  static const uint8_t odd[] = {0x12, 0x34, 0x56};
  static const uint8_t even[] = {0x12, 0x34, 0x56, 0x00};
  ck_assert_uint_eq(mn_csum_add(0, odd, 3), mn_csum_add(0, even, 4));
  ck_assert_uint_eq(mn_csum_add(0, odd, 3), 0x1234 + 0x5600);
  ck_assert_uint_eq(mn_csum_add(0, odd, 1), 0x1200);
}
END_TEST

START_TEST(test_checksum_of_nothing_is_the_sum_passed_in)
{
  ck_assert_uint_eq(mn_csum_add(0, "", 0), 0);
  ck_assert_uint_eq(mn_csum_add(0x1234, "", 0), 0x1234);
  ck_assert_uint_eq(mn_csum_fold(0), 0xffff);
  ck_assert_uint_eq(mn_csum_fold(0xffff), 0);
}
END_TEST

START_TEST(test_checksum_agrees_with_reference_for_every_length_and_alignment)
{
  uint8_t buf[300];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof(buf); i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (uint8_t)(x >> 16);
  }
  for (size_t off = 0; off < 8; off++) {
    for (size_t n = 0; n + off <= sizeof(buf); n++) {
      uint16_t want = ref_csum(0, buf + off, n);
      ck_assert_msg(mn_csum_fold(mn_csum_add(0, buf + off, n)) == want, "off %zu len %zu", off, n);
    }
  }
}
END_TEST

START_TEST(test_checksum_carries_across_many_all_ones_words)
{
  /* 0xffff words overflow any 16-bit accumulator at once; the result must
   * still fold to the one's complement sum (RFC 1071 section 2(C)). */
  uint8_t buf[70000];
  memset(buf, 0xff, sizeof(buf));
  ck_assert_uint_eq(mn_csum_fold(mn_csum_add(0, buf, sizeof(buf))), ref_csum(0, buf, sizeof(buf)));
  ck_assert_uint_eq(mn_csum_fold(mn_csum_add(0xffff, buf, 6)), 0);
}
END_TEST

START_TEST(test_checksum_pieces_add_up_to_the_whole)
{
  uint8_t buf[64];
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (uint8_t)(i * 37 + 11);
  uint32_t whole = mn_csum_add(0, buf, 61);
  for (size_t cut = 0; cut <= 60; cut += 2) {
    uint32_t s = mn_csum_add(0, buf, cut);
    s = mn_csum_add(s, buf + cut, 61 - cut);
    ck_assert_uint_eq(mn_csum_fold(s), mn_csum_fold(whole));
  }
}
END_TEST

START_TEST(test_checksum_pseudo_header_sums_addresses_protocol_and_length)
{
  /* Same words as the 12-byte pseudo-header laid out in memory. */
  static const uint8_t ph[] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 13};
  uint32_t s = mn_csum_pseudo(GOLDEN_IP_A, GOLDEN_IP_B, 17, 13);
  ck_assert_uint_eq(mn_csum_fold(s), ref_csum(0, ph, sizeof(ph)));
  ck_assert_uint_eq(mn_csum_fold(mn_csum_add(s, "", 0)), ref_csum(0, ph, sizeof(ph)));
}
END_TEST

static Suite *checksum_suite(void)
{
  Suite *s = suite_create("wire_checksum");
  TCase *tc = tcase_create("checksum");
  tcase_add_test(tc, test_checksum_matches_rfc1071_worked_example);
  tcase_add_test(tc, test_checksum_pads_odd_length_with_a_zero_byte);
  tcase_add_test(tc, test_checksum_of_nothing_is_the_sum_passed_in);
  tcase_add_test(tc, test_checksum_agrees_with_reference_for_every_length_and_alignment);
  tcase_add_test(tc, test_checksum_carries_across_many_all_ones_words);
  tcase_add_test(tc, test_checksum_pieces_add_up_to_the_whole);
  tcase_add_test(tc, test_checksum_pseudo_header_sums_addresses_protocol_and_length);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(checksum_suite());
}
