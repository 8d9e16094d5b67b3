/* TCP header and options (RFC 9293, RFC 7323, RFC 2018). */
#include "wire/tcp.h"
#include "wire_golden.h"

#define TCP_OFF (ETH_LEN + IP_LEN)
#define SYN_LEN (sizeof(golden_tcp_syn) - TCP_OFF)
#define ACK_LEN (sizeof(golden_tcp_ack_sack) - TCP_OFF)

static const uint8_t *syn_seg(void)
{
  return golden_tcp_syn + TCP_OFF;
}
static const uint8_t *ack_seg(void)
{
  return golden_tcp_ack_sack + TCP_OFF;
}

/* A segment from A to B carrying the given option bytes (a multiple of 4)
 * and payload, with a checksum from the reference implementation, so that
 * only the options are under test. */
static size_t build_seg(uint8_t *b, const uint8_t *opts, size_t optlen, const char *payload,
                        size_t plen)
{
  size_t total = MN_TCP_HDR_LEN + optlen + plen;
  memcpy(b, syn_seg(), MN_TCP_HDR_LEN);
  b[12] = (uint8_t)((MN_TCP_HDR_LEN + optlen) / 4 << 4);
  if (optlen)
    memcpy(b + MN_TCP_HDR_LEN, opts, optlen);
  if (plen)
    memcpy(b + MN_TCP_HDR_LEN + optlen, payload, plen);
  b[16] = b[17] = 0;
  uint16_t c = ref_csum(ref_pseudo(GOLDEN_IP_A, GOLDEN_IP_B, 6, (uint16_t)total), b, total);
  b[16] = (uint8_t)(c >> 8);
  b[17] = (uint8_t)c;
  return total;
}

/* Parses option bytes in a segment that must itself be accepted.  It is
 * parsed twice: with no payload, in a buffer that ends with the header so
 * that AddressSanitizer catches a read past it, and with a payload that
 * must not change what the options say. */
static struct mn_tcp_opts parse_opts(const uint8_t *opts, size_t optlen)
{
  uint8_t b[MN_TCP_MAX_HDR_LEN + 4];
  struct mn_tcp_hdr h, hp;
  size_t n = build_seg(b, opts, optlen, NULL, 0);
  uint8_t *e = dup_exact(b, n);
  ck_assert_int_eq(mn_tcp_parse(e, n, GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.hdr_len, MN_TCP_HDR_LEN + optlen);
  free(e);

  n = build_seg(b, opts, optlen, "\x04\x0a\x02\x04", 4);
  ck_assert_int_eq(mn_tcp_parse(b, n, GOLDEN_IP_A, GOLDEN_IP_B, &hp), MN_PARSE_OK);
  ck_assert_mem_eq(&hp.opt, &h.opt, sizeof(h.opt));
  return h.opt;
}

START_TEST(test_tcp_parses_golden_linux_syn)
{
  struct mn_tcp_hdr h;
  ck_assert_int_eq(mn_tcp_parse(syn_seg(), SYN_LEN, GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.sport, 41234);
  ck_assert_uint_eq(h.dport, 80);
  ck_assert_uint_eq(h.seq, 0x9a3b1c2du);
  ck_assert_uint_eq(h.ack, 0);
  ck_assert_uint_eq(h.hdr_len, 40);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN);
  ck_assert_uint_eq(h.win, 64240);
  ck_assert_uint_eq(h.urg, 0);
  ck_assert(h.opt.mss_set);
  ck_assert_uint_eq(h.opt.mss, 1460);
  ck_assert(h.opt.sack_ok);
  ck_assert(h.opt.ts_set);
  ck_assert_uint_eq(h.opt.tsval, 0x0a1b2c3du);
  ck_assert_uint_eq(h.opt.tsecr, 0);
  ck_assert(h.opt.ws_set);
  ck_assert_uint_eq(h.opt.wscale, 7);
  ck_assert_uint_eq(h.opt.nsack, 0);
}
END_TEST

START_TEST(test_tcp_emit_reproduces_golden_linux_syn)
{
  struct mn_tcp_hdr h = {.sport = 41234,
                         .dport = 80,
                         .seq = 0x9a3b1c2du,
                         .flags = MN_TCP_SYN,
                         .win = 64240,
                         .hdr_len = 99, /* documented as ignored */
                         .opt = {.mss_set = true,
                                 .mss = 1460,
                                 .sack_ok = true,
                                 .ts_set = true,
                                 .tsval = 0x0a1b2c3du,
                                 .ws_set = true,
                                 .wscale = 7}};
  uint8_t out[64];
  memset(out, 0xee, sizeof(out));
  ck_assert_uint_eq(mn_tcp_opts_len(&h.opt), 20);
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 40);
  ck_assert_mem_eq(out, syn_seg(), SYN_LEN);
  ck_assert_uint_eq(out[SYN_LEN], 0xee); /* nothing written past the header */
}
END_TEST

