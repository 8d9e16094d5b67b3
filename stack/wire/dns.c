/* DNS messages (RFC 1035 section 4). */
#include "wire/dns.h"

#include "wire/be.h"

#include <errno.h>
#include <string.h>

enum {
  OFF_ID = 0,
  OFF_FLAGS = 2,
  OFF_QDCOUNT = 4,
  OFF_ANCOUNT = 6,
  OFF_NSCOUNT = 8,
  OFF_ARCOUNT = 10,
};

/* After the owner name: type, class, TTL, data length (RFC 1035 4.1.3). */
enum {
  RR_OFF_TYPE = 0,
  RR_OFF_CLASS = 2,
  RR_OFF_TTL = 4,
  RR_OFF_RDLEN = 8,
  RR_FIXED_LEN = 10,
};
#define QUESTION_FIXED_LEN 4

/* The two top bits of a length byte (RFC 1035 4.1.4; 01 and 10 are
 * reserved, RFC 6891 retired the extended label types). */
#define LABEL_KIND_MASK 0xc0u
#define LABEL_POINTER 0xc0u

enum mn_parse mn_dns_hdr_parse(const uint8_t *msg, size_t len, struct mn_dns_hdr *h)
{
  if (len < MN_DNS_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  h->id = mn_get16(msg + OFF_ID);
  h->flags = mn_get16(msg + OFF_FLAGS);
  h->qdcount = mn_get16(msg + OFF_QDCOUNT);
  h->ancount = mn_get16(msg + OFF_ANCOUNT);
  h->nscount = mn_get16(msg + OFF_NSCOUNT);
  h->arcount = mn_get16(msg + OFF_ARCOUNT);
  return MN_PARSE_OK;
}

void mn_dns_hdr_emit(const struct mn_dns_hdr *h, uint8_t *buf)
{
  mn_put16(buf + OFF_ID, h->id);
  mn_put16(buf + OFF_FLAGS, h->flags);
  mn_put16(buf + OFF_QDCOUNT, h->qdcount);
  mn_put16(buf + OFF_ANCOUNT, h->ancount);
  mn_put16(buf + OFF_NSCOUNT, h->nscount);
  mn_put16(buf + OFF_ARCOUNT, h->arcount);
}

/* A byte a host-name label may carry in text form: printable ASCII
 * except the separator and the escape character, which would make two
 * different wire names read the same. */
static bool text_char_ok(uint8_t c)
{
  return c > ' ' && c <= '~' && c != '.' && c != '\\';
}

int mn_dns_name_encode(const char *text, uint8_t *out, size_t cap)
{
  size_t n = strlen(text);
  if (n > 0 && text[n - 1] == '.')
    n--; /* one final dot: the root's empty label, always written */
  size_t w = 0;
  size_t start = 0;
  for (size_t i = 0; n > 0 && i <= n; i++) {
    if (i < n && text[i] != '.') {
      if (!text_char_ok((uint8_t)text[i]))
        return -EINVAL;
      continue;
    }
    size_t llen = i - start;
    if (llen == 0 || llen > MN_DNS_LABEL_MAX || w + 1 + llen + 1 > MN_DNS_WIRE_NAME_MAX)
      return -EINVAL;
    if (w + 1 + llen > cap)
      return -EMSGSIZE;
    out[w++] = (uint8_t)llen;
    memcpy(out + w, text + start, llen);
    w += llen;
    start = i + 1;
  }
  if (w + 1 > cap)
    return -EMSGSIZE;
  out[w++] = 0;
  return (int)w;
}

enum mn_parse mn_dns_name_read(const uint8_t *msg, size_t len, size_t off,
                               char text[MN_DNS_TEXT_MAX], size_t *next)
{
  size_t pos = off;
  size_t segment = off; /* where the current stretch of labels starts */
  size_t wire = 0;      /* octets of the name in wire form so far */
  size_t t = 0;
  bool printable = true;
  bool jumped = false;
  for (;;) {
    if (pos >= len)
      return MN_PARSE_TRUNCATED;
    uint8_t b = msg[pos];
    if ((b & LABEL_KIND_MASK) == LABEL_POINTER) {
      if (pos + 1 >= len)
        return MN_PARSE_TRUNCATED;
      size_t target = (size_t)mn_get16(msg + pos) & 0x3fffu;
      /* Strictly backwards from where this stretch began: the segments
       * start ever earlier, so the walk ends (no loop, no self-pointer). */
      if (target >= segment)
        return MN_PARSE_BAD_NAME;
      if (!jumped)
        *next = pos + 2;
      jumped = true;
      pos = segment = target;
      continue;
    }
    if (b & LABEL_KIND_MASK)
      return MN_PARSE_BAD_NAME;
    /* Room for this label and, after it, at least the root's byte. */
    wire += 1u + b;
    if (wire + (b ? 1u : 0u) > MN_DNS_WIRE_NAME_MAX)
      return MN_PARSE_BAD_NAME;
    if (b == 0) {
      if (!jumped)
        *next = pos + 1;
      break;
    }
    if (pos + 1 + b > len)
      return MN_PARSE_TRUNCATED;
    for (size_t i = 0; i < b; i++)
      printable = printable && text_char_ok(msg[pos + 1 + i]);
    if (printable) {
      /* wire + 1 <= 255 keeps the text (labels and dots) within 253. */
      if (t > 0)
        text[t++] = '.';
      memcpy(text + t, msg + pos + 1, b);
      t += b;
    }
    pos += 1u + b;
  }
  text[printable ? t : 0] = 0;
  return printable ? MN_PARSE_OK : MN_PARSE_UNSUPPORTED;
}

static char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool mn_dns_name_equal(const char *a, const char *b)
{
  for (; *a && *b; a++, b++)
    if (lower(*a) != lower(*b))
      return false;
  return *a == *b;
}

enum mn_parse mn_dns_question_read(const uint8_t *msg, size_t len, size_t off,
                                   struct mn_dns_question *q, size_t *next)
{
  size_t p;
  enum mn_parse r = mn_dns_name_read(msg, len, off, q->name, &p);
  if (r != MN_PARSE_OK && r != MN_PARSE_UNSUPPORTED)
    return r;
  if (p + QUESTION_FIXED_LEN > len)
    return MN_PARSE_TRUNCATED;
  q->type = mn_get16(msg + p);
  q->cls = mn_get16(msg + p + 2);
  *next = p + QUESTION_FIXED_LEN;
  return r;
}

enum mn_parse mn_dns_rr_read(const uint8_t *msg, size_t len, size_t off, struct mn_dns_rr *rr,
                             size_t *next)
{
  size_t p;
  enum mn_parse r = mn_dns_name_read(msg, len, off, rr->name, &p);
  if (r != MN_PARSE_OK && r != MN_PARSE_UNSUPPORTED)
    return r;
  rr->name_ok = r == MN_PARSE_OK;
  if (p + RR_FIXED_LEN > len)
    return MN_PARSE_TRUNCATED;
  rr->type = mn_get16(msg + p + RR_OFF_TYPE);
  rr->cls = mn_get16(msg + p + RR_OFF_CLASS);
  rr->ttl = mn_get32(msg + p + RR_OFF_TTL);
  rr->rdlen = mn_get16(msg + p + RR_OFF_RDLEN);
  rr->rdata = p + RR_FIXED_LEN;
  if (rr->rdata + rr->rdlen > len)
    return MN_PARSE_TRUNCATED;
  *next = rr->rdata + rr->rdlen;
  return MN_PARSE_OK;
}

int mn_dns_query_emit(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
  if (cap < MN_DNS_HDR_LEN)
    return -EMSGSIZE;
  struct mn_dns_hdr h = {.id = id, .flags = MN_DNS_RD, .qdcount = 1};
  mn_dns_hdr_emit(&h, buf);
  int n = mn_dns_name_encode(name, buf + MN_DNS_HDR_LEN, cap - MN_DNS_HDR_LEN);
  if (n < 0)
    return n;
  size_t p = MN_DNS_HDR_LEN + (size_t)n;
  if (p + QUESTION_FIXED_LEN > cap)
    return -EMSGSIZE;
  mn_put16(buf + p, qtype);
  mn_put16(buf + p + 2, MN_DNS_CLASS_IN);
  return (int)(p + QUESTION_FIXED_LEN);
}

/* --- a reply as a host lookup sees it ---------------------------------- */

static bool chain_has(const struct mn_dns_reply *r, const char *name)
{
  if (mn_dns_name_equal(r->q.name, name))
    return true;
  for (int i = 0; i < r->naliases; i++)
    if (mn_dns_name_equal(r->aliases[i], name))
      return true;
  return false;
}

/* The target of a CNAME owned by name in the answer section, if any. */
static enum mn_parse find_cname(const uint8_t *msg, size_t len, size_t answers, uint16_t count,
                                const char *name, char target[MN_DNS_TEXT_MAX], bool *found)
{
  struct mn_dns_rr rr;
  size_t p = answers;
  *found = false;
  for (uint16_t i = 0; i < count; i++) {
    enum mn_parse e = mn_dns_rr_read(msg, len, p, &rr, &p);
    if (e != MN_PARSE_OK)
      return e;
    if (rr.type != MN_DNS_TYPE_CNAME || rr.cls != MN_DNS_CLASS_IN || !rr.name_ok ||
        !mn_dns_name_equal(rr.name, name))
      continue;
    size_t end;
    e = mn_dns_name_read(msg, rr.rdata + rr.rdlen, rr.rdata, target, &end);
    if (e == MN_PARSE_OK && end == rr.rdata + rr.rdlen) {
      *found = true;
      return MN_PARSE_OK;
    }
    if (e != MN_PARSE_UNSUPPORTED && e != MN_PARSE_OK)
      return e;
  }
  return MN_PARSE_OK;
}

/* One record of the answer section against the end of the chain. */
static enum mn_parse take_record(const uint8_t *msg, const struct mn_dns_rr *rr,
                                 struct mn_dns_reply *r, int *cnames_used)
{
  bool owned = rr->name_ok && rr->cls == MN_DNS_CLASS_IN && mn_dns_name_equal(rr->name, r->canon);
  if (owned && rr->type == r->q.type) {
    if (rr->type == MN_DNS_TYPE_A && rr->rdlen == 4 && r->naddrs < MN_DNS_MAX_ADDRS) {
      memset(r->addrs[r->naddrs], 0, 16);
      memcpy(r->addrs[r->naddrs++], msg + rr->rdata, 4);
      return MN_PARSE_OK;
    }
    if (rr->type == MN_DNS_TYPE_AAAA && rr->rdlen == 16 && r->naddrs < MN_DNS_MAX_ADDRS) {
      memcpy(r->addrs[r->naddrs++], msg + rr->rdata, 16);
      return MN_PARSE_OK;
    }
    if (rr->type == MN_DNS_TYPE_PTR && r->nptrs < MN_DNS_MAX_PTRS) {
      size_t end;
      /* The name must fill the data exactly: nothing before the end of
       * rdata may be read as part of another record. */
      enum mn_parse e =
          mn_dns_name_read(msg, rr->rdata + rr->rdlen, rr->rdata, r->ptrs[r->nptrs], &end);
      if (e == MN_PARSE_OK && end == rr->rdata + rr->rdlen && r->ptrs[r->nptrs][0]) {
        r->nptrs++;
        return MN_PARSE_OK;
      }
      if (e != MN_PARSE_OK && e != MN_PARSE_UNSUPPORTED)
        return e;
    }
  } else if (rr->type == MN_DNS_TYPE_CNAME && rr->name_ok && rr->cls == MN_DNS_CLASS_IN &&
             chain_has(r, rr->name) && *cnames_used < r->naliases) {
    (*cnames_used)++; /* a link of the chain, already taken */
    return MN_PARSE_OK;
  }
  r->nskipped++;
  return MN_PARSE_OK;
}

enum mn_parse mn_dns_reply_parse(const uint8_t *msg, size_t len, struct mn_dns_reply *r)
{
  memset(r, 0, sizeof(*r));
  enum mn_parse e = mn_dns_hdr_parse(msg, len, &r->hdr);
  if (e != MN_PARSE_OK)
    return e;
  if (!(r->hdr.flags & MN_DNS_QR) || (r->hdr.flags & MN_DNS_OPCODE_MASK) || r->hdr.qdcount != 1)
    return MN_PARSE_UNSUPPORTED;
  r->rcode = (uint8_t)(r->hdr.flags & MN_DNS_RCODE_MASK);
  r->truncated = (r->hdr.flags & MN_DNS_TC) != 0;
  size_t answers;
  e = mn_dns_question_read(msg, len, MN_DNS_HDR_LEN, &r->q, &answers);
  if (e != MN_PARSE_OK)
    return e;
  if (r->truncated)
    return MN_PARSE_OK;

