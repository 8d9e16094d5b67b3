/* The resolver calls seen from a program: this test re-executes itself
 * with libmynet.so preloaded, the stack on loopback only (MYNET_TAP=none)
 * and MYNET_DNS pointing at a name server that the test runs itself, on
 * the stack's loopback (UDP and TCP, port 5353), scripted per name:
 * answers, CNAMEs, silence, a lost reply, replies to other queries,
 * SERVFAIL, truncation.  Each lookup's queries cross the stack, so the
 * exchange (tries, timeouts, matching, TCP) is tested without a device
 * or privileges.  Children run with other settings: no server listening,
 * a configuration that stops the stack. */
#include "helpers/preload.h"
#include "helpers/run.h"
#include "wire/dns.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DNS_PORT 5353

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the test's name server -------------------------------------------- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char name[MN_DNS_TEXT_MAX];
  uint16_t type;
  int udp, tcp;
} counts[128];
static int ncounts;

/* Queries the server has seen for name and type (0: any type). */
static int queries(const char *name, uint16_t type, bool tcp)
{
  int n = 0;
  pthread_mutex_lock(&count_lock);
  for (int i = 0; i < ncounts; i++)
    if (mn_dns_name_equal(counts[i].name, name) && (!type || counts[i].type == type))
      n += tcp ? counts[i].tcp : counts[i].udp;
  pthread_mutex_unlock(&count_lock);
  return n;
}

/* Every query the server has seen, and how many names. */
static int all_queries(int *names)
{
  int n = 0;
  pthread_mutex_lock(&count_lock);
  for (int i = 0; i < ncounts; i++)
    n += counts[i].udp + counts[i].tcp;
  *names = ncounts;
  pthread_mutex_unlock(&count_lock);
  return n;
}

static int count_query(const char *name, uint16_t type, bool tcp)
{
  pthread_mutex_lock(&count_lock);
  int i;
  for (i = 0; i < ncounts; i++)
    if (mn_dns_name_equal(counts[i].name, name) && counts[i].type == type)
      break;
  if (i == ncounts && ncounts < 128) {
    snprintf(counts[i].name, sizeof counts[i].name, "%s", name);
    counts[i].type = type;
    ncounts++;
  }
  int seen = tcp ? ++counts[i].tcp : ++counts[i].udp;
  pthread_mutex_unlock(&count_lock);
  return seen;
}

struct reply {
  uint8_t m[4096];
  size_t n;
  uint16_t ancount;
};

/* A reply to query q (its id, flags RD and the question copied). */
static void reply_start(struct reply *r, const uint8_t *q, size_t qend, uint16_t rcode)
{
  memcpy(r->m, q, qend);
  r->n = qend;
  r->ancount = 0;
  struct mn_dns_hdr h;
  mn_dns_hdr_parse(q, qend, &h);
  h.flags = (uint16_t)(MN_DNS_QR | MN_DNS_RD | MN_DNS_RA | rcode);
  h.ancount = h.nscount = h.arcount = 0;
  mn_dns_hdr_emit(&h, r->m);
}

static void reply_rr(struct reply *r, const char *owner, uint16_t type, const void *data,
                     uint16_t len)
{
  int k = mn_dns_name_encode(owner, r->m + r->n, sizeof r->m - r->n);
  r->n += (size_t)k;
  uint8_t fixed[10] = {(uint8_t)(type >> 8), (uint8_t)type, 0, 1, 0, 0, 0, 30,
                       (uint8_t)(len >> 8),  (uint8_t)len};
  memcpy(r->m + r->n, fixed, 10);
  memcpy(r->m + r->n + 10, data, len);
  r->n += 10u + len;
  r->ancount++;
  r->m[6] = (uint8_t)(r->ancount >> 8);
  r->m[7] = (uint8_t)r->ancount;
}

static void reply_a(struct reply *r, const char *owner, uint8_t last)
{
  uint8_t a[4] = {10, 0, 0, last};
  reply_rr(r, owner, MN_DNS_TYPE_A, a, 4);
}

static void reply_name(struct reply *r, const char *owner, uint16_t type, const char *target)
{
  uint8_t t[256];
  int k = mn_dns_name_encode(target, t, sizeof t);
  reply_rr(r, owner, type, t, (uint16_t)k);
}

/* The script: what the server says to each query; false for no reply at
 * all. */