START_TEST(test_tcp_parses_golden_ack_with_timestamps_and_sack)
{
  struct mn_tcp_hdr h;
  ck_assert_int_eq(mn_tcp_parse(ack_seg(), ACK_LEN, GOLDEN_IP_B, GOLDEN_IP_A, &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.sport, 80);
  ck_assert_uint_eq(h.dport, 41234);
  ck_assert_uint_eq(h.seq, 0x01020304u);
  ck_assert_uint_eq(h.ack, 0x9a3b1c2eu);
  ck_assert_uint_eq(h.hdr_len, 44);
  ck_assert_uint_eq(h.flags, MN_TCP_PSH | MN_TCP_ACK);
  ck_assert_uint_eq(h.win, 501);
  ck_assert(!h.opt.mss_set && !h.opt.ws_set && !h.opt.sack_ok);
  ck_assert(h.opt.ts_set);
  ck_assert_uint_eq(h.opt.tsval, 0x0a1b2d00u);
  ck_assert_uint_eq(h.opt.tsecr, 0x55667788u);
  ck_assert_uint_eq(h.opt.nsack, 1);
  ck_assert_uint_eq(h.opt.sack[0].left, 0x01020304u + 100);
  ck_assert_uint_eq(h.opt.sack[0].right, 0x01020304u + 200);
  ck_assert_uint_eq(ACK_LEN - h.hdr_len, 3);
  ck_assert_mem_eq(ack_seg() + h.hdr_len, "abc", 3);
}
END_TEST

START_TEST(test_tcp_emit_reproduces_golden_ack_with_sack)
{
  struct mn_tcp_hdr h = {.sport = 80,
                         .dport = 41234,
                         .seq = 0x01020304u,
                         .ack = 0x9a3b1c2eu,
                         .flags = MN_TCP_PSH | MN_TCP_ACK,
                         .win = 501,
                         .opt = {.ts_set = true,
                                 .tsval = 0x0a1b2d00u,
                                 .tsecr = 0x55667788u,
                                 .nsack = 1,
                                 .sack = {{0x01020304u + 100, 0x01020304u + 200}}}};
  uint8_t out[ACK_LEN];
  ck_assert_uint_eq(mn_tcp_opts_len(&h.opt), 24);
  memcpy(out + 44, "abc", 3);
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 3, GOLDEN_IP_B, GOLDEN_IP_A), 44);
  ck_assert_mem_eq(out, ack_seg(), ACK_LEN);
}
END_TEST

START_TEST(test_tcp_rejects_every_truncation)
{
  struct mn_tcp_hdr h;
  for (size_t n = 0; n < SYN_LEN; n++) {
    uint8_t *b = dup_exact(syn_seg(), n);
    ck_assert_msg(mn_tcp_parse(b, n, GOLDEN_IP_A, GOLDEN_IP_B, &h) != MN_PARSE_OK, "syn len %zu",
                  n);
    free(b);
  }
  for (size_t n = 0; n < ACK_LEN; n++) {
    uint8_t *b = dup_exact(ack_seg(), n);
    enum mn_parse r = mn_tcp_parse(b, n, GOLDEN_IP_B, GOLDEN_IP_A, &h);
    /* Short of 20 bytes: truncated; short of the data offset: bad header
     * length; short of the payload: the checksum no longer matches. */
    enum mn_parse want = n < 20   ? MN_PARSE_TRUNCATED
                         : n < 44 ? MN_PARSE_BAD_HDRLEN
                                  : MN_PARSE_BAD_CHECKSUM;
    ck_assert_msg(r == want, "ack len %zu: %s", n, mn_parse_str(r));
    free(b);
  }
}
END_TEST

START_TEST(test_tcp_rejects_bad_checksum)
{
  struct mn_tcp_hdr h;
  uint8_t b[ACK_LEN];
  memcpy(b, ack_seg(), sizeof(b));
  b[ACK_LEN - 1] = 'C'; /* payload is covered */
  ck_assert_int_eq(mn_tcp_parse(b, sizeof(b), GOLDEN_IP_B, GOLDEN_IP_A, &h), MN_PARSE_BAD_CHECKSUM);
  memcpy(b, ack_seg(), sizeof(b));
  b[30] ^= 0x01; /* an option byte is covered */
  ck_assert_int_eq(mn_tcp_parse(b, sizeof(b), GOLDEN_IP_B, GOLDEN_IP_A, &h), MN_PARSE_BAD_CHECKSUM);
  /* The pseudo-header is covered: swapped addresses fail. */
  ck_assert_int_eq(mn_tcp_parse(ack_seg(), ACK_LEN, GOLDEN_IP_A, GOLDEN_IP_B + 1, &h),
                   MN_PARSE_BAD_CHECKSUM);
}
END_TEST

