/* Ethernet II framing (IEEE 802.3 clause 3, "DIX" type field). */
#include "wire/eth.h"

#include "wire/be.h"
#include <string.h>

enum {
  OFF_DST = 0,
  OFF_SRC = 6,
  OFF_TYPE = 12,
};

/* A type field below this is an 802.3 length (IEEE 802.3 clause 3.2.6). */
#define ETH_MIN_TYPE 0x0600

const uint8_t mn_eth_broadcast[MN_ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

enum mn_parse mn_eth_parse(const uint8_t *buf, size_t len, struct mn_eth_hdr *h)
{
  if (len < MN_ETH_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  memcpy(h->dst, buf + OFF_DST, MN_ETH_ADDR_LEN);
  memcpy(h->src, buf + OFF_SRC, MN_ETH_ADDR_LEN);
  h->type = mn_get16(buf + OFF_TYPE);
  /* 802.3 length frames carry LLC/SNAP, which IPv4 over Ethernet does not
   * use (RFC 894); RFC 1042 encapsulation is not supported. */
  if (h->type < ETH_MIN_TYPE)
    return MN_PARSE_UNSUPPORTED;
  return MN_PARSE_OK;
}

void mn_eth_emit(const struct mn_eth_hdr *h, uint8_t *buf)
{
  memcpy(buf + OFF_DST, h->dst, MN_ETH_ADDR_LEN);
  memcpy(buf + OFF_SRC, h->src, MN_ETH_ADDR_LEN);
  mn_put16(buf + OFF_TYPE, h->type);
}