static bool answer(const uint8_t *q, size_t qlen, bool tcp, struct reply *r)
{
  struct mn_dns_question qq;
  size_t qend;
  if (mn_dns_question_read(q, qlen, MN_DNS_HDR_LEN, &qq, &qend) != MN_PARSE_OK)
    return false;
  int seen = count_query(qq.name, qq.type, tcp);
  const char *n = qq.name;
  bool a = qq.type == MN_DNS_TYPE_A, aaaa = qq.type == MN_DNS_TYPE_AAAA;
  reply_start(r, q, qend, MN_DNS_RCODE_NOERROR);
  if (mn_dns_name_equal(n, "a.test") || mn_dns_name_equal(n, "a.search.test")) {
    if (a)
      reply_a(r, n, 1);
  } else if (mn_dns_name_equal(n, "both.test")) {
    if (a)
      reply_a(r, n, 2);
    if (aaaa)
      reply_rr(r, n, MN_DNS_TYPE_AAAA, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
  } else if (mn_dns_name_equal(n, "cname.test")) {
    reply_name(r, n, MN_DNS_TYPE_CNAME, "a.test");
    if (a)
      reply_a(r, "a.test", 1);
  } else if (mn_dns_name_equal(n, "slow.test")) {
    if (seen == 1)
      return false; /* the first query is lost */
    if (a)
      reply_a(r, n, 3);
  } else if (mn_dns_name_equal(n, "silent.test")) {
    return false;
  } else if (mn_dns_name_equal(n, "decoy.test")) {
    if (a)
      reply_a(r, n, 4); /* after the decoys: see serve_udp() */
  } else if (mn_dns_name_equal(n, "servfail.test")) {
    reply_start(r, q, qend, MN_DNS_RCODE_SERVFAIL);
  } else if (mn_dns_name_equal(n, "refused.test")) {
    reply_start(r, q, qend, MN_DNS_RCODE_REFUSED);
  } else if (mn_dns_name_equal(n, "tc.test")) {
    if (!tcp) {
      r->m[2] |= MN_DNS_TC >> 8;
    } else if (a) {
      for (uint8_t i = 1; i <= 30; i++)
        reply_a(r, n, i);
    }
  } else if (mn_dns_name_equal(n, "1.0.0.10.in-addr.arpa")) {
    reply_name(r, n, MN_DNS_TYPE_PTR, "a.test");
  } else {
    reply_start(r, q, qend, MN_DNS_RCODE_NXDOMAIN);
  }
  return true;
}

static int udp_fd = -1, tcp_fd = -1;

/* decoy.test: before the answer, a reply with another ID and one to
 * another question, each of which the resolver must pass over. */
static void send_decoys(const uint8_t *q, size_t qlen, const struct sockaddr_in *to)
{
  struct mn_dns_question qq;
  size_t qend;
  if (mn_dns_question_read(q, qlen, MN_DNS_HDR_LEN, &qq, &qend) != MN_PARSE_OK ||
      !mn_dns_name_equal(qq.name, "decoy.test"))
    return;
  static struct reply d;
  reply_start(&d, q, qend, MN_DNS_RCODE_NOERROR);
  reply_a(&d, qq.name, 66);
  d.m[0] ^= 0x5a;
  sendto(udp_fd, d.m, d.n, 0, (const struct sockaddr *)to, sizeof *to);
  reply_start(&d, q, qend, MN_DNS_RCODE_NOERROR);
  d.m[MN_DNS_HDR_LEN + 1] = 'x'; /* the question becomes xecoy.test */
  reply_a(&d, "xecoy.test", 77);
  sendto(udp_fd, d.m, d.n, 0, (const struct sockaddr *)to, sizeof *to);
}

static void serve_udp(void)
{
  uint8_t q[512];
  struct sockaddr_in from;
  socklen_t fromlen = sizeof from;
  ssize_t n = recvfrom(udp_fd, q, sizeof q, 0, (struct sockaddr *)&from, &fromlen);
  static struct reply r;
  if (n <= 0 || !answer(q, (size_t)n, false, &r))
    return;
  send_decoys(q, (size_t)n, &from);
  sendto(udp_fd, r.m, r.n, 0, (struct sockaddr *)&from, fromlen);
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r <= 0)
      return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

static void serve_tcp(void)
{
  int c = accept(tcp_fd, NULL, NULL);
  if (c < 0)
    return;
  uint8_t len2[2], q[512];
  static struct reply r;
  size_t qlen = 0;
  if (read_all(c, len2, 2) && (qlen = (size_t)(len2[0] << 8 | len2[1])) <= sizeof q &&
      read_all(c, q, qlen) && answer(q, qlen, true, &r)) {
    uint8_t hdr[2] = {(uint8_t)(r.n >> 8), (uint8_t)r.n};
    send(c, hdr, 2, MSG_NOSIGNAL);
    send(c, r.m, r.n, MSG_NOSIGNAL);
  }
  close(c);
}

static void *server_main(void *arg)
{
  for (;;) {
    struct pollfd p[2] = {{.fd = udp_fd, .events = POLLIN}, {.fd = tcp_fd, .events = POLLIN}};
    if (poll(p, 2, -1) <= 0)
      continue;
    if (p[0].revents & POLLIN)
      serve_udp();
    if (p[1].revents & POLLIN)
      serve_tcp();
  }
  return NULL;
}

static void start_server_once(void)
{
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT)};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
  tcp_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (udp_fd < 0 || tcp_fd < 0 || bind(udp_fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
      bind(tcp_fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(tcp_fd, 16) < 0) {
    perror("test name server");
    abort();
  }
  pthread_t t;
  pthread_create(&t, NULL, server_main, NULL);
  pthread_detach(t);
}

static void server(void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, start_server_once);
}