START_TEST(test_tcp_rejects_data_offset_below_five)
{
  struct mn_tcp_hdr h;
  uint8_t b[SYN_LEN];
  for (uint8_t doff = 0; doff < 5; doff++) {
    memcpy(b, syn_seg(), sizeof(b));
    b[12] = (uint8_t)(doff << 4);
    ck_assert_int_eq(mn_tcp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_BAD_HDRLEN);
  }
}
END_TEST

START_TEST(test_tcp_rejects_data_offset_beyond_segment)
{
  struct mn_tcp_hdr h;
  uint8_t b[SYN_LEN];
  memcpy(b, syn_seg(), sizeof(b));
  b[12] = 0xb0; /* 44 bytes in a 40-byte segment */
  ck_assert_int_eq(mn_tcp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_BAD_HDRLEN);
  b[12] = 0xf0;
  ck_assert_int_eq(mn_tcp_parse(b, sizeof(b), GOLDEN_IP_A, GOLDEN_IP_B, &h), MN_PARSE_BAD_HDRLEN);
}
END_TEST

START_TEST(test_tcp_option_length_zero_stops_parsing_but_keeps_segment)
{
  static const uint8_t opts[] = {2, 4, 0x05, 0xb4, 30, 0, 1, 1, 8, 10,
                                 0, 0, 0,    1,    0,  0, 0, 2, 1, 1};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.mss_set);
  ck_assert_uint_eq(o.mss, 1460);
  ck_assert(!o.ts_set);
}
END_TEST

START_TEST(test_tcp_option_length_one_stops_parsing_but_keeps_segment)
{
  static const uint8_t opts[] = {1, 3, 3, 5, 2, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.ws_set);
  ck_assert_uint_eq(o.wscale, 5);
  ck_assert(!o.mss_set && !o.ts_set);
}
END_TEST

START_TEST(test_tcp_option_running_past_header_stops_parsing_but_keeps_segment)
{
  /* Timestamps claim 10 bytes with 8 left; the payload after the header
   * must not be read as the rest of the option. */
  static const uint8_t opts[] = {2, 4, 0x02, 0x18, 8, 10, 0, 0, 0, 1, 0, 0};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.mss_set);
  ck_assert_uint_eq(o.mss, 536);
  ck_assert(!o.ts_set);
}
END_TEST

START_TEST(test_tcp_option_kind_in_last_byte_without_length_is_ignored)
{
  static const uint8_t opts[] = {4, 2, 1, 2};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.sack_ok);
  ck_assert(!o.mss_set);
}
END_TEST

START_TEST(test_tcp_known_option_with_wrong_length_is_skipped_and_parsing_goes_on)
{
  /* MSS in 3 bytes, window scale in 4, SACK-permitted in 3, timestamps in
   * 8, SACK in 6: each ignored, and the well-formed options after them
   * still read. */
  static const uint8_t opts[] = {2, 3, 0x05, 3, 4, 7, 0, 4, 3,    0,    8, 8, 0, 0, 0, 1, 0, 0,
                                 5, 6, 0,    0, 0, 1, 2, 4, 0x05, 0xb4, 1, 3, 3, 2, 1, 1, 1, 1};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(!o.sack_ok && !o.ts_set);
  ck_assert_uint_eq(o.nsack, 0);
  ck_assert(o.mss_set);
  ck_assert_uint_eq(o.mss, 1460);
  ck_assert(o.ws_set);
  ck_assert_uint_eq(o.wscale, 2);
}
END_TEST

START_TEST(test_tcp_unknown_option_is_skipped_by_its_length)
{
  /* Kind 30 (MPTCP) and kind 34 (TFO) with their own lengths. */
  static const uint8_t opts[] = {30, 6, 0xaa, 0xbb, 0xcc, 0xdd, 34, 2, 2, 4, 0x05, 0xb4};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.mss_set);
  ck_assert_uint_eq(o.mss, 1460);
}
END_TEST

START_TEST(test_tcp_end_of_option_list_stops_parsing)
{
  static const uint8_t opts[] = {1, 0, 2, 4, 0x05, 0xb4, 0, 0};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(!o.mss_set);
}
END_TEST

