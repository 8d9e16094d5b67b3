/* ICMP message header (RFC 792). */
#include "wire/icmp.h"

#include "wire/be.h"
#include "wire/checksum.h"

enum {
  OFF_TYPE = 0,
  OFF_CODE = 1,
  OFF_CSUM = 2,
  OFF_REST = 4,
};

enum mn_parse mn_icmp_parse(const uint8_t *buf, size_t len, struct mn_icmp_hdr *h)
{
  if (len < MN_ICMP_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  /* RFC 792: the checksum covers the whole ICMP message, data included. */
  if (mn_csum_fold(mn_csum_add(0, buf, len)) != 0)
    return MN_PARSE_BAD_CHECKSUM;
  h->type = buf[OFF_TYPE];
  h->code = buf[OFF_CODE];
  h->rest = mn_get32(buf + OFF_REST);
  return MN_PARSE_OK;
}

void mn_icmp_emit(const struct mn_icmp_hdr *h, uint8_t *buf, size_t len)
{
  buf[OFF_TYPE] = h->type;
  buf[OFF_CODE] = h->code;
  mn_put16(buf + OFF_CSUM, 0);
  mn_put32(buf + OFF_REST, h->rest);
  mn_put16(buf + OFF_CSUM, mn_csum_fold(mn_csum_add(0, buf, len)));
}
