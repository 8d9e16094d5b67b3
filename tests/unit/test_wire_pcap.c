/* The pcap file and record headers the driver writes. */
#include <mynet/stack.h>

#include "wire_golden.h"

START_TEST(test_pcap_file_header_is_little_endian_v2_4_ethernet)
{
  static const uint8_t want[MYNET_PCAP_FILE_HDR_LEN] = {
      0xd4, 0xc3, 0xb2, 0xa1, /* magic 0xa1b2c3d4: microsecond timestamps */
      0x02, 0x00, 0x04, 0x00, /* version 2.4 */
      0x00, 0x00, 0x00, 0x00, /* thiszone */
      0x00, 0x00, 0x00, 0x00, /* sigfigs */
      0xff, 0xff, 0x00, 0x00, /* snaplen 65535 */
      0x01, 0x00, 0x00, 0x00, /* LINKTYPE_ETHERNET */
  };
  uint8_t out[MYNET_PCAP_FILE_HDR_LEN];
  memset(out, 0xaa, sizeof(out));
  mynet_pcap_file_header(out, 65535);
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_pcap_record_header_splits_microseconds)
{
  static const uint8_t want[MYNET_PCAP_REC_HDR_LEN] = {
      0x00, 0xf1, 0x53, 0x65, /* 1700000000 s */
      0x40, 0xe2, 0x01, 0x00, /* 123456 us */
      0x4a, 0x00, 0x00, 0x00, /* caplen 74 */
      0xdc, 0x05, 0x00, 0x00, /* len 1500 */
  };
  uint8_t out[MYNET_PCAP_REC_HDR_LEN];
  memset(out, 0xaa, sizeof(out));
  mynet_pcap_record_header(out, 1700000000123456LL, 74, 1500);
  ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_pcap_record_header_keeps_usec_in_range_before_1970)
{
  uint8_t out[MYNET_PCAP_REC_HDR_LEN];
  mynet_pcap_record_header(out, -1, 0, 0);
  ck_assert_mem_eq(out, "\xff\xff\xff\xff\x3f\x42\x0f\x00", 8); /* -1 s + 999999 us */
}
END_TEST

static Suite *pcap_suite(void)
{
  Suite *s = suite_create("wire_pcap");
  TCase *tc = tcase_create("pcap");
  tcase_add_test(tc, test_pcap_file_header_is_little_endian_v2_4_ethernet);
  tcase_add_test(tc, test_pcap_record_header_splits_microseconds);
  tcase_add_test(tc, test_pcap_record_header_keeps_usec_in_range_before_1970);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(pcap_suite());
}
