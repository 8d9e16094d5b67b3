/* Name resolution's pure parts: /etc/hosts and resolv.conf text, the
 * search list, and what replies mean.  Where an expectation says "glibc",
 * it is what glibc 2.36 printed for the same input on Debian 12 (a probe
 * calling gethostbyname2, gethostbyaddr and getaddrinfo with the file
 * bind-mounted over /etc/hosts or /etc/resolv.conf). */
#include "helpers/run.h"
#include <mynet/names.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char hosts_text[] = "# comment\n"
                                 "127.0.0.1 localhost\n"
                                 "192.0.2.10   Multi.test  m1 m2   # trailing comment\n"
                                 "192.0.2.11 other.test multi.test\n"
                                 "192.0.2.10 multi.test\n"
                                 "2001:db8::10 multi.test six\n"
                                 "bogus line here\n"
                                 "192.0.2.12\n"
                                 "192.0.2.13\tweb.test\r\n"
                                 "::ffff:192.0.2.14 mapped.test\n"
                                 "fe80::1%eth0 scoped.test";

static void expect_v4(const struct mynet_host *h, int i, const char *text)
{
  struct in_addr a;
  inet_pton(AF_INET, text, &a);
  ck_assert_int_eq(h->addrs[i].family, AF_INET);
  ck_assert_mem_eq(h->addrs[i].bytes, &a, 4);
}

static void expect_v6(const struct mynet_host *h, int i, const char *text)
{
  struct in6_addr a;
  inet_pton(AF_INET6, text, &a);
  ck_assert_int_eq(h->addrs[i].family, AF_INET6);
  ck_assert_mem_eq(h->addrs[i].bytes, &a, 16);
}

static int hosts(const char *name, int family, struct mynet_host *h)
{
  return mynet_hosts_by_name(hosts_text, strlen(hosts_text), name, family, h);
}

/* --- /etc/hosts -------------------------------------------------------- */

START_TEST(test_hosts_merges_every_line_of_a_name_as_glibc_multi_on)
{
  struct mynet_host h;
  ck_assert_int_eq(hosts("multi.test", AF_INET, &h), 3);
  ck_assert_str_eq(h.name, "Multi.test");
  const char *aliases[] = {"m1", "m2", "multi.test", "other.test", "multi.test"};
  ck_assert_int_eq(h.naliases, 5);
  for (int i = 0; i < 5; i++)
    ck_assert_str_eq(h.aliases[i], aliases[i]);
  expect_v4(&h, 0, "192.0.2.10");
  expect_v4(&h, 1, "192.0.2.11");
  expect_v4(&h, 2, "192.0.2.10");
}
END_TEST

START_TEST(test_hosts_matches_aliases_without_regard_to_case)
{
  struct mynet_host h;
  ck_assert_int_eq(hosts("M2", AF_INET, &h), 1);
  ck_assert_str_eq(h.name, "Multi.test");
  ck_assert_int_eq(h.naliases, 2);
  expect_v4(&h, 0, "192.0.2.10");
  ck_assert_int_eq(hosts("web.test", AF_INET, &h), 1); /* tab and CRLF */
  expect_v4(&h, 0, "192.0.2.13");
  ck_assert_int_eq(hosts("m", AF_INET, &h), 0);
  ck_assert_int_eq(hosts("here", AF_INET, &h), 0);
}
END_TEST

START_TEST(test_hosts_takes_the_family_asked_for)
{
  struct mynet_host h;
  ck_assert_int_eq(hosts("multi.test", AF_INET6, &h), 1);
  ck_assert_str_eq(h.name, "multi.test");
  ck_assert_int_eq(h.naliases, 1);
  ck_assert_str_eq(h.aliases[0], "six");
  expect_v6(&h, 0, "2001:db8::10");
  ck_assert_int_eq(hosts("m2", AF_INET6, &h), 0);
  ck_assert_int_eq(hosts("six", AF_INET, &h), 0);
  /* getaddrinfo's view: both families in file order. */
  ck_assert_int_eq(hosts("multi.test", AF_UNSPEC, &h), 4);
  ck_assert_str_eq(h.name, "Multi.test");
  expect_v6(&h, 3, "2001:db8::10");
}
END_TEST

