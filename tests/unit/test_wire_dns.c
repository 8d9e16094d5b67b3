/* DNS messages (RFC 1035).  The queries are what glibc 2.36's res_mkquery
 * builds (with the ID set to 0xbeef); the replies are what dnsmasq 2.90
 * sent back to them, so neither comes from mynet's own code. */
#include "wire/dns.h"
#include "wire_golden.h"

#include <errno.h>
#include <stdio.h>

/* web.test A */
GOLDEN query_web_a[] = {0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0x03, 0x77, 0x65, 0x62, 0x04, 0x74,
                        0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01};
/* alias.test AAAA */
GOLDEN query_alias_aaaa[] = {0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x05, 0x61, 0x6c, 0x69, 0x61, 0x73, 0x04, 0x74,
                             0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01};
/* 1.2.0.192.in-addr.arpa PTR */
GOLDEN query_ptr[] = {0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x01, 0x31, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31,
                      0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72,
                      0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01};
/* web.test A 192.0.2.1, the owner compressed to the question (c00c) */
GOLDEN reply_web_a[] = {0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
                        0x00, 0x03, 0x77, 0x65, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00,
                        0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
                        0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01};
/* alias.test CNAME web.test, web.test A 192.0.2.1: the A record's owner
 * points into the CNAME's data (c028) */
GOLDEN reply_alias_a[] = {0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
                          0x00, 0x05, 0x61, 0x6c, 0x69, 0x61, 0x73, 0x04, 0x74, 0x65, 0x73,
                          0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00,
                          0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x03, 0x77, 0x65, 0x62,
                          0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0xc0, 0x28, 0x00, 0x01, 0x00,
                          0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01};
