/* ARP for IPv4 over Ethernet (RFC 826). */
#ifndef MN_WIRE_ARP_H
#define MN_WIRE_ARP_H

#include "wire/parse.h"
#include <stddef.h>
#include <stdint.h>

#define MN_ARP_LEN 28
#define MN_ARP_REQUEST 1
#define MN_ARP_REPLY 2

struct mn_arp_pkt {
  uint16_t op;
  uint8_t sha[6];
  uint32_t spa; /* host byte order */
  uint8_t tha[6];
  uint32_t tpa;
};

/* Accepts only htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
 * (MN_PARSE_BAD_VERSION otherwise) and op 1 or 2 (MN_PARSE_UNSUPPORTED). */
enum mn_parse mn_arp_parse(const uint8_t *buf, size_t len, struct mn_arp_pkt *a);
void mn_arp_emit(const struct mn_arp_pkt *a, uint8_t *buf);

#endif
