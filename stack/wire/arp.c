/* ARP for IPv4 over Ethernet (RFC 826). */
#include "wire/arp.h"

#include "wire/be.h"
#include "wire/eth.h"
#include <string.h>

enum {
  OFF_HTYPE = 0,
  OFF_PTYPE = 2,
  OFF_HLEN = 4,
  OFF_PLEN = 5,
  OFF_OP = 6,
  OFF_SHA = 8,
  OFF_SPA = 14,
  OFF_THA = 18,
  OFF_TPA = 24,
};

#define ARP_HTYPE_ETHER 1
#define ARP_PLEN_IPV4 4

enum mn_parse mn_arp_parse(const uint8_t *buf, size_t len, struct mn_arp_pkt *a)
{
  if (len < MN_ARP_LEN)
    return MN_PARSE_TRUNCATED;
  /* RFC 826 "Packet Reception": a packet for a hardware or protocol type
   * we do not speak is discarded.  Other lengths would also move every
   * address field, so they are rejected rather than guessed at. */
  if (mn_get16(buf + OFF_HTYPE) != ARP_HTYPE_ETHER ||
      mn_get16(buf + OFF_PTYPE) != MN_ETHERTYPE_IPV4 || buf[OFF_HLEN] != MN_ETH_ADDR_LEN ||
      buf[OFF_PLEN] != ARP_PLEN_IPV4)
    return MN_PARSE_BAD_VERSION;
  a->op = mn_get16(buf + OFF_OP);
  memcpy(a->sha, buf + OFF_SHA, MN_ETH_ADDR_LEN);
  a->spa = mn_get32(buf + OFF_SPA);
  memcpy(a->tha, buf + OFF_THA, MN_ETH_ADDR_LEN);
  a->tpa = mn_get32(buf + OFF_TPA);
  /* RARP and InARP opcodes (RFC 903, RFC 2390) are not ours. */
  if (a->op != MN_ARP_REQUEST && a->op != MN_ARP_REPLY)
    return MN_PARSE_UNSUPPORTED;
  return MN_PARSE_OK;
}

void mn_arp_emit(const struct mn_arp_pkt *a, uint8_t *buf)
{
  mn_put16(buf + OFF_HTYPE, ARP_HTYPE_ETHER);
  mn_put16(buf + OFF_PTYPE, MN_ETHERTYPE_IPV4);
  buf[OFF_HLEN] = MN_ETH_ADDR_LEN;
  buf[OFF_PLEN] = ARP_PLEN_IPV4;
  mn_put16(buf + OFF_OP, a->op);
  memcpy(buf + OFF_SHA, a->sha, MN_ETH_ADDR_LEN);
  mn_put32(buf + OFF_SPA, a->spa);
  memcpy(buf + OFF_THA, a->tha, MN_ETH_ADDR_LEN);
  mn_put32(buf + OFF_TPA, a->tpa);
}
