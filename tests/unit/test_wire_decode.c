/* Trace decoding of frames: what it says, and that it never reads outside
 * the frame or writes outside the output, whatever the frame holds. */
#include "wire/decode.h"
#include "wire_golden.h"

#include <stdio.h>

struct golden {
  const char *name;
  const uint8_t *bytes;
  size_t len;
};

#define G(x)                                                                                       \
  {                                                                                                \
#x, x, sizeof(x)                                                                               \
  }
static const struct golden frames[] = {
    G(golden_arp_request), G(golden_icmp_echo),    G(golden_udp_hello),
    G(golden_tcp_syn),     G(golden_tcp_ack_sack),
};
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

static char out[8192];

static const char *decode(const uint8_t *f, size_t n)
{
  size_t want = mn_decode_frame(f, n, out, sizeof(out));
  ck_assert_uint_lt(want, sizeof(out));
  ck_assert_uint_eq(strlen(out), want);
  return out;
}

#define ck_assert_has(text, needle)                                                                \
  ck_assert_msg(strstr((text), (needle)) != NULL, "missing \"%s\" in:\n%s", (needle), (text))

START_TEST(test_decode_names_arp_request_fields)
{
  const char *s = decode(golden_arp_request, sizeof(golden_arp_request));
  ck_assert_has(s, "Ethernet\n  dst: ff:ff:ff:ff:ff:ff\n  src: 52:54:00:12:34:56\n");
  ck_assert_has(s, "  type: 0x0806 (ARP)\n  ARP\n");
  ck_assert_has(s, "    opcode: 1 (request)\n");
  ck_assert_has(s, "    sender mac: 52:54:00:12:34:56\n    sender ip: 10.0.0.1\n");
  ck_assert_has(s, "    target mac: 00:00:00:00:00:00\n    target ip: 10.0.0.2\n");
}
END_TEST

START_TEST(test_decode_names_ipv4_and_icmp_fields)
{
  const char *s = decode(golden_icmp_echo, sizeof(golden_icmp_echo));
  ck_assert_has(s, "  IPv4\n    version: 4\n    ihl: 5 (20 bytes)\n    tos: 0x00\n");
  ck_assert_has(s, "    total length: 84\n    id: 0x1c46 (7238)\n    flags: 0x2 (DF)\n");
  ck_assert_has(s, "    fragment offset: 0 (0 bytes)\n    ttl: 64\n    protocol: 1 (ICMP)\n");
  ck_assert_has(s, "    checksum: 0x0a61 (good)\n    src: 10.0.0.1\n    dst: 10.0.0.2\n");
  ck_assert_has(s, "    ICMP\n      type: 8 (echo request)\n      code: 0\n");
  ck_assert_has(s, "      checksum: 0x29ea (good)\n      identifier: 3359\n      sequence: 1\n");
  ck_assert_has(s, "      payload length: 56\n");
}
END_TEST

START_TEST(test_decode_names_udp_fields_and_link_padding)
{
  const char *s = decode(golden_udp_hello, sizeof(golden_udp_hello));
  ck_assert_has(s, "    link padding: 13 bytes\n");
  ck_assert_has(s, "    UDP\n      source port: 54321\n      destination port: 7777\n");
  ck_assert_has(s, "      length: 13\n      checksum: 0xb56c (good)\n      payload length: 5\n");
}
END_TEST

START_TEST(test_decode_names_tcp_fields_flags_and_options)
{
  const char *s = decode(golden_tcp_syn, sizeof(golden_tcp_syn));
  ck_assert_has(s, "    TCP\n      source port: 41234\n      destination port: 80\n");
  ck_assert_has(s, "      seq: 2587565101\n      ack: 0\n      data offset: 10 (40 bytes)\n");
  ck_assert_has(s, "      flags: 0x02 (SYN)\n      window: 64240\n");
  ck_assert_has(s, "      checksum: 0xaae9 (good)\n");
  ck_assert_has(s, "      options: 20 bytes\n        mss: 1460\n        sack permitted\n");
  ck_assert_has(s, "        timestamps: val 169552957 ecr 0\n        nop\n");
  ck_assert_has(s, "        window scale: 7\n      payload length: 0\n");

  s = decode(golden_tcp_ack_sack, sizeof(golden_tcp_ack_sack));
  ck_assert_has(s, "      flags: 0x18 (PSH ACK)\n");
  ck_assert_has(s, "        sack: 16909160-16909260\n      payload length: 3\n");
}
END_TEST

START_TEST(test_decode_flags_bad_checksums)
{
  uint8_t b[sizeof(golden_tcp_syn)];
  memcpy(b, golden_tcp_syn, sizeof(b));
  b[ETH_LEN + 10] ^= 1;
  b[sizeof(b) - 1] ^= 1;
  const char *s = decode(b, sizeof(b));
  ck_assert_has(s, "    checksum: 0xd698 (bad)\n");
  ck_assert_has(s, "      checksum: 0xaae9 (bad)\n");
}
END_TEST

