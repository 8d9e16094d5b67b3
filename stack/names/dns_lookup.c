/* The DNS side of a host lookup, as glibc 2.36 does it: which names to
 * ask for (resolv/res_query.c, __res_context_search), whether a reply
 * answers the query (resolv/res_send.c), and what the answers come to
 * (__res_context_query).  The exchange itself is the shim's. */
#include <mynet/names.h>

#include "wire/dns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* --- names ------------------------------------------------------------- */

static bool ldh(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_';
}

bool mynet_dns_name_ok(const char *name)
{
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.')
    n--;
  if (n == 0 || n > MYNET_NAME_MAX - 1 || name[0] == '-')
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    if (name[i] == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    if (!ldh(name[i]) || ++label > 63)
      return false;
  }
  return label > 0;
}

/* --- the search list --------------------------------------------------- */

enum { ST_FIRST, ST_SEARCH, ST_LAST, ST_DONE };
enum { ASKED_FIRST, ASKED_SEARCH, ASKED_LAST };

void mynet_dns_search_start(struct mynet_dns_search *s, const struct mynet_resolv_conf *rc,
                            const char *name)
{
  memset(s, 0, sizeof(*s));
  snprintf(s->name, sizeof s->name, "%s", name);
  s->rc = rc;
  for (const char *p = s->name; *p; p++)
    s->dots += *p == '.';
  size_t n = strlen(s->name);
  s->trailing_dot = n > 0 && s->name[n - 1] == '.';
  s->saved_herr = -1;
  s->herr = HOST_NOT_FOUND; /* if nothing is ever asked */
  s->stage = ST_FIRST;
}

static void set_stage(struct mynet_dns_search *s, int stage, int asked)
{
  s->stage = stage;
  s->asked = asked;
}

bool mynet_dns_search_next(struct mynet_dns_search *s, char out[MYNET_NAME_MAX])
{
  const struct mynet_resolv_conf *rc = s->rc;
  for (;;) {
    switch (s->stage) {
    case ST_FIRST:
      /* Enough dots, or a final one: as is first (RFC 1535's concern:
       * a dotted name is most likely complete). */
      set_stage(s, ST_SEARCH, ASKED_FIRST);
      if (s->dots >= rc->ndots || s->trailing_dot) {
        snprintf(out, MYNET_NAME_MAX, "%s", s->name);
        return true;
      }
      break;
    case ST_SEARCH:
      if (!s->trailing_dot && !s->done && s->domain < rc->nsearch) {
        const char *d = rc->search[s->domain++];
        if (d[0] == '.')
          d++;
        if (!d[0])
          s->root_on_list = true;
        s->searched = true;
        set_stage(s, ST_SEARCH, ASKED_SEARCH);
        size_t n = strlen(s->name), dn = strlen(d);
        if (n + 1 + dn < MYNET_NAME_MAX) {
          memcpy(out, s->name, n);
          out[n] = '.';
          memcpy(out + n + 1, d, dn + 1);
          return true;
        }
        /* Too long to ask: glibc's query fails with NO_RECOVERY, which
         * ends the walk through the list. */
        mynet_dns_search_result(s, NO_RECOVERY, false);
        break;
      }
      set_stage(s, ST_LAST, ASKED_SEARCH);
      break;
    case ST_LAST:
      set_stage(s, ST_DONE, ASKED_LAST);
      if ((s->dots || !s->searched || !(rc->options & MYNET_RES_NO_TLD_QUERY)) &&
          !(s->tried_as_is || s->root_on_list)) {
        snprintf(out, MYNET_NAME_MAX, "%s", s->name);
        return true;
      }
      break;
    default:
      return false;
    }
  }
}

void mynet_dns_search_result(struct mynet_dns_search *s, int herr, bool unreachable)
{
  s->herr = herr;
  if (herr == 0) {
    set_stage(s, ST_DONE, s->asked);
    return;
  }
  switch (s->asked) {
  case ASKED_FIRST:
    s->saved_herr = herr;
    s->tried_as_is = true;
    if (s->trailing_dot)
      set_stage(s, ST_DONE, ASKED_FIRST);
    break;
  case ASKED_SEARCH:
    if (unreachable) {
      /* No server at all: asking for more names cannot help. */
      s->herr = TRY_AGAIN;
      s->saved_herr = -1;
      s->got_nodata = false;
      set_stage(s, ST_DONE, ASKED_SEARCH);
      return;
    }
    if (herr == NO_DATA)
      s->got_nodata = true;
    else if (herr != HOST_NOT_FOUND)
      s->done = true; /* a negative answer or a failure: stop searching up */
    break;
  default:
    break;
  }
}

int mynet_dns_search_error(const struct mynet_dns_search *s)
{
  if (s->herr == 0)
    return 0;
  /* glibc: the first query's outcome if the name was tried as is first,
   * else NO_DATA if any candidate existed, else the last outcome. */
  if (s->saved_herr != -1)
    return s->saved_herr;
  if (s->got_nodata)
    return NO_DATA;
  return s->herr;
}