/* --- helpers ----------------------------------------------------------- */

static int gai(const char *name, const char *service, int family, int socktype, int flags,
               struct addrinfo **res)
{
  server();
  struct addrinfo hints = {.ai_family = family, .ai_socktype = socktype, .ai_flags = flags};
  *res = NULL;
  return getaddrinfo(name, service, &hints, res);
}

static const char *addr_text(const struct addrinfo *ai, char *buf)
{
  const void *a = ai->ai_family == AF_INET
                      ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                      : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
  return inet_ntop(ai->ai_family, a, buf, INET6_ADDRSTRLEN);
}

static int count_entries(const struct addrinfo *ai)
{
  int n = 0;
  for (; ai; ai = ai->ai_next)
    n++;
  return n;
}

/* --- getaddrinfo ------------------------------------------------------- */

START_TEST(test_getaddrinfo_asks_the_server_and_lists_one_entry_per_socket_type)
{
  struct addrinfo *res;
  int before = queries("a.test", MN_DNS_TYPE_A, false);
  ck_assert_int_eq(gai("a.test", "80", AF_INET, 0, 0, &res), 0);
  ck_assert_int_eq(queries("a.test", MN_DNS_TYPE_A, false), before + 1);
  ck_assert_int_eq(count_entries(res), 3);
  static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
  static const int protos[] = {IPPROTO_TCP, IPPROTO_UDP, 0};
  char buf[INET6_ADDRSTRLEN];
  int i = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next, i++) {
    ck_assert_int_eq(ai->ai_family, AF_INET);
    ck_assert_int_eq(ai->ai_socktype, types[i]);
    ck_assert_int_eq(ai->ai_protocol, protos[i]);
    ck_assert_uint_eq(ai->ai_addrlen, sizeof(struct sockaddr_in));
    ck_assert_str_eq(addr_text(ai, buf), "10.0.0.1");
    ck_assert_uint_eq(ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port), 80);
    ck_assert_ptr_null(ai->ai_canonname);
  }
  freeaddrinfo(res); /* glibc's: every entry and its address in one block */
  ck_assert_int_eq(gai("a.test", "domain", AF_INET, 0, 0, &res), 0);
  ck_assert_int_eq(count_entries(res), 2); /* tcp and udp: no raw with a service */
  ck_assert_uint_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port), 53);
  freeaddrinfo(res);
}
END_TEST

START_TEST(test_getaddrinfo_follows_a_cname_and_reports_the_canonical_name)
{
  struct addrinfo *res;
  ck_assert_int_eq(gai("cname.test", NULL, AF_INET, SOCK_STREAM, AI_CANONNAME, &res), 0);
  ck_assert_int_eq(count_entries(res), 1);
  ck_assert_str_eq(res->ai_canonname, "a.test");
  char buf[INET6_ADDRSTRLEN];
  ck_assert_str_eq(addr_text(res, buf), "10.0.0.1");
  freeaddrinfo(res);
}
END_TEST