START_TEST(test_hosts_reads_ipv4_mapped_lines_as_ipv4_for_af_inet)
{
  struct mynet_host h;
  ck_assert_int_eq(hosts("mapped.test", AF_INET, &h), 1);
  expect_v4(&h, 0, "192.0.2.14");
  ck_assert_int_eq(hosts("mapped.test", AF_INET6, &h), 1);
  expect_v6(&h, 0, "::ffff:192.0.2.14");
  ck_assert_int_eq(hosts("mapped.test", AF_UNSPEC, &h), 1);
  expect_v6(&h, 0, "::ffff:192.0.2.14");
  ck_assert_int_eq(hosts("scoped.test", AF_INET6, &h), 1);
  expect_v6(&h, 0, "fe80::1");
}
END_TEST

START_TEST(test_hosts_by_address_takes_the_first_line)
{
  struct mynet_host h;
  uint8_t a[4] = {192, 0, 2, 10};
  ck_assert_int_eq(mynet_hosts_by_addr(hosts_text, strlen(hosts_text), AF_INET, a, &h), 1);
  ck_assert_str_eq(h.name, "Multi.test");
  ck_assert_int_eq(h.naliases, 2);
  uint8_t b[4] = {192, 0, 2, 12}; /* a line without a name is no entry */
  ck_assert_int_eq(mynet_hosts_by_addr(hosts_text, strlen(hosts_text), AF_INET, b, &h), 0);
  struct in6_addr six;
  inet_pton(AF_INET6, "2001:db8::10", &six);
  ck_assert_int_eq(mynet_hosts_by_addr(hosts_text, strlen(hosts_text), AF_INET6, &six, &h), 1);
  ck_assert_str_eq(h.name, "multi.test");
  ck_assert_int_eq(mynet_hosts_by_addr(NULL, 0, AF_INET, a, &h), 0);
}
END_TEST

START_TEST(test_hosts_survives_odd_text)
{
  struct mynet_host h;
  static const char *const texts[] = {"",           "\n\n",        "#",           "192.0.2.1",
                                      "192.0.2.1 ", "1.2.3.4.5 x", "300.1.1.1 x", "192.0.2.010 x",
                                      "x 192.0.2.1"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    ck_assert_int_eq(mynet_hosts_by_name(texts[i], strlen(texts[i]), "x", AF_UNSPEC, &h), 0);
  /* Caps hold on a long line and many lines. */
  char big[20000];
  size_t n = 0;
  n += (size_t)snprintf(big + n, sizeof big - n, "10.0.0.1 many");
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, " alias%d", i);
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "\n10.0.1.%d many", i);
  ck_assert_int_eq(mynet_hosts_by_name(big, n, "many", AF_INET, &h), MYNET_HOST_MAX_ADDRS);
  ck_assert_int_eq(h.naliases, MYNET_HOST_MAX_ALIASES);
  ck_assert_int_eq(mynet_hosts_by_name(big, n, "alias62", AF_INET, &h), 1);
}
END_TEST

/* --- resolv.conf ------------------------------------------------------- */

static struct mynet_resolv_conf rconf(const char *text, const char *localdomain,
                                      const char *res_options, const char *hostname)
{
  struct mynet_resolv_conf rc;
  mynet_resolv_conf_parse(text, text ? strlen(text) : 0, localdomain, res_options, hostname, &rc);
  return rc;
}

START_TEST(test_resolv_conf_defaults_without_a_file)
{
  struct mynet_resolv_conf rc = rconf(NULL, NULL, NULL, "vm");
  ck_assert(!rc.has_nameserver);
  ck_assert_int_eq(rc.nsearch, 0);
  ck_assert_int_eq(rc.ndots, 1);
  ck_assert_int_eq(rc.timeout, 5);
  ck_assert_int_eq(rc.attempts, 2);
  ck_assert_uint_eq(rc.options, 0);
  rc = rconf(NULL, NULL, NULL, "vm.example.org");
  ck_assert_int_eq(rc.nsearch, 1);
  ck_assert_str_eq(rc.search[0], "example.org");
}
END_TEST