/* --- queries and answers ----------------------------------------------- */

int mynet_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
  int n = mn_dns_query_emit(buf, cap, id, name, qtype);
  return n == -EMSGSIZE ? -EINVAL : n;
}

void mynet_dns_ptr_name(int family, const void *addr, char out[MYNET_NAME_MAX])
{
  const uint8_t *b = addr;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const uint8_t zero[12] = {0};
  if (family == AF_INET6) {
    /* IPv4-mapped, and IPv4-compatible other than :: and ::1 (glibc's
     * "tunnelled"): the IPv4 address's name. */
    bool compat =
        memcmp(b, zero, 12) == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1);
    if (memcmp(b, mapped, 12) == 0 || compat) {
      b += 12;
      family = AF_INET;
    }
  }
  if (family == AF_INET) {
    snprintf(out, MYNET_NAME_MAX, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
    return;
  }
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  for (int i = 15; i >= 0; i--) {
    out[n++] = hex[b[i] & 0xf];
    out[n++] = '.';
    out[n++] = hex[b[i] >> 4];
    out[n++] = '.';
  }
  snprintf(out + n, MYNET_NAME_MAX - n, "ip6.arpa");
}

static void copy_text(char dst[MYNET_NAME_MAX], const char *src)
{
  snprintf(dst, MYNET_NAME_MAX, "%s", src);
}

/* The parts of a reply a lookup uses, as a host. */
static void fill_host(const struct mn_dns_reply *r, struct mynet_host *h)
{
  memset(h, 0, sizeof(*h));
  if (r->q.type == MN_DNS_TYPE_PTR) {
    /* glibc names the address after the first pointer and ignores the
     * others (they are not aliases of it). */
    if (r->nptrs > 0)
      copy_text(h->name, r->ptrs[0]);
    return;
  }
  copy_text(h->name, r->canon);
  for (int i = 0; i < r->naliases && h->naliases < MYNET_HOST_MAX_ALIASES; i++)
    copy_text(h->aliases[h->naliases++], r->aliases[i]);
  for (int i = 0; i < r->naddrs && h->naddrs < MYNET_HOST_MAX_ADDRS; i++) {
    struct mynet_host_addr *a = &h->addrs[h->naddrs++];
    a->family = r->q.type == MN_DNS_TYPE_A ? AF_INET : AF_INET6;
    memcpy(a->bytes, r->addrs[i], 16);
  }
}

enum mynet_dns_verdict mynet_dns_answer_read(const uint8_t *reply, size_t len, uint16_t id,
                                             const char *name, uint16_t qtype,
                                             struct mynet_dns_answer *out)
{
  memset(out, 0, sizeof(*out));
  /* First whether it answers this query at all (res_send's checks): a
   * stray or forged datagram must not end the wait. */
  struct mn_dns_hdr h;
  struct mn_dns_question q;
  size_t after;
  if (mn_dns_hdr_parse(reply, len, &h) != MN_PARSE_OK || h.id != id || !(h.flags & MN_DNS_QR) ||
      (h.flags & MN_DNS_OPCODE_MASK) || h.qdcount != 1 ||
      mn_dns_question_read(reply, len, MN_DNS_HDR_LEN, &q, &after) != MN_PARSE_OK ||
      q.type != qtype || q.cls != MN_DNS_CLASS_IN || !mn_dns_name_equal(q.name, name))
    return MYNET_DNS_IGNORE;
  out->rcode = h.flags & MN_DNS_RCODE_MASK;
  out->ancount = h.ancount;
  out->qtype = qtype;
  if (out->rcode == MN_DNS_RCODE_SERVFAIL || out->rcode == MN_DNS_RCODE_NOTIMP ||
      out->rcode == MN_DNS_RCODE_REFUSED)
    return MYNET_DNS_SERVER_FAIL;
  if (h.flags & MN_DNS_TC)
    return MYNET_DNS_TRUNCATED;
  struct mn_dns_reply r;
  /* An answer section that cannot be read leaves no records: with
   * ancount > 0 that is an answer without addresses (glibc's getanswer
   * gives up on it the same way). */
  if (mn_dns_reply_parse(reply, len, &r) == MN_PARSE_OK)
    fill_host(&r, &out->host);
  return MYNET_DNS_ANSWER;
}

int mynet_dns_outcome(const struct mynet_dns_answer *a, const struct mynet_dns_answer *b)
{
  if (!b)
    b = a;
  if ((a->rcode == MN_DNS_RCODE_NOERROR && a->ancount > 0) ||
      (b->rcode == MN_DNS_RCODE_NOERROR && b->ancount > 0))
    return 0;
  switch (a->rcode == MN_DNS_RCODE_NOERROR ? b->rcode : a->rcode) {
  case MN_DNS_RCODE_NXDOMAIN:
    return HOST_NOT_FOUND;
  case MN_DNS_RCODE_SERVFAIL:
    return TRY_AGAIN;
  case MN_DNS_RCODE_NOERROR:
    return NO_DATA;
  default:
    return NO_RECOVERY;
  }
}
