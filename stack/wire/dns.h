/* DNS messages (RFC 1035 section 4): the header, names with compression
 * (4.1.4), the question and resource records, a query to emit and a reply
 * read into what a host lookup needs.
 *
 * Pure: bytes in, small structs out, no allocation.  Names are handled in
 * text form ("www.example.org", no trailing dot) only when every label is
 * printable ASCII without '.' or '\\': anything else cannot be a host
 * name (glibc's res_hnok rejects it too), so it is reported rather than
 * escaped, and a caller can skip the record it belongs to. */
#ifndef MN_WIRE_DNS_H
#define MN_WIRE_DNS_H

#include "wire/parse.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_DNS_HDR_LEN 12
#define MN_DNS_WIRE_NAME_MAX 255 /* RFC 1035 2.3.4: octets, length bytes included */
#define MN_DNS_LABEL_MAX 63
#define MN_DNS_TEXT_MAX 254 /* a name in text form with its NUL: 253 characters */
/* RFC 1035 4.2.1: what a UDP message may carry without EDNS. */
#define MN_DNS_UDP_MAX 512

enum {
  MN_DNS_TYPE_A = 1,
  MN_DNS_TYPE_CNAME = 5,
  MN_DNS_TYPE_PTR = 12,
  MN_DNS_TYPE_AAAA = 28,
  MN_DNS_CLASS_IN = 1,
};

enum {
  MN_DNS_RCODE_NOERROR = 0,
  MN_DNS_RCODE_FORMERR = 1,
  MN_DNS_RCODE_SERVFAIL = 2,
  MN_DNS_RCODE_NXDOMAIN = 3,
  MN_DNS_RCODE_NOTIMP = 4,
  MN_DNS_RCODE_REFUSED = 5,
};

/* Header flags word (RFC 1035 4.1.1). */
#define MN_DNS_QR 0x8000u
#define MN_DNS_OPCODE_MASK 0x7800u /* 0 = standard query */
#define MN_DNS_AA 0x0400u
#define MN_DNS_TC 0x0200u
#define MN_DNS_RD 0x0100u
#define MN_DNS_RA 0x0080u
#define MN_DNS_RCODE_MASK 0x000fu

struct mn_dns_hdr {
  uint16_t id, flags;
  uint16_t qdcount, ancount, nscount, arcount;
};

enum mn_parse mn_dns_hdr_parse(const uint8_t *msg, size_t len, struct mn_dns_hdr *h);
void mn_dns_hdr_emit(const struct mn_dns_hdr *h, uint8_t *buf);

/* Text name to wire form (labels, then the root).  One trailing dot is
 * allowed; "" and "." are the root.  Returns the length written, or
 * -EINVAL (empty label, label over 63, name over 255 octets, a '\\' or a
 * character outside printable ASCII), -EMSGSIZE (cap too small). */
int mn_dns_name_encode(const char *text, uint8_t *out, size_t cap);

/* Reads the name at off in msg, following compression pointers.  Every
 * pointer must lead strictly before the start of the stretch of labels it
 * ends, so each jump goes to an earlier offset and no loop can be built.
 * On MN_PARSE_OK text holds the name ("" for the root) and *next the
 * offset just after the name where it started.  MN_PARSE_UNSUPPORTED: the
 * name is well formed but a label holds '.', '\\' or a byte outside
 * printable ASCII; *next is still valid, text is "".  MN_PARSE_BAD_NAME:
 * a forward or looping pointer, a reserved label type, over 255 octets.
 * MN_PARSE_TRUNCATED: the message ends inside the name. */
enum mn_parse mn_dns_name_read(const uint8_t *msg, size_t len, size_t off,
                               char text[MN_DNS_TEXT_MAX], size_t *next);

/* Names compare without regard to ASCII case (RFC 4343). */
bool mn_dns_name_equal(const char *a, const char *b);

struct mn_dns_question {
  char name[MN_DNS_TEXT_MAX];
  uint16_t type, cls;
};

enum mn_parse mn_dns_question_read(const uint8_t *msg, size_t len, size_t off,
                                   struct mn_dns_question *q, size_t *next);

struct mn_dns_rr {
  char name[MN_DNS_TEXT_MAX];
  bool name_ok; /* false: the owner cannot be a host name (name is "") */
  uint16_t type, cls;
  uint32_t ttl;
  uint16_t rdlen;
  size_t rdata; /* offset of the data in the message */
};

/* A resource record; *next is the offset of the record after it. */
enum mn_parse mn_dns_rr_read(const uint8_t *msg, size_t len, size_t off, struct mn_dns_rr *rr,
                             size_t *next);

/* A standard query with recursion desired and one question of class IN,
 * as glibc's res_mkquery builds it.  Returns its length or a negative
 * errno (see mn_dns_name_encode). */
int mn_dns_query_emit(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/* What a host lookup takes from a reply. */
#define MN_DNS_MAX_ADDRS 48
#define MN_DNS_MAX_ALIASES 8
#define MN_DNS_MAX_PTRS 4

struct mn_dns_reply {
  struct mn_dns_hdr hdr;
  uint8_t rcode;
  bool truncated; /* TC: the answer did not fit; ask again over TCP */
  struct mn_dns_question q;
  /* The end of the CNAME chain that starts at the question's name: the
   * owner of the addresses (or pointers), and the names before it. */
  char canon[MN_DNS_TEXT_MAX];
  char aliases[MN_DNS_MAX_ALIASES][MN_DNS_TEXT_MAX];
  int naliases;
  /* Records of the question's type owned by canon, in order: A (first 4
   * bytes used) or AAAA addresses; PTR target names. */
  uint8_t addrs[MN_DNS_MAX_ADDRS][16];
  int naddrs;
  char ptrs[MN_DNS_MAX_PTRS][MN_DNS_TEXT_MAX];
  int nptrs;
  /* Records in the answer section that took no part (other types, other
   * owners, unusable names): a reply with answers but none used is not
   * the same as one with no answer at all. */
  int nskipped;
};

/* Reads a reply: the header, the single question, and the answer section
 * as seen from the question's name, following a CNAME chain whatever the
 * order of the records, up to MN_DNS_MAX_ALIASES links (a loop ends it).
 * Records beyond the caps, of other types or owners, or with a wrong
 * length are counted in nskipped.  The authority and additional sections
 * are not read.  With TC set only the header and question are read (the
 * rest may be cut anywhere).  Fails on any truncation or malformed name in
 * the parts it reads; MN_PARSE_UNSUPPORTED if it is not a reply (QR) to a
 * standard query with exactly one question. */
enum mn_parse mn_dns_reply_parse(const uint8_t *msg, size_t len, struct mn_dns_reply *r);

#endif