START_TEST(test_resolv_conf_reads_servers_search_and_options)
{
  struct mynet_resolv_conf rc = rconf("; comment\n"
                                      "# nameserver 10.9.9.9\n"
                                      "nameserver 2001:db8::53\n"
                                      "nameserver\t192.0.2.53  # the first IPv4 one\n"
                                      "nameserver 192.0.2.54\n"
                                      "domain first.test\n"
                                      "search a.test b.test\tc.test\n"
                                      "options ndots:2 timeout:3 attempts:4 rotate use-vc\n"
                                      "options single-request-reopen no-tld-query no-aaaa bogus\n",
                                      NULL, NULL, "vm.host.test");
  ck_assert(rc.has_nameserver);
  ck_assert_uint_eq(rc.nameserver, 0xc0000235);
  ck_assert_int_eq(rc.nsearch, 3);
  ck_assert_str_eq(rc.search[0], "a.test");
  ck_assert_str_eq(rc.search[2], "c.test");
  ck_assert_int_eq(rc.ndots, 2);
  ck_assert_int_eq(rc.timeout, 3);
  ck_assert_int_eq(rc.attempts, 4);
  ck_assert_uint_eq(rc.options, MYNET_RES_ROTATE | MYNET_RES_USE_VC | MYNET_RES_SINGLE_REQUEST |
                                    MYNET_RES_NO_TLD_QUERY | MYNET_RES_NO_AAAA);
  /* The last of domain and search wins; domain keeps one word. */
  rc = rconf("search a.test b.test\ndomain d.test e.test\n", NULL, NULL, NULL);
  ck_assert_int_eq(rc.nsearch, 1);
  ck_assert_str_eq(rc.search[0], "d.test");
  /* inet_aton's reading of a server, as glibc's. */
  rc = rconf("nameserver 10.1\n", NULL, NULL, NULL);
  ck_assert_uint_eq(rc.nameserver, 0x0a000001);
  /* A keyword needs a blank after it. */
  rc = rconf("nameserver192.0.2.1\nsearchx.test\n", NULL, NULL, NULL);
  ck_assert(!rc.has_nameserver);
  ck_assert_int_eq(rc.nsearch, 0);
}
END_TEST

START_TEST(test_resolv_conf_caps_options_as_glibc)
{
  struct mynet_resolv_conf rc =
      rconf("options ndots:99 timeout:99 attempts:99\n", NULL, NULL, NULL);
  ck_assert_int_eq(rc.ndots, 15);
  ck_assert_int_eq(rc.timeout, 30);
  ck_assert_int_eq(rc.attempts, 5);
  rc = rconf("options ndots: timeout:x attempts:0\n", NULL, NULL, NULL);
  ck_assert_int_eq(rc.ndots, 0);
  ck_assert_int_eq(rc.timeout, 0);
  ck_assert_int_eq(rc.attempts, 0);
}
END_TEST

START_TEST(test_resolv_conf_environment_overrides_the_file)
{
  struct mynet_resolv_conf rc = rconf("search a.test\noptions timeout:3 attempts:4\n",
                                      "env1.test env2.test", "timeout:1 attempts:1", "h.x.test");
  ck_assert_int_eq(rc.nsearch, 2);
  ck_assert_str_eq(rc.search[0], "env1.test");
  ck_assert_str_eq(rc.search[1], "env2.test");
  ck_assert_int_eq(rc.timeout, 1);
  ck_assert_int_eq(rc.attempts, 1);
  /* An empty LOCALDOMAIN is a search list of the root alone. */
  rc = rconf("search a.test\n", "", NULL, "h.x.test");
  ck_assert_int_eq(rc.nsearch, 1);
  ck_assert_str_eq(rc.search[0], "");
}
END_TEST

/* --- the search list --------------------------------------------------- */