START_TEST(test_getaddrinfo_errors_are_glibcs_and_come_in_its_order)
{
  struct addrinfo *res;
  ck_assert_int_eq(gai("nx.test", NULL, AF_INET, 0, 0, &res), EAI_NONAME);
  ck_assert_int_eq(gai("a.test", NULL, AF_INET6, 0, 0, &res), EAI_NODATA);
  ck_assert_int_eq(gai("a.test", NULL, AF_UNSPEC, 0, 0x10000, &res), EAI_BADFLAGS);
  ck_assert_int_eq(gai("a.test", NULL, AF_UNIX, 0, 0, &res), EAI_FAMILY);
  /* The service is checked before the name is looked up, as glibc does:
   * no query at all. */
  int before = queries("nx2.test", 0, false);
  ck_assert_int_eq(gai("nx2.test", "no-such-service", AF_INET, 0, 0, &res), EAI_SERVICE);
  ck_assert_int_eq(gai("nx2.test", "http", AF_INET, 0, AI_NUMERICSERV, &res), EAI_NONAME);
  ck_assert_int_eq(gai("nx2.test", "80", AF_INET, SOCK_STREAM, 0, &res), EAI_NONAME);
  ck_assert_int_eq(queries("nx2.test", 0, false), before + 1);
  struct addrinfo hints = {
      .ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_UDP};
  ck_assert_int_eq(getaddrinfo("a.test", NULL, &hints, &res), EAI_SOCKTYPE);
}
END_TEST

START_TEST(test_getaddrinfo_unspec_puts_ipv4_first_and_addrconfig_asks_for_a_only)
{
  struct addrinfo *res;
  char buf[INET6_ADDRSTRLEN];
  ck_assert_int_eq(gai("both.test", NULL, AF_UNSPEC, SOCK_STREAM, 0, &res), 0);
  ck_assert_int_eq(count_entries(res), 2);
  ck_assert_int_eq(res->ai_family, AF_INET);
  ck_assert_str_eq(addr_text(res, buf), "10.0.0.2");
  ck_assert_int_eq(res->ai_next->ai_family, AF_INET6);
  ck_assert_str_eq(addr_text(res->ai_next, buf), "2001:db8::2");
  freeaddrinfo(res);
  int aaaa = queries("both.test", MN_DNS_TYPE_AAAA, false);
  ck_assert_int_eq(gai("both.test", NULL, AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG, &res), 0);
  ck_assert_int_eq(count_entries(res), 1);
  ck_assert_int_eq(res->ai_family, AF_INET);
  freeaddrinfo(res);
  ck_assert_int_eq(queries("both.test", MN_DNS_TYPE_AAAA, false), aaaa);
  /* Without hints: glibc's AI_V4MAPPED | AI_ADDRCONFIG. */
  ck_assert_int_eq(getaddrinfo("both.test", NULL, NULL, &res), 0);
  ck_assert_int_eq(res->ai_family, AF_INET);
  ck_assert_int_eq(count_entries(res), 3);
  freeaddrinfo(res);
  ck_assert_int_eq(queries("both.test", MN_DNS_TYPE_AAAA, false), aaaa);
  /* AF_INET6 with AI_ADDRCONFIG: the stack has no IPv6 address. */
  ck_assert_int_eq(gai("both.test", NULL, AF_INET6, SOCK_STREAM, AI_ADDRCONFIG, &res), EAI_NONAME);
}
END_TEST

START_TEST(test_getaddrinfo_v4mapped_maps_only_without_ipv6_or_with_ai_all)
{
  struct addrinfo *res;
  char buf[INET6_ADDRSTRLEN];
  ck_assert_int_eq(gai("a.test", NULL, AF_INET6, SOCK_STREAM, AI_V4MAPPED, &res), 0);
  ck_assert_int_eq(count_entries(res), 1);
  ck_assert_str_eq(addr_text(res, buf), "::ffff:10.0.0.1");
  freeaddrinfo(res);
  ck_assert_int_eq(gai("both.test", NULL, AF_INET6, SOCK_STREAM, AI_V4MAPPED, &res), 0);
  ck_assert_int_eq(count_entries(res), 1);
  ck_assert_str_eq(addr_text(res, buf), "2001:db8::2");
  freeaddrinfo(res);
  ck_assert_int_eq(gai("both.test", NULL, AF_INET6, SOCK_STREAM, AI_V4MAPPED | AI_ALL, &res), 0);
  ck_assert_int_eq(count_entries(res), 2);
  ck_assert_str_eq(addr_text(res, buf), "::ffff:10.0.0.2");
  ck_assert_str_eq(addr_text(res->ai_next, buf), "2001:db8::2");
  freeaddrinfo(res);
}
END_TEST

