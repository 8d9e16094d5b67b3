/* IPv4 header (RFC 791 section 3.1). */
#include "wire/ipv4.h"

#include "wire/be.h"
#include "wire/checksum.h"
#include <stdio.h>

enum {
  OFF_VER_IHL = 0,
  OFF_TOS = 1,
  OFF_TOTAL_LEN = 2,
  OFF_ID = 4,
  OFF_FLAGS_FRAG = 6,
  OFF_TTL = 8,
  OFF_PROTO = 9,
  OFF_CSUM = 10,
  OFF_SRC = 12,
  OFF_DST = 16,
};

#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_FRAG_MASK 0x1fff

enum mn_parse mn_ipv4_parse(const uint8_t *buf, size_t len, struct mn_ipv4_hdr *h)
{
  if (len < MN_IPV4_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  if (buf[OFF_VER_IHL] >> 4 != 4)
    return MN_PARSE_BAD_VERSION;
  /* IHL counts 32-bit words and is at least 5 (RFC 791 section 3.1);
   * a header longer than what we hold is a header error, as in Linux's
   * ip_rcv_core(). */
  size_t hl = (size_t)(buf[OFF_VER_IHL] & 0x0f) * 4;
  if (hl < MN_IPV4_HDR_LEN || hl > len)
    return MN_PARSE_BAD_HDRLEN;
  uint16_t total = mn_get16(buf + OFF_TOTAL_LEN);
  if (total < hl)
    return MN_PARSE_BAD_LENGTH;
  /* Bytes past total length are link padding (Ethernet's 60-byte
   * minimum); fewer bytes than it means the datagram was cut. */
  if (total > len)
    return MN_PARSE_TRUNCATED;
  /* The checksum covers the header only, options included (RFC 791). */
  if (mn_csum_fold(mn_csum_add(0, buf, hl)) != 0)
    return MN_PARSE_BAD_CHECKSUM;

  uint16_t ff = mn_get16(buf + OFF_FLAGS_FRAG);
  h->hdr_len = (uint8_t)hl;
  h->tos = buf[OFF_TOS];
  h->total_len = total;
  h->id = mn_get16(buf + OFF_ID);
  h->df = (ff & IP_FLAG_DF) != 0;
  h->mf = (ff & IP_FLAG_MF) != 0;
  /* The fragment offset counts 8-byte units. */
  h->frag_off = (uint16_t)((ff & IP_FRAG_MASK) * 8);
  h->ttl = buf[OFF_TTL];
  h->proto = buf[OFF_PROTO];
  h->src = mn_get32(buf + OFF_SRC);
  h->dst = mn_get32(buf + OFF_DST);
  return MN_PARSE_OK;
}

void mn_ipv4_emit(const struct mn_ipv4_hdr *h, uint8_t *buf)
{
  uint16_t ff = (uint16_t)((h->frag_off / 8) & IP_FRAG_MASK);
  if (h->df)
    ff |= IP_FLAG_DF;
  if (h->mf)
    ff |= IP_FLAG_MF;
  buf[OFF_VER_IHL] = 4 << 4 | MN_IPV4_HDR_LEN / 4;
  buf[OFF_TOS] = h->tos;
  mn_put16(buf + OFF_TOTAL_LEN, h->total_len);
  mn_put16(buf + OFF_ID, h->id);
  mn_put16(buf + OFF_FLAGS_FRAG, ff);
  buf[OFF_TTL] = h->ttl;
  buf[OFF_PROTO] = h->proto;
  mn_put16(buf + OFF_CSUM, 0);
  mn_put32(buf + OFF_SRC, h->src);
  mn_put32(buf + OFF_DST, h->dst);
  mn_put16(buf + OFF_CSUM, mn_csum_fold(mn_csum_add(0, buf, MN_IPV4_HDR_LEN)));
}

char *mn_ip4_str(uint32_t a, char *buf)
{
  snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return buf;
}