START_TEST(test_tcp_parses_four_sack_blocks)
{
  uint8_t opts[36] = {1, 1, 5, 34};
  for (int i = 0; i < 8; i++) {
    uint32_t v = 1000u * (uint32_t)(i + 1);
    opts[4 + 4 * i] = (uint8_t)(v >> 24);
    opts[5 + 4 * i] = (uint8_t)(v >> 16);
    opts[6 + 4 * i] = (uint8_t)(v >> 8);
    opts[7 + 4 * i] = (uint8_t)v;
  }
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert_uint_eq(o.nsack, 4);
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(o.sack[i].left, 1000u * (uint32_t)(2 * i + 1));
    ck_assert_uint_eq(o.sack[i].right, 1000u * (uint32_t)(2 * i + 2));
  }
}
END_TEST

START_TEST(test_tcp_sack_option_with_partial_block_is_ignored)
{
  static const uint8_t opts[] = {1, 1, 5, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert_uint_eq(o.nsack, 0);
}
END_TEST

START_TEST(test_tcp_window_scale_above_14_is_read_as_14)
{
  /* RFC 7323 section 2.3. */
  static const uint8_t opts[] = {1, 3, 3, 15};
  struct mn_tcp_opts o = parse_opts(opts, sizeof(opts));
  ck_assert(o.ws_set);
  ck_assert_uint_eq(o.wscale, 14);
}
END_TEST

START_TEST(test_tcp_emit_pads_lone_options_with_nops_as_linux_does)
{
  struct mn_tcp_hdr h = {.flags = MN_TCP_SYN, .opt = {.sack_ok = true}};
  uint8_t out[MN_TCP_MAX_HDR_LEN];
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 24);
  ck_assert_mem_eq(out + 20, "\x01\x01\x04\x02", 4);

  h.opt = (struct mn_tcp_opts){.ts_set = true, .tsval = 1, .tsecr = 2};
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 32);
  ck_assert_mem_eq(out + 20, "\x01\x01\x08\x0a\0\0\0\x01\0\0\0\x02", 12);

  h.opt = (struct mn_tcp_opts){.ws_set = true, .wscale = 9};
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 24);
  ck_assert_mem_eq(out + 20, "\x01\x03\x03\x09", 4);

  h.opt = (struct mn_tcp_opts){0};
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 20);
  ck_assert_uint_eq(out[12], 0x50);
}
END_TEST

START_TEST(test_tcp_emit_sends_four_sack_blocks_without_timestamps)
{
  struct mn_tcp_hdr h = {.flags = MN_TCP_ACK, .opt = {.nsack = 4}}, g;
  uint8_t out[MN_TCP_MAX_HDR_LEN];
  for (uint32_t i = 0; i < 4; i++)
    h.opt.sack[i] = (struct mn_tcp_sack_block){100 * i, 100 * i + 50};
  ck_assert_uint_eq(mn_tcp_opts_len(&h.opt), 36);
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 56);
  ck_assert_mem_eq(out + 20, "\x01\x01\x05\x22", 4);
  ck_assert_int_eq(mn_tcp_parse(out, 56, GOLDEN_IP_A, GOLDEN_IP_B, &g), MN_PARSE_OK);
  ck_assert_uint_eq(g.opt.nsack, 4);
  ck_assert_uint_eq(g.opt.sack[3].right, 350);
}
END_TEST

START_TEST(test_tcp_emit_fits_three_sack_blocks_next_to_timestamps)
{
  /* 12 bytes of timestamps leave room for 3 blocks in 40 (RFC 2018 3). */
  struct mn_tcp_hdr h = {.flags = MN_TCP_ACK, .opt = {.ts_set = true, .nsack = 4}}, g;
  uint8_t out[MN_TCP_MAX_HDR_LEN];
  for (uint32_t i = 0; i < 4; i++)
    h.opt.sack[i] = (struct mn_tcp_sack_block){100 * i, 100 * i + 50};
  ck_assert_uint_eq(mn_tcp_opts_len(&h.opt), 40);
  ck_assert_uint_eq(mn_tcp_emit(&h, out, 0, GOLDEN_IP_A, GOLDEN_IP_B), 60);
  ck_assert_int_eq(mn_tcp_parse(out, 60, GOLDEN_IP_A, GOLDEN_IP_B, &g), MN_PARSE_OK);
  ck_assert(g.opt.ts_set);
  ck_assert_uint_eq(g.opt.nsack, 3);
  ck_assert_uint_eq(g.opt.sack[2].left, 200);
}
END_TEST

