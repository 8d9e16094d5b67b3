/* The pcapng blocks the driver writes, byte for byte, and their lengths
 * at the limits (a block's two length fields must agree and count every
 * byte, or readers stop at it). */
#include <mynet/stack.h>

#include "wire_golden.h"

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_file_header_is_a_section_and_an_ethernet_interface)
{
  /* clang-format off */
  static const uint8_t want[] = {
      /* Section Header Block */
      0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0,           /* type, length */
      0x4d, 0x3c, 0x2b, 0x1a,                         /* byte-order magic */
      0x01, 0x00, 0x00, 0x00,                         /* version 1.0 */
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* section length unknown */
      0x04, 0x00, 0x05, 0x00, 'm', 'y', 'n', 'e', 't', 0, 0, 0, /* shb_userappl */
      0, 0, 0, 0,                                     /* end of options */
      44, 0, 0, 0,
      /* Interface Description Block */
      0x01, 0x00, 0x00, 0x00, 32, 0, 0, 0,
      0x01, 0x00, 0x00, 0x00,                   /* LINKTYPE_ETHERNET, reserved */
      0xff, 0xff, 0x00, 0x00,                   /* snaplen 65535 */
      0x02, 0x00, 0x04, 0x00, 't', 'a', 'p', '0', /* if_name */
      0, 0, 0, 0,
      32, 0, 0, 0,
  };
  /* clang-format on */
  uint8_t out[MYNET_PCAPNG_FILE_HDR_MAX];
  memset(out, 0xaa, sizeof out);
  ck_assert_uint_eq(mynet_pcapng_file_header(out, "tap0", 65535), sizeof want);
  ck_assert_mem_eq(out, want, sizeof want);
}
END_TEST

START_TEST(test_packet_carries_time_lengths_direction_and_comment)
{
  /* clang-format off */
  static const uint8_t want_head[MYNET_PCAPNG_PKT_HEAD_LEN] = {
      0x06, 0x00, 0x00, 0x00, 64, 0, 0, 0, /* type, length */
      0, 0, 0, 0,                          /* interface 0 */
      0x24, 0x0a, 0x06, 0x00,              /* 1700000000123456 us, high */
      0x40, 0x22, 0x20, 0x18,              /* and low */
      5, 0, 0, 0,                          /* caplen */
      0xdc, 0x05, 0, 0,                    /* len 1500 */
  };
  /* clang-format on */
  static const uint8_t want_tail[] = {
      0,    0,    0,                                                /* the frame padded to 8 */
      0x02, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00,               /* epb_flags: outbound */
      0x01, 0x00, 0x05, 0x00, 'p',  'i',  'd',  ' ',  '7', 0, 0, 0, /* comment */
      0,    0,    0,    0,    64,   0,    0,    0,
  };
  uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN], tail[MYNET_PCAPNG_PKT_TAIL_MAX];
  memset(tail, 0xaa, sizeof tail);
  size_t n = mynet_pcapng_packet(head, tail, 1700000000123456LL, 5, 1500, MYNET_FRAME_OUT, "pid 7");
  ck_assert_uint_eq(n, sizeof want_tail);
  ck_assert_mem_eq(head, want_head, sizeof want_head);
  ck_assert_mem_eq(tail, want_tail, sizeof want_tail);
  ck_assert_uint_eq(le32(head + 4), MYNET_PCAPNG_PKT_HEAD_LEN + 5 + n);
}
END_TEST

START_TEST(test_inbound_without_comment_and_aligned_frame)
{
  uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN], tail[MYNET_PCAPNG_PKT_TAIL_MAX];
  size_t n = mynet_pcapng_packet(head, tail, 0, 60, 60, MYNET_FRAME_IN, NULL);
  /* clang-format off */
  static const uint8_t want_tail[] = {
      0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, /* epb_flags: inbound */
      0, 0, 0, 0, 104, 0, 0, 0,
  };
  /* clang-format on */
  ck_assert_uint_eq(n, sizeof want_tail);
  ck_assert_mem_eq(tail, want_tail, sizeof want_tail);
  ck_assert_uint_eq(le32(head + 4), 104);
}
END_TEST

START_TEST(test_long_texts_are_cut_and_lengths_stay_within_the_maxima)
{
  char text[300];
  memset(text, 'x', sizeof text - 1);
  text[sizeof text - 1] = 0;
  uint8_t hdr[MYNET_PCAPNG_FILE_HDR_MAX];
  size_t h = mynet_pcapng_file_header(hdr, text, 65535);
  ck_assert_uint_eq(h, MYNET_PCAPNG_FILE_HDR_MAX);
  ck_assert_uint_eq(le32(hdr + 44 + 4), h - 44);
  ck_assert_uint_eq(le32(hdr + h - 4), h - 44);

  uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN], tail[MYNET_PCAPNG_PKT_TAIL_MAX];
  for (uint32_t caplen = 0; caplen < 8; caplen++) {
    size_t n = mynet_pcapng_packet(head, tail, 1, caplen, 9000, MYNET_FRAME_IN, text);
    ck_assert_uint_le(n, MYNET_PCAPNG_PKT_TAIL_MAX);
    uint32_t total = le32(head + 4);
    ck_assert_uint_eq(total, MYNET_PCAPNG_PKT_HEAD_LEN + caplen + n);
    ck_assert_uint_eq(total % 4, 0);
    ck_assert_uint_eq(le32(tail + n - 4), total);
  }
}
END_TEST

static Suite *pcap_suite(void)
{
  Suite *s = suite_create("wire_pcap");
  TCase *tc = tcase_create("pcapng");
  tcase_add_test(tc, test_file_header_is_a_section_and_an_ethernet_interface);
  tcase_add_test(tc, test_packet_carries_time_lengths_direction_and_comment);
  tcase_add_test(tc, test_inbound_without_comment_and_aligned_frame);
  tcase_add_test(tc, test_long_texts_are_cut_and_lengths_stay_within_the_maxima);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(pcap_suite());
}