START_TEST(test_dns_name_ok_is_glibc_res_hnok)
{
  static const char *const good[] = {
      "web.test", "web.test.", "a_b.test", "a-.test", "x", "0.1.2.3.in-addr.arpa", "xn--9ca.test"};
  static const char *const bad[] = {"",         ".",      "-a.test",  "a/b.test", "a..b",
                                    "a b.test", "*.test", "a!b.test", "a\\.b",    "\xc3\xa9.test",
                                    ".test",    "a.."};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    ck_assert_msg(mynet_dns_name_ok(good[i]), "'%s' refused", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(!mynet_dns_name_ok(bad[i]), "'%s' accepted", bad[i]);
  char label[80];
  memset(label, 'a', 63);
  label[63] = 0;
  ck_assert(mynet_dns_name_ok(label));
  label[63] = 'a';
  label[64] = 0;
  ck_assert(!mynet_dns_name_ok(label));
}
END_TEST

/* Walks a search, answering each candidate from a list of outcomes;
 * returns the candidates asked, separated by spaces. */
static int walk(const struct mynet_resolv_conf *rc, const char *name, const int *outcomes,
                const bool *unreachable, char *asked, size_t cap)
{
  struct mynet_dns_search s;
  mynet_dns_search_start(&s, rc, name);
  char cand[MYNET_NAME_MAX];
  asked[0] = 0;
  for (int i = 0; mynet_dns_search_next(&s, cand); i++) {
    ck_assert_int_lt(i, 16);
    snprintf(asked + strlen(asked), cap - strlen(asked), "%s%s", i ? " " : "", cand);
    mynet_dns_search_result(&s, outcomes[i], unreachable && unreachable[i]);
  }
  return mynet_dns_search_error(&s);
}

START_TEST(test_search_single_label_goes_through_the_list_then_as_is)
{
  struct mynet_resolv_conf rc = rconf("search a.test b.test\n", NULL, NULL, NULL);
  char asked[512];
  int nx[] = {HOST_NOT_FOUND, HOST_NOT_FOUND, HOST_NOT_FOUND};
  ck_assert_int_eq(walk(&rc, "www", nx, NULL, asked, sizeof asked), HOST_NOT_FOUND);
  ck_assert_str_eq(asked, "www.a.test www.b.test www");
  int second[] = {HOST_NOT_FOUND, 0};
  ck_assert_int_eq(walk(&rc, "www", second, NULL, asked, sizeof asked), 0);
  ck_assert_str_eq(asked, "www.a.test www.b.test");
  /* NO_DATA anywhere is the answer if nothing better came. */
  int nodata[] = {NO_DATA, HOST_NOT_FOUND, HOST_NOT_FOUND};
  ck_assert_int_eq(walk(&rc, "www", nodata, NULL, asked, sizeof asked), NO_DATA);
}
END_TEST

START_TEST(test_search_dotted_name_tries_as_is_first_and_keeps_its_outcome)
{
  struct mynet_resolv_conf rc = rconf("search a.test b.test\n", NULL, NULL, NULL);
  char asked[512];
  int nx[] = {NO_DATA, HOST_NOT_FOUND, HOST_NOT_FOUND};
  ck_assert_int_eq(walk(&rc, "www.x", nx, NULL, asked, sizeof asked), NO_DATA);
  ck_assert_str_eq(asked, "www.x www.x.a.test www.x.b.test");
  /* A final dot: that name and no other. */
  ck_assert_int_eq(walk(&rc, "www.x.", nx, NULL, asked, sizeof asked), NO_DATA);
  ck_assert_str_eq(asked, "www.x.");
  /* ndots:2 makes www.x a candidate for the list first. */
  rc = rconf("search a.test\noptions ndots:2\n", NULL, NULL, NULL);
  ck_assert_int_eq(walk(&rc, "www.x", nx, NULL, asked, sizeof asked), NO_DATA);
  ck_assert_str_eq(asked, "www.x.a.test www.x");
}
END_TEST

START_TEST(test_search_stops_on_failure_and_at_once_without_a_server)
{
  struct mynet_resolv_conf rc = rconf("search a.test b.test\n", NULL, NULL, NULL);
  char asked[512];
  /* A timeout ends the walk through the list, but the name as is is
   * still asked (glibc does the same). */
  int again[] = {TRY_AGAIN, TRY_AGAIN};
  ck_assert_int_eq(walk(&rc, "www", again, NULL, asked, sizeof asked), TRY_AGAIN);
  ck_assert_str_eq(asked, "www.a.test www");
  bool unreachable[] = {true, true};
  ck_assert_int_eq(walk(&rc, "www", again, unreachable, asked, sizeof asked), TRY_AGAIN);
  ck_assert_str_eq(asked, "www.a.test");
  /* For a dotted name the first try as is does not stop it. */
  ck_assert_int_eq(walk(&rc, "www.x", again, unreachable, asked, sizeof asked), TRY_AGAIN);
  ck_assert_str_eq(asked, "www.x www.x.a.test");
}
END_TEST

START_TEST(test_search_root_in_list_and_no_tld_query)
{
  struct mynet_resolv_conf rc = rconf("search . a.test\n", NULL, NULL, NULL);
  char asked[512];
  int nx[] = {HOST_NOT_FOUND, HOST_NOT_FOUND, HOST_NOT_FOUND};
  walk(&rc, "www", nx, NULL, asked, sizeof asked);
  ck_assert_str_eq(asked, "www. www.a.test");
  rc = rconf("search a.test\noptions no-tld-query\n", NULL, NULL, NULL);
  walk(&rc, "www", nx, NULL, asked, sizeof asked);
  ck_assert_str_eq(asked, "www.a.test");
  rc = rconf("", NULL, NULL, NULL);
  walk(&rc, "www", nx, NULL, asked, sizeof asked);
  ck_assert_str_eq(asked, "www");
}
END_TEST

START_TEST(test_search_skips_candidates_too_long_to_ask)
{
  char domain[MYNET_NAME_MAX];
  memset(domain, 'd', 60);
  for (int i = 60; i < 240; i += 60) {
    domain[i] = '.';
    memset(domain + i + 1, 'd', 59);
  }
  domain[239] = 0;
  char text[400];
  snprintf(text, sizeof text, "search %s ok.test\n", domain);
  struct mynet_resolv_conf rc = rconf(text, NULL, NULL, NULL);
  char asked[1024];
  int nx[] = {HOST_NOT_FOUND, HOST_NOT_FOUND, HOST_NOT_FOUND};
  /* Too long with the first domain: NO_RECOVERY ends the list walk. */
  ck_assert_int_eq(walk(&rc, "averyveryverylongname", nx, NULL, asked, sizeof asked),
                   HOST_NOT_FOUND);
  ck_assert_str_eq(asked, "averyveryverylongname");
}
END_TEST

/* --- queries and answers ----------------------------------------------- */

START_TEST(test_ptr_names_for_both_families)
{
  char out[MYNET_NAME_MAX];
  uint8_t v4[4] = {192, 0, 2, 1};
  mynet_dns_ptr_name(AF_INET, v4, out);
  ck_assert_str_eq(out, "1.2.0.192.in-addr.arpa");
  struct in6_addr a;
  inet_pton(AF_INET6, "2001:db8::567:89ab", &a);
  mynet_dns_ptr_name(AF_INET6, &a, out);
  ck_assert_str_eq(out, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  inet_pton(AF_INET6, "::ffff:192.0.2.1", &a);
  mynet_dns_ptr_name(AF_INET6, &a, out);
  ck_assert_str_eq(out, "1.2.0.192.in-addr.arpa");
  inet_pton(AF_INET6, "::1", &a);
  mynet_dns_ptr_name(AF_INET6, &a, out);
  ck_assert_str_eq(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
}
END_TEST

/* web.test A 192.0.2.1 from dnsmasq, and the query for it. */
static const uint8_t reply_web_a[] = {
    0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77,
    0x65, 0x62, 0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
    0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01};

static enum mynet_dns_verdict read_with(uint8_t flags_hi, uint8_t flags_lo, uint16_t id,
                                        const char *name, uint16_t qtype,
                                        struct mynet_dns_answer *a)
{
  uint8_t m[sizeof reply_web_a];
  memcpy(m, reply_web_a, sizeof m);
  m[2] = flags_hi;
  m[3] = flags_lo;
  return mynet_dns_answer_read(m, sizeof m, id, name, qtype, a);
}

START_TEST(test_answer_must_match_the_query)
{
  struct mynet_dns_answer a;
  ck_assert_int_eq(read_with(0x85, 0x80, 0xbeef, "WEB.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_ANSWER);
  ck_assert_int_eq(a.host.naddrs, 1);
  ck_assert_str_eq(a.host.name, "web.test");
  ck_assert_int_eq(a.host.addrs[0].family, AF_INET);
  ck_assert_int_eq(read_with(0x85, 0x80, 0xbeee, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_IGNORE);
  ck_assert_int_eq(read_with(0x85, 0x80, 0xbeef, "web.tes", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_IGNORE);
  ck_assert_int_eq(read_with(0x85, 0x80, 0xbeef, "web.test", MYNET_DNS_TYPE_AAAA, &a),
                   MYNET_DNS_IGNORE);
  ck_assert_int_eq(read_with(0x05, 0x80, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_IGNORE); /* not a reply */
  ck_assert_int_eq(mynet_dns_answer_read(reply_web_a, 11, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_IGNORE);
}
END_TEST

START_TEST(test_answer_sorts_failures_truncation_and_cut_answers)
{
  struct mynet_dns_answer a;
  ck_assert_int_eq(read_with(0x81, 0x82, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_SERVER_FAIL);
  ck_assert_int_eq(read_with(0x81, 0x84, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_SERVER_FAIL);
  ck_assert_int_eq(read_with(0x81, 0x85, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_SERVER_FAIL);
  ck_assert_int_eq(read_with(0x83, 0x80, 0xbeef, "web.test", MYNET_DNS_TYPE_A, &a),
                   MYNET_DNS_TRUNCATED);
  /* An answer section cut short: an answer without records. */
  ck_assert_int_eq(
      mynet_dns_answer_read(reply_web_a, sizeof reply_web_a - 1, 0xbeef, "web.test", 1, &a),
      MYNET_DNS_ANSWER);
  ck_assert_int_eq(a.ancount, 1);
  ck_assert_int_eq(a.host.naddrs, 0);
  ck_assert_int_eq(mynet_dns_outcome(&a, NULL), 0);
}
END_TEST

START_TEST(test_answer_to_ptr_is_named_after_the_first_pointer_only)
{
  /* A query turned into its reply, then two PTR records. */
  uint8_t m[256];
  int n = mynet_dns_query(m, sizeof m, 7, "5.2.0.192.in-addr.arpa", MYNET_DNS_TYPE_PTR);
  ck_assert_int_gt(n, 0);
  m[2] |= 0x80;
  m[7] = 2;
  static const uint8_t rr[] = {0xc0, 0x0c, 0, 12,  0,   1,   0,   0,   0,   30,
                               0,    8,    6, 's', 'e', 'c', 'o', 'n', 'd', 0};
  static const uint8_t rr2[] = {0xc0, 0x0c, 0, 12,  0,   1,   0,   0,   0, 30,
                                0,    7,    5, 'f', 'i', 'r', 's', 't', 0};
  memcpy(m + n, rr, sizeof rr);
  memcpy(m + n + sizeof rr, rr2, sizeof rr2);
  struct mynet_dns_answer a;
  ck_assert_int_eq(mynet_dns_answer_read(m, (size_t)n + sizeof rr + sizeof rr2, 7,
                                         "5.2.0.192.in-addr.arpa", MYNET_DNS_TYPE_PTR, &a),
                   MYNET_DNS_ANSWER);
  /* glibc 2.36: ('second', [], ['192.0.2.5']) for the same reply. */
  ck_assert_str_eq(a.host.name, "second");
  ck_assert_int_eq(a.host.naliases, 0);
}
END_TEST

START_TEST(test_outcome_of_one_or_two_answers_is_glibc_res_context_query)
{
  struct mynet_dns_answer ok = {.rcode = 0, .ancount = 1}, nodata = {.rcode = 0}, nx = {.rcode = 3},
                          formerr = {.rcode = 1}, servfail = {.rcode = 2};
  ck_assert_int_eq(mynet_dns_outcome(&ok, NULL), 0);
  ck_assert_int_eq(mynet_dns_outcome(&nodata, NULL), NO_DATA);
  ck_assert_int_eq(mynet_dns_outcome(&nx, NULL), HOST_NOT_FOUND);
  ck_assert_int_eq(mynet_dns_outcome(&formerr, NULL), NO_RECOVERY);
  ck_assert_int_eq(mynet_dns_outcome(&servfail, NULL), TRY_AGAIN);
  ck_assert_int_eq(mynet_dns_outcome(&nodata, &ok), 0);
  ck_assert_int_eq(mynet_dns_outcome(&nx, &ok), 0);
  ck_assert_int_eq(mynet_dns_outcome(&nodata, &nx), HOST_NOT_FOUND);
  ck_assert_int_eq(mynet_dns_outcome(&nx, &nodata), HOST_NOT_FOUND);
  ck_assert_int_eq(mynet_dns_outcome(&nodata, &nodata), NO_DATA);
}
END_TEST

START_TEST(test_query_refuses_names_that_do_not_fit)
{
  uint8_t q[MYNET_DNS_QUERY_MAX];
  ck_assert_int_eq(mynet_dns_query(q, sizeof q, 1, "web.test", MYNET_DNS_TYPE_A), 26);
  ck_assert_int_eq(mynet_dns_query(q, sizeof q, 1, "a..b", MYNET_DNS_TYPE_A), -EINVAL);
  ck_assert_int_eq(mynet_dns_query(q, 20, 1, "web.test", MYNET_DNS_TYPE_A), -EINVAL);
}
END_TEST

static Suite *names_suite(void)
{
  Suite *s = suite_create("names");
  TCase *tc = tcase_create("hosts");
  tcase_add_test(tc, test_hosts_merges_every_line_of_a_name_as_glibc_multi_on);
  tcase_add_test(tc, test_hosts_matches_aliases_without_regard_to_case);
  tcase_add_test(tc, test_hosts_takes_the_family_asked_for);
  tcase_add_test(tc, test_hosts_reads_ipv4_mapped_lines_as_ipv4_for_af_inet);
  tcase_add_test(tc, test_hosts_by_address_takes_the_first_line);
  tcase_add_test(tc, test_hosts_survives_odd_text);
  suite_add_tcase(s, tc);
  tc = tcase_create("resolv_conf");
  tcase_add_test(tc, test_resolv_conf_defaults_without_a_file);
  tcase_add_test(tc, test_resolv_conf_reads_servers_search_and_options);
  tcase_add_test(tc, test_resolv_conf_caps_options_as_glibc);
  tcase_add_test(tc, test_resolv_conf_environment_overrides_the_file);
  suite_add_tcase(s, tc);
  tc = tcase_create("search");
  tcase_add_test(tc, test_dns_name_ok_is_glibc_res_hnok);
  tcase_add_test(tc, test_search_single_label_goes_through_the_list_then_as_is);
  tcase_add_test(tc, test_search_dotted_name_tries_as_is_first_and_keeps_its_outcome);
  tcase_add_test(tc, test_search_stops_on_failure_and_at_once_without_a_server);
  tcase_add_test(tc, test_search_root_in_list_and_no_tld_query);
  tcase_add_test(tc, test_search_skips_candidates_too_long_to_ask);
  suite_add_tcase(s, tc);
  tc = tcase_create("answers");
  tcase_add_test(tc, test_ptr_names_for_both_families);
  tcase_add_test(tc, test_answer_must_match_the_query);
  tcase_add_test(tc, test_answer_sorts_failures_truncation_and_cut_answers);
  tcase_add_test(tc, test_answer_to_ptr_is_named_after_the_first_pointer_only);
  tcase_add_test(tc, test_outcome_of_one_or_two_answers_is_glibc_res_context_query);
  tcase_add_test(tc, test_query_refuses_names_that_do_not_fit);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(names_suite());
}
