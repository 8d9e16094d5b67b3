/* UDP header (RFC 768). */
#include "wire/udp.h"

#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

enum {
  OFF_SPORT = 0,
  OFF_DPORT = 2,
  OFF_LEN = 4,
  OFF_CSUM = 6,
};

enum mn_parse mn_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                           struct mn_udp_hdr *h)
{
  if (len < MN_UDP_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  uint16_t ulen = mn_get16(buf + OFF_LEN);
  if (ulen < MN_UDP_HDR_LEN)
    return MN_PARSE_BAD_LENGTH;
  /* A UDP length shorter than the IP payload is allowed (the rest is
   * ignored, as Linux trims it); a longer one means the datagram was cut. */
  if (ulen > len)
    return MN_PARSE_TRUNCATED;
  uint16_t csum = mn_get16(buf + OFF_CSUM);
  /* RFC 768: an all-zero checksum field means the sender computed none. */
  if (csum != 0) {
    uint32_t sum = mn_csum_pseudo(src, dst, MN_IPPROTO_UDP, ulen);
    if (mn_csum_fold(mn_csum_add(sum, buf, ulen)) != 0)
      return MN_PARSE_BAD_CHECKSUM;
  }
  h->sport = mn_get16(buf + OFF_SPORT);
  h->dport = mn_get16(buf + OFF_DPORT);
  h->len = ulen;
  h->csum = csum;
  return MN_PARSE_OK;
}

void mn_udp_emit(const struct mn_udp_hdr *h, uint8_t *buf, size_t payload_len, uint32_t src,
                 uint32_t dst)
{
  uint16_t ulen = (uint16_t)(MN_UDP_HDR_LEN + payload_len);
  mn_put16(buf + OFF_SPORT, h->sport);
  mn_put16(buf + OFF_DPORT, h->dport);
  mn_put16(buf + OFF_LEN, ulen);
  mn_put16(buf + OFF_CSUM, 0);
  uint32_t sum = mn_csum_pseudo(src, dst, MN_IPPROTO_UDP, ulen);
  uint16_t csum = mn_csum_fold(mn_csum_add(sum, buf, ulen));
  /* RFC 768: a computed zero is sent as all ones, since zero means "no
   * checksum". */
  mn_put16(buf + OFF_CSUM, csum == 0 ? 0xffff : csum);
}