START_TEST(test_numeric_hosts_and_a_null_node_ask_no_server)
{
  struct addrinfo *res;
  int names_before, names_after;
  int total = all_queries(&names_before);
  ck_assert_int_eq(gai("10.9.8.7", "80", AF_INET, SOCK_STREAM, 0, &res), 0);
  freeaddrinfo(res);
  ck_assert_int_eq(gai("0x7f.1", NULL, AF_INET, SOCK_STREAM, 0, &res), 0); /* inet_aton's form */
  char buf[INET6_ADDRSTRLEN];
  ck_assert_str_eq(addr_text(res, buf), "127.0.0.1");
  freeaddrinfo(res);
  ck_assert_int_eq(gai("2001:db8::9", NULL, AF_UNSPEC, SOCK_STREAM, 0, &res), 0);
  freeaddrinfo(res);
  ck_assert_int_eq(gai(NULL, "80", AF_INET, SOCK_STREAM, AI_PASSIVE, &res), 0);
  freeaddrinfo(res);
  ck_assert_int_eq(gai("a.test", NULL, AF_INET, 0, AI_NUMERICHOST, &res), EAI_NONAME);
  struct hostent *h = gethostbyname("10.1.2.3");
  ck_assert_ptr_nonnull(h);
  ck_assert_str_eq(h->h_name, "10.1.2.3");
  ck_assert_int_eq(all_queries(&names_after), total);
  ck_assert_int_eq(names_after, names_before);
}
END_TEST

START_TEST(test_a_single_label_goes_through_the_search_list)
{
  /* LOCALDOMAIN=search.test (see main): "a" is asked as a.search.test
   * first, which answers. */
  struct addrinfo *res;
  int bare = queries("a", 0, false);
  ck_assert_int_eq(gai("a", NULL, AF_INET, SOCK_STREAM, AI_CANONNAME, &res), 0);
  ck_assert_str_eq(res->ai_canonname, "a.search.test");
  freeaddrinfo(res);
  ck_assert_int_eq(queries("a", 0, false), bare);
  /* Not found there: then as is, and glibc's answer is the last one. */
  ck_assert_int_eq(gai("nolabel", NULL, AF_INET, SOCK_STREAM, 0, &res), EAI_NONAME);
  ck_assert_int_eq(queries("nolabel.search.test", MN_DNS_TYPE_A, false), 1);
  ck_assert_int_eq(queries("nolabel", MN_DNS_TYPE_A, false), 1);
}
END_TEST

START_TEST(test_names_that_cannot_be_host_names_are_refused_without_a_query)
{
  struct addrinfo *res;
  static const char *const bad[] = {"-a.test", "a/b.test", "a b.test", "*.test", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_int_eq(gai(bad[i], NULL, AF_INET, 0, 0, &res), EAI_NONAME);
    ck_assert_int_eq(queries(bad[i], 0, false), 0);
  }
  ck_assert_ptr_null(gethostbyname("-a.test"));
  ck_assert_int_eq(h_errno, HOST_NOT_FOUND);
}
END_TEST

/* --- the exchange ------------------------------------------------------ */

START_TEST(test_a_lost_reply_is_asked_again_after_the_timeout)
{
  struct addrinfo *res;
  double t0 = now_s();
  ck_assert_int_eq(gai("slow.test", NULL, AF_INET, SOCK_STREAM, 0, &res), 0);
  double took = now_s() - t0;
  ck_assert_msg(took > 0.9 && took < 1.9, "took %.2f s; RES_OPTIONS timeout:1", took);
  ck_assert_int_eq(queries("slow.test", MN_DNS_TYPE_A, false), 2);
  freeaddrinfo(res);
}
END_TEST

START_TEST(test_a_silent_server_gives_eai_again_after_every_attempt)
{
  struct addrinfo *res;
  double t0 = now_s();
  ck_assert_int_eq(gai("silent.test", NULL, AF_INET, SOCK_STREAM, 0, &res), EAI_AGAIN);
  double took = now_s() - t0;
  ck_assert_msg(took > 1.9 && took < 2.9, "took %.2f s; RES_OPTIONS timeout:1 attempts:2", took);
  ck_assert_int_eq(queries("silent.test", MN_DNS_TYPE_A, false), 2);
  ck_assert_ptr_null(gethostbyname("silent.test"));
  ck_assert_int_eq(h_errno, TRY_AGAIN);
}
END_TEST

