/* UDP header (RFC 768). */
#ifndef MN_WIRE_UDP_H
#define MN_WIRE_UDP_H

#include "wire/parse.h"
#include <stddef.h>
#include <stdint.h>

#define MN_UDP_HDR_LEN 8

struct mn_udp_hdr {
  uint16_t sport, dport;
  uint16_t len; /* header + payload */
  uint16_t csum;
};

/* len is the IP payload length.  Checks length field in [8, len] and the
 * checksum over the pseudo-header unless it is zero (RFC 768: no checksum).
 * The payload is buf[8 .. h->len). */
enum mn_parse mn_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                           struct mn_udp_hdr *h);
/* Writes the header for a payload already at buf + 8 and computes the
 * checksum (a computed 0 is sent as 0xffff).  h->len and h->csum are
 * ignored. */
void mn_udp_emit(const struct mn_udp_hdr *h, uint8_t *buf, size_t payload_len, uint32_t src,
                 uint32_t dst);

#endif
