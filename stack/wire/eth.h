/* Ethernet II framing. */
#ifndef MN_WIRE_ETH_H
#define MN_WIRE_ETH_H

#include "wire/parse.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_ETH_HDR_LEN 14
#define MN_ETH_ADDR_LEN 6
#define MN_ETHERTYPE_IPV4 0x0800
#define MN_ETHERTYPE_ARP 0x0806

struct mn_eth_hdr {
  uint8_t dst[MN_ETH_ADDR_LEN];
  uint8_t src[MN_ETH_ADDR_LEN];
  uint16_t type;
};

extern const uint8_t mn_eth_broadcast[MN_ETH_ADDR_LEN];

/* The payload starts at buf + MN_ETH_HDR_LEN.  Types below 0x0600 are
 * 802.3 lengths, not Ethernet II: MN_PARSE_UNSUPPORTED. */
enum mn_parse mn_eth_parse(const uint8_t *buf, size_t len, struct mn_eth_hdr *h);
void mn_eth_emit(const struct mn_eth_hdr *h, uint8_t *buf);

static inline bool mn_eth_is_multicast(const uint8_t *a)
{
  return (a[0] & 1) != 0;
}

#endif