START_TEST(test_tcp_opts_len_matches_emit_for_every_option_combination)
{
  for (unsigned mask = 0; mask < 16; mask++) {
    for (uint8_t nsack = 0; nsack <= MN_TCP_MAX_SACK; nsack++) {
      struct mn_tcp_hdr h = {.sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = MN_TCP_ACK}, g;
      h.opt.mss_set = mask & 1;
      h.opt.mss = 1400;
      h.opt.ws_set = mask & 2;
      h.opt.wscale = 3;
      h.opt.sack_ok = mask & 4;
      h.opt.ts_set = mask & 8;
      h.opt.tsval = 77;
      h.opt.tsecr = 88;
      h.opt.nsack = nsack;
      for (uint32_t i = 0; i < nsack; i++)
        h.opt.sack[i] = (struct mn_tcp_sack_block){10 * i, 10 * i + 5};
      uint8_t out[MN_TCP_MAX_HDR_LEN + 5];
      memset(out, 0xee, sizeof(out));
      size_t olen = mn_tcp_opts_len(&h.opt);
      ck_assert_uint_eq(olen % 4, 0);
      ck_assert_uint_le(olen, 40);
      memcpy(out + 20 + olen, "hello", 5);
      size_t hl = mn_tcp_emit(&h, out, 5, GOLDEN_IP_A, GOLDEN_IP_B);
      ck_assert_msg(hl == 20 + olen, "mask %u nsack %u", mask, nsack);
      ck_assert_mem_eq(out + hl, "hello", 5);
      ck_assert_int_eq(mn_tcp_parse(out, hl + 5, GOLDEN_IP_A, GOLDEN_IP_B, &g), MN_PARSE_OK);
      ck_assert_uint_eq(g.opt.mss_set, h.opt.mss_set);
      ck_assert_uint_eq(g.opt.ws_set, h.opt.ws_set);
      ck_assert_uint_eq(g.opt.sack_ok, h.opt.sack_ok);
      ck_assert_uint_eq(g.opt.ts_set, h.opt.ts_set);
      ck_assert_uint_le(g.opt.nsack, nsack);
      ck_assert_uint_ge(g.opt.nsack, nsack < 3 ? nsack : 1);
      for (uint8_t i = 0; i < g.opt.nsack; i++)
        ck_assert_uint_eq(g.opt.sack[i].right, h.opt.sack[i].right);
    }
  }
}
END_TEST

static Suite *tcp_suite(void)
{
  Suite *s = suite_create("wire_tcp");
  TCase *tc = tcase_create("header");
  tcase_add_test(tc, test_tcp_parses_golden_linux_syn);
  tcase_add_test(tc, test_tcp_emit_reproduces_golden_linux_syn);
  tcase_add_test(tc, test_tcp_parses_golden_ack_with_timestamps_and_sack);
  tcase_add_test(tc, test_tcp_emit_reproduces_golden_ack_with_sack);
  tcase_add_test(tc, test_tcp_rejects_every_truncation);
  tcase_add_test(tc, test_tcp_rejects_bad_checksum);
  tcase_add_test(tc, test_tcp_rejects_data_offset_below_five);
  tcase_add_test(tc, test_tcp_rejects_data_offset_beyond_segment);
  suite_add_tcase(s, tc);

  tc = tcase_create("options");
  tcase_add_test(tc, test_tcp_option_length_zero_stops_parsing_but_keeps_segment);
  tcase_add_test(tc, test_tcp_option_length_one_stops_parsing_but_keeps_segment);
  tcase_add_test(tc, test_tcp_option_running_past_header_stops_parsing_but_keeps_segment);
  tcase_add_test(tc, test_tcp_option_kind_in_last_byte_without_length_is_ignored);
  tcase_add_test(tc, test_tcp_known_option_with_wrong_length_is_skipped_and_parsing_goes_on);
  tcase_add_test(tc, test_tcp_unknown_option_is_skipped_by_its_length);
  tcase_add_test(tc, test_tcp_end_of_option_list_stops_parsing);
  tcase_add_test(tc, test_tcp_parses_four_sack_blocks);
  tcase_add_test(tc, test_tcp_sack_option_with_partial_block_is_ignored);
  tcase_add_test(tc, test_tcp_window_scale_above_14_is_read_as_14);
  tcase_add_test(tc, test_tcp_emit_pads_lone_options_with_nops_as_linux_does);
  tcase_add_test(tc, test_tcp_emit_sends_four_sack_blocks_without_timestamps);
  tcase_add_test(tc, test_tcp_emit_fits_three_sack_blocks_next_to_timestamps);
  tcase_add_test(tc, test_tcp_opts_len_matches_emit_for_every_option_combination);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(tcp_suite());
}
