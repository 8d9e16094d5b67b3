/* IPv4 header (RFC 791). */
#ifndef MN_WIRE_IPV4_H
#define MN_WIRE_IPV4_H

#include "wire/parse.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_IPV4_HDR_LEN 20
#define MN_IPV4_MAX_HDR_LEN 60
#define MN_IPPROTO_ICMP 1
#define MN_IPPROTO_TCP 6
#define MN_IPPROTO_UDP 17

struct mn_ipv4_hdr {
  uint8_t hdr_len; /* bytes, 20..60; options are skipped, never interpreted */
  uint8_t tos;
  uint16_t total_len;
  uint16_t id;
  bool df, mf;
  uint16_t frag_off; /* bytes */
  uint8_t ttl;
  uint8_t proto;
  uint32_t src, dst; /* host byte order */
};

/* Checks, in order: length >= 20, version 4, IHL >= 5 and IHL*4 <= len,
 * total length >= IHL*4 and <= len (a longer frame is Ethernet padding),
 * header checksum.  The payload is buf[hdr_len .. total_len). */
enum mn_parse mn_ipv4_parse(const uint8_t *buf, size_t len, struct mn_ipv4_hdr *h);
/* Writes a 20-byte header (h->hdr_len is ignored) with its checksum. */
void mn_ipv4_emit(const struct mn_ipv4_hdr *h, uint8_t *buf);

/* Helpers for addresses in host byte order. */
static inline uint32_t mn_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
  return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}
static inline uint32_t mn_prefix_mask(uint8_t prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}
/* "a.b.c.d" into buf (at least 16 bytes); returns buf. */
char *mn_ip4_str(uint32_t a, char *buf);

#endif