START_TEST(test_replies_to_another_id_or_question_are_ignored)
{
  struct addrinfo *res;
  char buf[INET6_ADDRSTRLEN];
  double t0 = now_s();
  ck_assert_int_eq(gai("decoy.test", NULL, AF_INET, SOCK_STREAM, 0, &res), 0);
  ck_assert_str_eq(addr_text(res, buf), "10.0.0.4");
  ck_assert_double_lt(now_s() - t0, 0.9); /* the answer ended the wait, not a timeout */
  freeaddrinfo(res);
}
END_TEST

START_TEST(test_servfail_and_refused_give_try_again_without_waiting)
{
  struct addrinfo *res;
  double t0 = now_s();
  ck_assert_int_eq(gai("servfail.test", NULL, AF_INET, SOCK_STREAM, 0, &res), EAI_AGAIN);
  ck_assert_int_eq(gai("refused.test", NULL, AF_INET, SOCK_STREAM, 0, &res), EAI_AGAIN);
  ck_assert_double_lt(now_s() - t0, 0.9);
  /* Asked once per attempt, as glibc asks a failing server again. */
  ck_assert_int_eq(queries("servfail.test", MN_DNS_TYPE_A, false), 2);
}
END_TEST

START_TEST(test_a_truncated_answer_is_asked_again_over_tcp)
{
  struct addrinfo *res;
  ck_assert_int_eq(gai("tc.test", NULL, AF_INET, SOCK_STREAM, 0, &res), 0);
  ck_assert_int_eq(count_entries(res), 30);
  ck_assert_int_eq(queries("tc.test", MN_DNS_TYPE_A, true), 1);
  freeaddrinfo(res);
}
END_TEST

/* --- gethostbyname and friends ----------------------------------------- */

START_TEST(test_gethostbyname_reports_aliases_and_h_errno_as_glibc)
{
  server();
  struct hostent *h = gethostbyname("cname.test");
  ck_assert_ptr_nonnull(h);
  ck_assert_str_eq(h->h_name, "a.test");
  ck_assert_str_eq(h->h_aliases[0], "cname.test");
  ck_assert_ptr_null(h->h_aliases[1]);
  ck_assert_int_eq(h->h_addrtype, AF_INET);
  ck_assert_int_eq(h->h_length, 4);
  ck_assert_mem_eq(h->h_addr_list[0], "\x0a\x00\x00\x01", 4);
  ck_assert_ptr_null(h->h_addr_list[1]);
  ck_assert_ptr_null(gethostbyname("nx.test"));
  ck_assert_int_eq(h_errno, HOST_NOT_FOUND);
  /* getent hosts asks for IPv6 first: a quick "no such record". */
  double t0 = now_s();
  ck_assert_ptr_null(gethostbyname2("a.test", AF_INET6));
  ck_assert_int_eq(h_errno, NO_DATA);
  ck_assert_double_lt(now_s() - t0, 0.9);
  h = gethostbyname2("both.test", AF_INET6);
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(h->h_length, 16);
  ck_assert_ptr_null(gethostbyname2("a.test", AF_UNIX));
  ck_assert_int_eq(h_errno, NETDB_INTERNAL);
}
END_TEST

START_TEST(test_gethostbyname_r_returns_codes_as_glibc)
{
  server();
  struct hostent he, *res;
  char buf[2048];
  int herr;
  ck_assert_int_eq(gethostbyname_r("a.test", &he, buf, sizeof buf, &res, &herr), 0);
  ck_assert_ptr_eq(res, &he);
  ck_assert_mem_eq(he.h_addr_list[0], "\x0a\x00\x00\x01", 4);
  ck_assert_int_eq(gethostbyname_r("nx.test", &he, buf, sizeof buf, &res, &herr), 0);
  ck_assert_ptr_null(res);
  ck_assert_int_eq(herr, HOST_NOT_FOUND);
  ck_assert_int_eq(gethostbyname2_r("a.test", AF_INET6, &he, buf, sizeof buf, &res, &herr), 0);
  ck_assert_int_eq(herr, NO_DATA);
  ck_assert_int_eq(gethostbyname_r("servfail.test", &he, buf, sizeof buf, &res, &herr), EAGAIN);
  ck_assert_int_eq(herr, TRY_AGAIN);
  /* A CNAME without an address of the type asked for. */
  ck_assert_int_eq(gethostbyname2_r("cname.test", AF_INET6, &he, buf, sizeof buf, &res, &herr),
                   EAGAIN);
  ck_assert_int_eq(herr, NO_RECOVERY);
  ck_assert_int_eq(gethostbyname_r("tc.test", &he, buf, 64, &res, &herr), ERANGE);
  ck_assert_ptr_null(res);
  ck_assert_int_eq(herr, NETDB_INTERNAL);
  ck_assert_int_eq(gethostbyname_r("tc.test", &he, buf, sizeof buf, &res, &herr), 0);
  int n = 0;
  while (he.h_addr_list[n])
    n++;
  ck_assert_int_eq(n, 30);
}
END_TEST