START_TEST(test_decode_says_truncated_for_every_truncation_of_every_golden_frame)
{
  for (size_t i = 0; i < NFRAMES; i++) {
    /* The ARP and UDP frames carry link padding: cutting the padding only
     * is not a truncation of the packet. */
    size_t meaningful = frames[i].len;
    if (frames[i].bytes == golden_arp_request)
      meaningful = ETH_LEN + 28;
    if (frames[i].bytes == golden_udp_hello)
      meaningful = ETH_LEN + 33;
    for (size_t n = 0; n < frames[i].len; n++) {
      uint8_t *b = dup_exact(frames[i].bytes, n);
      const char *s = decode(b, n);
      if (n < meaningful)
        ck_assert_msg(strstr(s, "truncated") != NULL, "%s len %zu:\n%s", frames[i].name, n, s);
      free(b);
    }
  }
}
END_TEST

START_TEST(test_decode_never_reads_outside_mutated_frames)
{
  /* Every byte of every golden frame set to values that steer the decoder
   * into its odd paths (lengths 0, 1, huge; IHL and data offset extremes),
   * at every truncation.  Under AddressSanitizer a stray read fails here. */
  static const uint8_t values[] = {0x00, 0x01, 0x02, 0x05, 0x0a, 0x22,
                                   0x45, 0x4f, 0x50, 0xf0, 0xfe, 0xff};
  for (size_t i = 0; i < NFRAMES; i++) {
    uint8_t *m = dup_exact(frames[i].bytes, frames[i].len);
    for (size_t pos = 0; pos < frames[i].len; pos++) {
      uint8_t saved = m[pos];
      for (size_t v = 0; v < sizeof(values); v++) {
        m[pos] = values[v];
        for (size_t n = pos; n <= frames[i].len; n += 7) {
          uint8_t *b = dup_exact(m, n);
          decode(b, n);
          free(b);
        }
      }
      m[pos] = saved;
    }
    free(m);
  }
}
END_TEST

START_TEST(test_decode_never_reads_options_past_the_header)
{
  /* The golden SYN ends with its header, so each option below, placed so
   * its length runs past the end, would make a stray read fail under ASan. */
  static const uint8_t tails[][3] = {{2, 4, 5},  {3, 3, 0}, {8, 10, 0}, {5, 10, 0},
                                     {5, 34, 0}, {4, 2, 0}, {30, 8, 0}, {2, 0, 0}};
  for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
    for (size_t keep = 1; keep <= 3; keep++) {
      uint8_t f[sizeof(golden_tcp_syn)];
      size_t opt = ETH_LEN + IP_LEN + 20;
      memcpy(f, golden_tcp_syn, sizeof(f));
      memset(f + opt, 1, sizeof(f) - opt);
      memcpy(f + sizeof(f) - keep, tails[t], keep);
      uint8_t *b = dup_exact(f, sizeof(f));
      const char *s = decode(b, sizeof(f));
      ck_assert_has(s, "      payload length: 0\n");
      free(b);
    }
  }
}
END_TEST

START_TEST(test_decode_cuts_output_to_capacity_and_reports_full_length)
{
  char small[32];
  size_t full = mn_decode_frame(golden_tcp_syn, sizeof(golden_tcp_syn), NULL, 0);
  ck_assert_uint_gt(full, sizeof(small));
  for (size_t cap = 1; cap <= sizeof(small); cap++) {
    memset(small, 'X', sizeof(small));
    ck_assert_uint_eq(mn_decode_frame(golden_tcp_syn, sizeof(golden_tcp_syn), small, cap), full);
    ck_assert_uint_eq(strlen(small), cap - 1);
    if (cap < sizeof(small))
      ck_assert_int_eq(small[cap], 'X');
  }
  decode(golden_tcp_syn, sizeof(golden_tcp_syn));
  ck_assert_mem_eq(small, out, sizeof(small) - 1);
}
END_TEST

START_TEST(test_decode_does_not_decode_8023_frames)
{
  uint8_t b[60];
  memcpy(b, golden_arp_request, sizeof(b));
  b[12] = 0x00;
  b[13] = 0x2e;
  const char *s = decode(b, sizeof(b));
  ck_assert_has(s, "  type: 0x002e (802.3 length, not decoded)\n");
}
END_TEST

static Suite *decode_suite(void)
{
  Suite *s = suite_create("wire_decode");
  TCase *tc = tcase_create("decode");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_decode_names_arp_request_fields);
  tcase_add_test(tc, test_decode_names_ipv4_and_icmp_fields);
  tcase_add_test(tc, test_decode_names_udp_fields_and_link_padding);
  tcase_add_test(tc, test_decode_names_tcp_fields_flags_and_options);
  tcase_add_test(tc, test_decode_flags_bad_checksums);
  tcase_add_test(tc, test_decode_says_truncated_for_every_truncation_of_every_golden_frame);
  tcase_add_test(tc, test_decode_never_reads_outside_mutated_frames);
  tcase_add_test(tc, test_decode_never_reads_options_past_the_header);
  tcase_add_test(tc, test_decode_cuts_output_to_capacity_and_reports_full_length);
  tcase_add_test(tc, test_decode_does_not_decode_8023_frames);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(decode_suite());
}