/* web6.test AAAA 2001:db8::1 */
GOLDEN reply_web6_aaaa[] = {0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
                            0x00, 0x04, 0x77, 0x65, 0x62, 0x36, 0x04, 0x74, 0x65, 0x73, 0x74,
                            0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
/* nope.test A: NXDOMAIN, no records */
GOLDEN reply_nxdomain[] = {0xbe, 0xef, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x04, 0x6e, 0x6f, 0x70, 0x65, 0x04,
                           0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01};
/* web.test AAAA: no error, no records (NODATA) */
GOLDEN reply_nodata[] = {0xbe, 0xef, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00,
                         0x00, 0x00, 0x00, 0x03, 0x77, 0x65, 0x62, 0x04, 0x74,
                         0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01};
/* alias.test AAAA: the CNAME alone, no AAAA at its end */
GOLDEN reply_alias_cname_only[] = {0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                   0x00, 0x00, 0x05, 0x61, 0x6c, 0x69, 0x61, 0x73, 0x04, 0x74,
                                   0x65, 0x73, 0x74, 0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c,
                                   0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
                                   0x03, 0x77, 0x65, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00};
/* 1.2.0.192.in-addr.arpa PTR web.test */
GOLDEN reply_ptr[] = {0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
                      0x31, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d,
                      0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00,
                      0x01, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
                      0x03, 0x77, 0x65, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00};

#define LEN(a) sizeof(a)

static struct mn_dns_reply parse_ok(const uint8_t *msg, size_t len)
{
  struct mn_dns_reply r;
  uint8_t *b = dup_exact(msg, len);
  enum mn_parse e = mn_dns_reply_parse(b, len, &r);
  free(b);
  ck_assert_msg(e == MN_PARSE_OK, "reply parse: %s", mn_parse_str(e));
  return r;
}

/* --- queries ----------------------------------------------------------- */

START_TEST(test_dns_query_emit_matches_glibc_res_mkquery)
{
  uint8_t out[512];
  int n = mn_dns_query_emit(out, sizeof out, 0xbeef, "web.test", MN_DNS_TYPE_A);
  ck_assert_int_eq(n, (int)LEN(query_web_a));
  ck_assert_mem_eq(out, query_web_a, LEN(query_web_a));
  n = mn_dns_query_emit(out, sizeof out, 0xbeef, "alias.test", MN_DNS_TYPE_AAAA);
  ck_assert_int_eq(n, (int)LEN(query_alias_aaaa));
  ck_assert_mem_eq(out, query_alias_aaaa, LEN(query_alias_aaaa));
  n = mn_dns_query_emit(out, sizeof out, 0xbeef, "1.2.0.192.in-addr.arpa.", MN_DNS_TYPE_PTR);
  ck_assert_int_eq(n, (int)LEN(query_ptr));
  ck_assert_mem_eq(out, query_ptr, LEN(query_ptr));
}
END_TEST

START_TEST(test_dns_query_golden_reads_back)
{
  struct mn_dns_hdr h;
  ck_assert_int_eq(mn_dns_hdr_parse(query_ptr, LEN(query_ptr), &h), MN_PARSE_OK);
  ck_assert_uint_eq(h.id, 0xbeef);
  ck_assert_uint_eq(h.flags, MN_DNS_RD);
  ck_assert_uint_eq(h.qdcount, 1);
  ck_assert_uint_eq(h.ancount + h.nscount + h.arcount, 0);
  struct mn_dns_question q;
  size_t next;
  ck_assert_int_eq(mn_dns_question_read(query_ptr, LEN(query_ptr), MN_DNS_HDR_LEN, &q, &next),
                   MN_PARSE_OK);
  ck_assert_str_eq(q.name, "1.2.0.192.in-addr.arpa");
  ck_assert_uint_eq(q.type, MN_DNS_TYPE_PTR);
  ck_assert_uint_eq(q.cls, MN_DNS_CLASS_IN);
  ck_assert_uint_eq(next, LEN(query_ptr));
}
END_TEST

START_TEST(test_dns_query_rejects_every_truncation)
{
  struct mn_dns_question q;
  size_t next;
  for (size_t n = MN_DNS_HDR_LEN; n < LEN(query_web_a); n++) {
    uint8_t *b = dup_exact(query_web_a, n);
    ck_assert_msg(mn_dns_question_read(b, n, MN_DNS_HDR_LEN, &q, &next) == MN_PARSE_TRUNCATED,
                  "len %zu", n);
    free(b);
  }
  struct mn_dns_hdr h;
  for (size_t n = 0; n < MN_DNS_HDR_LEN; n++)
    ck_assert_int_eq(mn_dns_hdr_parse(query_web_a, n, &h), MN_PARSE_TRUNCATED);
}
END_TEST

START_TEST(test_dns_header_emit_reproduces_golden_headers)
{
  const uint8_t *msgs[] = {reply_web_a, reply_nxdomain, reply_alias_a, query_ptr};
  for (size_t i = 0; i < 4; i++) {
    struct mn_dns_hdr h;
    ck_assert_int_eq(mn_dns_hdr_parse(msgs[i], MN_DNS_HDR_LEN, &h), MN_PARSE_OK);
    uint8_t out[MN_DNS_HDR_LEN];
    mn_dns_hdr_emit(&h, out);
    ck_assert_mem_eq(out, msgs[i], MN_DNS_HDR_LEN);
  }
}
END_TEST

START_TEST(test_dns_name_encode_checks_labels_and_lengths)
{
  uint8_t out[300];
  ck_assert_int_eq(mn_dns_name_encode("", out, sizeof out), 1);
  ck_assert_int_eq(mn_dns_name_encode(".", out, sizeof out), 1);
  ck_assert_uint_eq(out[0], 0);
  ck_assert_int_eq(mn_dns_name_encode("a.", out, sizeof out), 3);
  ck_assert_int_eq(mn_dns_name_encode("a", out, sizeof out), 3);
  ck_assert_mem_eq(out, "\001a\000", 3);
  static const char *const bad[] = {"a..b", "..", ".a", "a..", "a b", "a\\.b", "a\tb", "\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(mn_dns_name_encode(bad[i], out, sizeof out) == -EINVAL, "'%s'", bad[i]);
  char label[70];
  memset(label, 'x', 63);
  label[63] = 0;
  ck_assert_int_eq(mn_dns_name_encode(label, out, sizeof out), 65);
  label[63] = 'x';
  label[64] = 0;
  ck_assert_int_eq(mn_dns_name_encode(label, out, sizeof out), -EINVAL);
  /* 253 characters make 255 octets, the most a name may have. */
  char name[300];
  memset(name, 'a', 253);
  for (int i = 1; i < 253; i += 2)
    name[i] = '.';
  name[253] = 0;
  ck_assert_int_eq(mn_dns_name_encode(name, out, sizeof out), 255);
  name[253] = 'a';
  name[254] = 0;
  ck_assert_int_eq(mn_dns_name_encode(name, out, sizeof out), -EINVAL);
  ck_assert_int_eq(mn_dns_name_encode("web.test", out, 9), -EMSGSIZE);
  ck_assert_int_eq(mn_dns_name_encode("web.test", out, 10), 10);
}
END_TEST

/* --- names in messages ------------------------------------------------- */

START_TEST(test_dns_name_read_follows_pointers_and_reports_the_end)
{
  char text[MN_DNS_TEXT_MAX];
  size_t next;
  /* The A record's owner: c028 -> "web" "test" inside the CNAME's data. */
  ck_assert_int_eq(mn_dns_name_read(reply_alias_a, LEN(reply_alias_a), 50, text, &next),
                   MN_PARSE_OK);
  ck_assert_str_eq(text, "web.test");
  ck_assert_uint_eq(next, 52);
  ck_assert(mn_dns_name_equal("Web.TEST", "web.test"));
  ck_assert(!mn_dns_name_equal("web.test", "web.tes"));
  ck_assert(!mn_dns_name_equal("web.tes", "web.test"));
}
END_TEST

START_TEST(test_dns_name_read_rejects_loops_and_forward_pointers)
{
  char text[MN_DNS_TEXT_MAX];
  size_t next;
  uint8_t m[32] = {0};
  /* A pointer to itself. */
  m[12] = 0xc0;
  m[13] = 12;
  ck_assert_int_eq(mn_dns_name_read(m, 14, 12, text, &next), MN_PARSE_BAD_NAME);
  /* A label, then a pointer back to that label: "a.a.a..." for ever. */
  uint8_t l[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12};
  ck_assert_int_eq(mn_dns_name_read(l, sizeof l, 12, text, &next), MN_PARSE_BAD_NAME);
  /* Two pointers to each other. */
  uint8_t two[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12};
  ck_assert_int_eq(mn_dns_name_read(two, sizeof two, 12, text, &next), MN_PARSE_BAD_NAME);
  ck_assert_int_eq(mn_dns_name_read(two, sizeof two, 14, text, &next), MN_PARSE_BAD_NAME);
  /* Forward, even to a well-formed name. */
  uint8_t fwd[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0};
  ck_assert_int_eq(mn_dns_name_read(fwd, sizeof fwd, 12, text, &next), MN_PARSE_BAD_NAME);
  /* Backwards through a chain of pointers is fine. */
  uint8_t chain[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 1, 'b', 0xc0, 12, 0xc0, 15};
  ck_assert_int_eq(mn_dns_name_read(chain, sizeof chain, 19, text, &next), MN_PARSE_OK);
  ck_assert_str_eq(text, "b.a");
  ck_assert_uint_eq(next, 21);
}
END_TEST

START_TEST(test_dns_name_read_rejects_reserved_labels_and_long_names)
{
  char text[MN_DNS_TEXT_MAX];
  size_t next;
  uint8_t m[300] = {0};
  m[12] = 0x40;
  ck_assert_int_eq(mn_dns_name_read(m, sizeof m, 12, text, &next), MN_PARSE_BAD_NAME);
  m[12] = 0x80;
  ck_assert_int_eq(mn_dns_name_read(m, sizeof m, 12, text, &next), MN_PARSE_BAD_NAME);
  /* 127 labels of one byte and the root: 255 octets, accepted. */
  for (int i = 0; i < 127; i++) {
    m[12 + 2 * i] = 1;
    m[13 + 2 * i] = 'a';
  }
  m[12 + 254] = 0;
  ck_assert_int_eq(mn_dns_name_read(m, sizeof m, 12, text, &next), MN_PARSE_OK);
  ck_assert_uint_eq(strlen(text), 253);
  ck_assert_uint_eq(next, 12 + 255);
  /* One more label: 257 octets. */
  m[12 + 254] = 1;
  m[12 + 255] = 'a';
  m[12 + 256] = 0;
  ck_assert_int_eq(mn_dns_name_read(m, sizeof m, 12, text, &next), MN_PARSE_BAD_NAME);
}
END_TEST

START_TEST(test_dns_name_read_reports_unprintable_labels_with_their_end)
{
  char text[MN_DNS_TEXT_MAX];
  size_t next = 0;
  static const uint8_t labels[][4] = {
      {3, 'a', '.', 'b'}, {3, 'a', ' ', 'b'}, {3, 'a', 0xc3, 'b'}, {3, 'a', '\\', 'b'}};
  for (size_t i = 0; i < 4; i++) {
    uint8_t m[MN_DNS_HDR_LEN + 5] = {0};
    memcpy(m + MN_DNS_HDR_LEN, labels[i], 4);
    ck_assert_int_eq(mn_dns_name_read(m, sizeof m, MN_DNS_HDR_LEN, text, &next),
                     MN_PARSE_UNSUPPORTED);
    ck_assert_str_eq(text, "");
    ck_assert_uint_eq(next, sizeof m);
  }
}
END_TEST

/* --- replies ----------------------------------------------------------- */

START_TEST(test_dns_reply_a_record)
{
  struct mn_dns_reply r = parse_ok(reply_web_a, LEN(reply_web_a));
  ck_assert_uint_eq(r.hdr.id, 0xbeef);
  ck_assert_uint_eq(r.rcode, MN_DNS_RCODE_NOERROR);
  ck_assert(r.hdr.flags & MN_DNS_AA);
  ck_assert(!r.truncated);
  ck_assert_str_eq(r.q.name, "web.test");
  ck_assert_uint_eq(r.q.type, MN_DNS_TYPE_A);
  ck_assert_str_eq(r.canon, "web.test");
  ck_assert_int_eq(r.naliases, 0);
  ck_assert_int_eq(r.naddrs, 1);
  ck_assert_mem_eq(r.addrs[0], "\xc0\x00\x02\x01", 4);
  ck_assert_int_eq(r.nskipped, 0);
}
END_TEST

START_TEST(test_dns_reply_follows_a_cname_to_the_address)
{
  struct mn_dns_reply r = parse_ok(reply_alias_a, LEN(reply_alias_a));
  ck_assert_str_eq(r.canon, "web.test");
  ck_assert_int_eq(r.naliases, 1);
  ck_assert_str_eq(r.aliases[0], "alias.test");
  ck_assert_int_eq(r.naddrs, 1);
  ck_assert_mem_eq(r.addrs[0], "\xc0\x00\x02\x01", 4);
  ck_assert_int_eq(r.nskipped, 0);
}
END_TEST

START_TEST(test_dns_reply_aaaa_record)
{
  struct mn_dns_reply r = parse_ok(reply_web6_aaaa, LEN(reply_web6_aaaa));
  ck_assert_uint_eq(r.q.type, MN_DNS_TYPE_AAAA);
  ck_assert_int_eq(r.naddrs, 1);
  ck_assert_mem_eq(r.addrs[0], "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
}
END_TEST

START_TEST(test_dns_reply_nxdomain_nodata_and_cname_without_address)
{
  struct mn_dns_reply r = parse_ok(reply_nxdomain, LEN(reply_nxdomain));
  ck_assert_uint_eq(r.rcode, MN_DNS_RCODE_NXDOMAIN);
  ck_assert_int_eq(r.naddrs, 0);
  r = parse_ok(reply_nodata, LEN(reply_nodata));
  ck_assert_uint_eq(r.rcode, MN_DNS_RCODE_NOERROR);
  ck_assert_uint_eq(r.hdr.ancount, 0);
  ck_assert_int_eq(r.naddrs, 0);
  r = parse_ok(reply_alias_cname_only, LEN(reply_alias_cname_only));
  ck_assert_uint_eq(r.hdr.ancount, 1);
  ck_assert_int_eq(r.naddrs, 0);
  ck_assert_str_eq(r.canon, "web.test");
  ck_assert_str_eq(r.aliases[0], "alias.test");
}
END_TEST

START_TEST(test_dns_reply_ptr_record)
{
  struct mn_dns_reply r = parse_ok(reply_ptr, LEN(reply_ptr));
  ck_assert_uint_eq(r.q.type, MN_DNS_TYPE_PTR);
  ck_assert_int_eq(r.nptrs, 1);
  ck_assert_str_eq(r.ptrs[0], "web.test");
}
END_TEST

START_TEST(test_dns_reply_rejects_every_truncation)
{
  const struct {
    const uint8_t *m;
    size_t n;
  } replies[] = {
      {reply_web_a, LEN(reply_web_a)},
      {reply_alias_a, LEN(reply_alias_a)},
      {reply_web6_aaaa, LEN(reply_web6_aaaa)},
      {reply_nxdomain, LEN(reply_nxdomain)},
      {reply_ptr, LEN(reply_ptr)},
      {reply_alias_cname_only, LEN(reply_alias_cname_only)},
  };
  for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
    for (size_t n = 0; n < replies[i].n; n++) {
      struct mn_dns_reply r;
      uint8_t *b = dup_exact(replies[i].m, n);
      enum mn_parse e = mn_dns_reply_parse(b, n, &r);
      free(b);
      ck_assert_msg(e == MN_PARSE_TRUNCATED, "reply %zu cut to %zu: %s", i, n, mn_parse_str(e));
    }
  }
}
END_TEST

START_TEST(test_dns_reply_with_tc_is_read_up_to_the_question)
{
  /* A server that cut its answer sets TC; whatever follows the question
   * may be incomplete and is not read. */
  uint8_t m[LEN(reply_alias_a)];
  memcpy(m, reply_alias_a, sizeof m);
  m[2] |= MN_DNS_TC >> 8;
  struct mn_dns_reply r = parse_ok(m, 40);
  ck_assert(r.truncated);
  ck_assert_str_eq(r.q.name, "alias.test");
  ck_assert_int_eq(r.naddrs, 0);
  struct mn_dns_reply bad;
  ck_assert_int_eq(mn_dns_reply_parse(m, 20, &bad), MN_PARSE_TRUNCATED);
}
END_TEST

START_TEST(test_dns_reply_rejects_queries_and_other_opcodes)
{
  struct mn_dns_reply r;
  ck_assert_int_eq(mn_dns_reply_parse(query_web_a, LEN(query_web_a), &r), MN_PARSE_UNSUPPORTED);
  uint8_t m[LEN(reply_web_a)];
  memcpy(m, reply_web_a, sizeof m);
  m[2] |= 0x10; /* opcode 2, STATUS */
  ck_assert_int_eq(mn_dns_reply_parse(m, sizeof m, &r), MN_PARSE_UNSUPPORTED);
  memcpy(m, reply_web_a, sizeof m);
  m[5] = 2; /* two questions */
  ck_assert_int_eq(mn_dns_reply_parse(m, sizeof m, &r), MN_PARSE_UNSUPPORTED);
  m[5] = 0;
  ck_assert_int_eq(mn_dns_reply_parse(m, sizeof m, &r), MN_PARSE_UNSUPPORTED);
}
END_TEST

/* A reply built by hand: question a.test A, then the records given. */
struct builder {
  uint8_t m[4096];
  size_t n;
  uint16_t ancount;
};

static void b_init(struct builder *b, const char *qname, uint16_t qtype)
{
  memset(b, 0, sizeof(*b));
  struct mn_dns_hdr h = {.id = 1, .flags = MN_DNS_QR | MN_DNS_RD | MN_DNS_RA, .qdcount = 1};
  mn_dns_hdr_emit(&h, b->m);
  b->n = MN_DNS_HDR_LEN;
  int k = mn_dns_name_encode(qname, b->m + b->n, sizeof b->m - b->n);
  ck_assert_int_gt(k, 0);
  b->n += (size_t)k;
  b->m[b->n++] = (uint8_t)(qtype >> 8);
  b->m[b->n++] = (uint8_t)qtype;
  b->m[b->n++] = 0;
  b->m[b->n++] = 1;
}

static void b_rr(struct builder *b, const char *owner, uint16_t type, const void *data,
                 uint16_t len)
{
  int k = mn_dns_name_encode(owner, b->m + b->n, sizeof b->m - b->n);
  ck_assert_int_gt(k, 0);
  b->n += (size_t)k;
  uint8_t fixed[10] = {(uint8_t)(type >> 8), (uint8_t)type, 0, 1, 0, 0, 0, 60,
                       (uint8_t)(len >> 8),  (uint8_t)len};
  memcpy(b->m + b->n, fixed, 10);
  memcpy(b->m + b->n + 10, data, len);
  b->n += 10u + len;
  b->ancount++;
  b->m[6] = (uint8_t)(b->ancount >> 8);
  b->m[7] = (uint8_t)b->ancount;
}

static void b_cname(struct builder *b, const char *owner, const char *target)
{
  uint8_t t[256];
  int k = mn_dns_name_encode(target, t, sizeof t);
  b_rr(b, owner, MN_DNS_TYPE_CNAME, t, (uint16_t)k);
}

START_TEST(test_dns_reply_chain_in_any_order_and_case)
{
  struct builder b;
  b_init(&b, "a.test", MN_DNS_TYPE_A);
  b_rr(&b, "C.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x01", 4);
  b_cname(&b, "b.test", "c.test");
  b_rr(&b, "c.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x02", 4);
  b_cname(&b, "A.TEST", "b.test");
  b_rr(&b, "a.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x09", 4); /* not the end of the chain */
  struct mn_dns_reply r = parse_ok(b.m, b.n);
  ck_assert_str_eq(r.canon, "c.test");
  ck_assert_int_eq(r.naliases, 2);
  ck_assert_str_eq(r.aliases[0], "a.test");
  ck_assert_str_eq(r.aliases[1], "b.test");
  ck_assert_int_eq(r.naddrs, 2);
  ck_assert_mem_eq(r.addrs[0], "\x0a\x00\x00\x01", 4);
  ck_assert_mem_eq(r.addrs[1], "\x0a\x00\x00\x02", 4);
  ck_assert_int_eq(r.nskipped, 1);
}
END_TEST

START_TEST(test_dns_reply_cname_loop_and_long_chain_end)
{
  struct builder b;
  b_init(&b, "a.test", MN_DNS_TYPE_A);
  b_cname(&b, "a.test", "b.test");
  b_cname(&b, "b.test", "a.test");
  struct mn_dns_reply r = parse_ok(b.m, b.n);
  ck_assert_str_eq(r.canon, "b.test");
  ck_assert_int_eq(r.naliases, 1);
  ck_assert_int_eq(r.naddrs, 0);

  b_init(&b, "n0.test", MN_DNS_TYPE_A);
  char owner[16], target[16];
  for (int i = 0; i < MN_DNS_MAX_ALIASES + 4; i++) {
    snprintf(owner, sizeof owner, "n%d.test", i);
    snprintf(target, sizeof target, "n%d.test", i + 1);
    b_cname(&b, owner, target);
  }
  r = parse_ok(b.m, b.n);
  ck_assert_int_eq(r.naliases, MN_DNS_MAX_ALIASES);
  snprintf(target, sizeof target, "n%d.test", MN_DNS_MAX_ALIASES);
  ck_assert_str_eq(r.canon, target);
}
END_TEST

START_TEST(test_dns_reply_skips_wrong_lengths_classes_and_bad_owners)
{
  struct builder b;
  b_init(&b, "a.test", MN_DNS_TYPE_A);
  b_rr(&b, "a.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x01\x00", 5);
  b_rr(&b, "a.test", MN_DNS_TYPE_AAAA, "0123456789abcdef", 16);
  b_rr(&b, "other.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x03", 4);
  b_rr(&b, "a.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x04", 4);
  b.m[b.n - 4 - 10 + 3] = 3; /* the last record's class: CHAOS */
  /* An owner with a space in its label, hand-made. */
  static const uint8_t odd[] = {3, 'a', ' ', 'b', 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 5};
  memcpy(b.m + b.n, odd, sizeof odd);
  b.n += sizeof odd;
  b.ancount++;
  b.m[7] = (uint8_t)b.ancount;
  b_rr(&b, "a.test", MN_DNS_TYPE_A, "\x0a\x00\x00\x06", 4);
  struct mn_dns_reply r = parse_ok(b.m, b.n);
  ck_assert_int_eq(r.naddrs, 1);
  ck_assert_mem_eq(r.addrs[0], "\x0a\x00\x00\x06", 4);
  ck_assert_int_eq(r.nskipped, 5);
}
END_TEST

START_TEST(test_dns_reply_caps_addresses)
{
  struct builder b;
  b_init(&b, "a.test", MN_DNS_TYPE_A);
  for (int i = 0; i < MN_DNS_MAX_ADDRS + 3; i++) {
    uint8_t a[4] = {10, 0, 0, (uint8_t)i};
    b_rr(&b, "a.test", MN_DNS_TYPE_A, a, 4);
  }
  struct mn_dns_reply r = parse_ok(b.m, b.n);
  ck_assert_int_eq(r.naddrs, MN_DNS_MAX_ADDRS);
  ck_assert_int_eq(r.nskipped, 3);
  ck_assert_uint_eq(r.addrs[MN_DNS_MAX_ADDRS - 1][3], MN_DNS_MAX_ADDRS - 1);
}
END_TEST

START_TEST(test_dns_reply_ptr_data_must_be_exactly_a_name)
{
  struct builder b;
  b_init(&b, "1.0.0.10.in-addr.arpa", MN_DNS_TYPE_PTR);
  b_rr(&b, "1.0.0.10.in-addr.arpa", MN_DNS_TYPE_PTR, "\x01x\x00\x00", 4);
  b_rr(&b, "1.0.0.10.in-addr.arpa", MN_DNS_TYPE_PTR, "\x01y\x00", 3);
  struct mn_dns_reply r = parse_ok(b.m, b.n);
  ck_assert_int_eq(r.nptrs, 1);
  ck_assert_str_eq(r.ptrs[0], "y");
  ck_assert_int_eq(r.nskipped, 1);
}
END_TEST

static Suite *dns_suite(void)
{
  Suite *s = suite_create("wire_dns");
  TCase *tc = tcase_create("dns");
  tcase_add_test(tc, test_dns_query_emit_matches_glibc_res_mkquery);
  tcase_add_test(tc, test_dns_query_golden_reads_back);
  tcase_add_test(tc, test_dns_query_rejects_every_truncation);
  tcase_add_test(tc, test_dns_header_emit_reproduces_golden_headers);
  tcase_add_test(tc, test_dns_name_encode_checks_labels_and_lengths);
  tcase_add_test(tc, test_dns_name_read_follows_pointers_and_reports_the_end);
  tcase_add_test(tc, test_dns_name_read_rejects_loops_and_forward_pointers);
  tcase_add_test(tc, test_dns_name_read_rejects_reserved_labels_and_long_names);
  tcase_add_test(tc, test_dns_name_read_reports_unprintable_labels_with_their_end);
  tcase_add_test(tc, test_dns_reply_a_record);
  tcase_add_test(tc, test_dns_reply_follows_a_cname_to_the_address);
  tcase_add_test(tc, test_dns_reply_aaaa_record);
  tcase_add_test(tc, test_dns_reply_nxdomain_nodata_and_cname_without_address);
  tcase_add_test(tc, test_dns_reply_ptr_record);
  tcase_add_test(tc, test_dns_reply_rejects_every_truncation);
  tcase_add_test(tc, test_dns_reply_with_tc_is_read_up_to_the_question);
  tcase_add_test(tc, test_dns_reply_rejects_queries_and_other_opcodes);
  tcase_add_test(tc, test_dns_reply_chain_in_any_order_and_case);
  tcase_add_test(tc, test_dns_reply_cname_loop_and_long_chain_end);
  tcase_add_test(tc, test_dns_reply_skips_wrong_lengths_classes_and_bad_owners);
  tcase_add_test(tc, test_dns_reply_caps_addresses);
  tcase_add_test(tc, test_dns_reply_ptr_data_must_be_exactly_a_name);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(dns_suite());
}