START_TEST(test_reverse_lookups_ask_for_ptr)
{
  server();
  struct in_addr a = {htonl(0x0a000001)};
  struct hostent *h = gethostbyaddr(&a, 4, AF_INET);
  ck_assert_ptr_nonnull(h);
  ck_assert_str_eq(h->h_name, "a.test");
  ck_assert_mem_eq(h->h_addr_list[0], &a, 4);
  struct in_addr b = {htonl(0x0a000009)};
  ck_assert_ptr_null(gethostbyaddr(&b, 4, AF_INET));
  ck_assert_int_eq(h_errno, HOST_NOT_FOUND);

  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr = a};
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  ck_assert_int_eq(
      getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv, sizeof serv, 0), 0);
  ck_assert_str_eq(host, "a.test");
  ck_assert_str_eq(serv, "http");
  ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof sin, host, 4, NULL, 0, 0),
                   EAI_OVERFLOW);
  sin.sin_addr = b;
  ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv,
                               sizeof serv, NI_NUMERICSERV),
                   0);
  ck_assert_str_eq(host, "10.0.0.9");
  ck_assert_str_eq(serv, "80");
  ck_assert_int_eq(
      getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, NULL, 0, NI_NAMEREQD),
      EAI_NONAME);
  int before = queries("9.0.0.10.in-addr.arpa", 0, false);
  ck_assert_int_eq(
      getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, NULL, 0, NI_NUMERICHOST),
      0);
  ck_assert_int_eq(queries("9.0.0.10.in-addr.arpa", 0, false), before);
}
END_TEST

/* --- many threads ------------------------------------------------------ */

static void *lookup_loop(void *arg)
{
  intptr_t failures = 0;
  for (int i = 0; i < 20; i++) {
    struct addrinfo *res;
    const char *name = (i + (intptr_t)arg) % 2 ? "a.test" : "both.test";
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (getaddrinfo(name, "80", &hints, &res) != 0) {
      failures++;
      continue;
    }
    failures += res->ai_family != AF_INET;
    freeaddrinfo(res);
    struct hostent he, *r;
    char buf[1024];
    int herr;
    failures += gethostbyname_r(name, &he, buf, sizeof buf, &r, &herr) != 0 || !r;
  }
  return (void *)failures;
}

START_TEST(test_lookups_from_many_threads_at_once_all_succeed)
{
  server();
  pthread_t t[8];
  for (intptr_t i = 0; i < 8; i++)
    pthread_create(&t[i], NULL, lookup_loop, (void *)i);
  intptr_t failures = 0;
  for (int i = 0; i < 8; i++) {
    void *f;
    pthread_join(t[i], &f);
    failures += (intptr_t)f;
  }
  ck_assert_int_eq(failures, 0);
}
END_TEST

/* --- other settings, in children -------------------------------------- */

/* Runs this program as a child with extra environment and the given
 * mode, and returns what it printed. */
static void run_child(const char *mode, const char *const *env, char *out, size_t cap)
{
  int pipefd[2];
  ck_assert_int_eq(pipe(pipefd), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  char *envp[256];
  int n = 0;
  for (char **e = environ; *e && n < 240; e++) {
    bool replaced = false;
    for (const char *const *x = env; *x; x++)
      replaced = replaced || strncmp(*e, *x, (size_t)(strchr(*x, '=') - *x + 1)) == 0;
    if (!replaced)
      envp[n++] = *e;
  }
  for (const char *const *x = env; *x; x++)
    envp[n++] = (char *)*x;
  envp[n] = NULL;
  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  ck_assert_int_gt(len, 0);
  self[len] = 0;
  char *argv[] = {self, (char *)mode, NULL};
  pid_t pid;
  ck_assert_int_eq(posix_spawn(&pid, self, &fa, NULL, argv, envp), 0);
  close(pipefd[1]);
  size_t got = 0;
  ssize_t r;
  while (got < cap - 1 && (r = read(pipefd[0], out + got, cap - 1 - got)) > 0)
    got += (size_t)r;
  out[got] = 0;
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&fa);
}