  /* Every record must be readable, whether used or not: a reply cut in
   * the answer section is not a short answer. */
  size_t p = answers;
  struct mn_dns_rr rr;
  for (uint16_t i = 0; i < r->hdr.ancount; i++) {
    e = mn_dns_rr_read(msg, len, p, &rr, &p);
    if (e != MN_PARSE_OK)
      return e;
  }

  /* The chain: from the question's name through CNAMEs, wherever they sit
   * in the section (RFC 1034 3.6.2: the server includes the chain). */
  memcpy(r->canon, r->q.name, sizeof r->canon);
  for (int links = 0; links < MN_DNS_MAX_ALIASES; links++) {
    char target[MN_DNS_TEXT_MAX];
    bool found;
    e = find_cname(msg, len, answers, r->hdr.ancount, r->canon, target, &found);
    if (e != MN_PARSE_OK)
      return e;
    if (!found || chain_has(r, target))
      break; /* the end, or a loop back into the chain */
    memcpy(r->aliases[r->naliases++], r->canon, sizeof r->canon);
    memcpy(r->canon, target, sizeof r->canon);
  }

  p = answers;
  int cnames_used = 0;
  for (uint16_t i = 0; i < r->hdr.ancount; i++) {
    mn_dns_rr_read(msg, len, p, &rr, &p); /* read once already: cannot fail */
    e = take_record(msg, &rr, r, &cnames_used);
    if (e != MN_PARSE_OK)
      return e;
  }
  return MN_PARSE_OK;
}