/* A child's report: the outcome of each kind of lookup, and how long
 * the first took.  (Only the first: the stack rate-limits its ICMP errors
 * as Linux does on other devices, so a burst of queries to a closed port
 * is not refused every time.) */
static int lookup_child(void)
{
  double t0 = now_s();
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
  int g = getaddrinfo("a.test", NULL, &hints, &res);
  double took = now_s() - t0;
  struct hostent *h = gethostbyname("a.test");
  int herr = h ? 0 : h_errno;
  struct hostent *lh = gethostbyname("localhost"); /* /etc/hosts */
  printf("gai=%d herr=%d localhost=%s took=%.1f\n", g, herr, lh ? "found" : "missing", took);
  return 0;
}

START_TEST(test_no_server_listening_fails_at_once_with_eai_again)
{
  char out[4096];
  const char *env[] = {"MYNET_DNS=127.0.0.1:5399", NULL};
  run_child("lookup", env, out, sizeof out);
  ck_assert_msg(strstr(out, "gai=-3 herr=2 localhost=found took=0."), "child said: %s", out);
}
END_TEST

START_TEST(test_a_stack_that_could_not_start_finds_no_server_but_hosts_still_answer)
{
  char out[4096];
  const char *env[] = {"MYNET_ADDR=bogus", NULL};
  run_child("lookup", env, out, sizeof out);
  /* The stack's one line, then no server (never the kernel's stack). */
  ck_assert_msg(strstr(out, "]: MYNET_ADDR"), "child said: %s", out);
  ck_assert_msg(strstr(out, "gai=-3 herr=2 localhost=found took=0."), "child said: %s", out);
}
END_TEST

static Suite *names_suite(void)
{
  Suite *s = suite_create("shim_names");
  TCase *tc = tcase_create("names");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_getaddrinfo_asks_the_server_and_lists_one_entry_per_socket_type);
  tcase_add_test(tc, test_getaddrinfo_follows_a_cname_and_reports_the_canonical_name);
  tcase_add_test(tc, test_getaddrinfo_errors_are_glibcs_and_come_in_its_order);
  tcase_add_test(tc, test_getaddrinfo_unspec_puts_ipv4_first_and_addrconfig_asks_for_a_only);
  tcase_add_test(tc, test_getaddrinfo_v4mapped_maps_only_without_ipv6_or_with_ai_all);
  tcase_add_test(tc, test_numeric_hosts_and_a_null_node_ask_no_server);
  tcase_add_test(tc, test_a_single_label_goes_through_the_search_list);
  tcase_add_test(tc, test_names_that_cannot_be_host_names_are_refused_without_a_query);
  tcase_add_test(tc, test_a_lost_reply_is_asked_again_after_the_timeout);
  tcase_add_test(tc, test_a_silent_server_gives_eai_again_after_every_attempt);
  tcase_add_test(tc, test_replies_to_another_id_or_question_are_ignored);
  tcase_add_test(tc, test_servfail_and_refused_give_try_again_without_waiting);
  tcase_add_test(tc, test_a_truncated_answer_is_asked_again_over_tcp);
  tcase_add_test(tc, test_gethostbyname_reports_aliases_and_h_errno_as_glibc);
  tcase_add_test(tc, test_gethostbyname_r_returns_codes_as_glibc);
  tcase_add_test(tc, test_reverse_lookups_ask_for_ptr);
  tcase_add_test(tc, test_lookups_from_many_threads_at_once_all_succeed);
  tcase_add_test(tc, test_no_server_listening_fails_at_once_with_eai_again);
  tcase_add_test(tc, test_a_stack_that_could_not_start_finds_no_server_but_hosts_still_answer);
  suite_add_tcase(s, tc);
  return s;
}

/* The test's server as MYNET_DNS; resolv.conf's timeout and attempts
 * fixed by RES_OPTIONS and its search list by LOCALDOMAIN, whatever this
 * machine's file says. */
static const char *const test_env[] = {"MYNET_DNS=127.0.0.1:5353",
                                       "RES_OPTIONS=timeout:1 attempts:2 ndots:1",
                                       "LOCALDOMAIN=search.test", NULL};

int main(int argc, char **argv)
{
  if (!mn_test_preloaded())
    return mn_test_reexec_preloaded_env(argv, test_env);
  if (argc > 1 && strcmp(argv[1], "lookup") == 0)
    return lookup_child();
  return mn_test_run_in_process(names_suite());
}
