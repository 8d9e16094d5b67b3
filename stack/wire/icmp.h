/* ICMP messages (RFC 792). */
#ifndef MN_WIRE_ICMP_H
#define MN_WIRE_ICMP_H

#include "wire/parse.h"
#include <stddef.h>
#include <stdint.h>

#define MN_ICMP_HDR_LEN 8
#define MN_ICMP_ECHO_REPLY 0
#define MN_ICMP_DEST_UNREACH 3
#define MN_ICMP_SOURCE_QUENCH 4
#define MN_ICMP_ECHO_REQUEST 8
#define MN_ICMP_TIME_EXCEEDED 11
#define MN_ICMP_PARAM_PROBLEM 12

#define MN_ICMP_NET_UNREACH 0
#define MN_ICMP_HOST_UNREACH 1
#define MN_ICMP_PROTO_UNREACH 2
#define MN_ICMP_PORT_UNREACH 3
#define MN_ICMP_FRAG_NEEDED 4

struct mn_icmp_hdr {
  uint8_t type, code;
  uint32_t rest; /* bytes 4..7: echo id<<16|seq, next-hop MTU, pointer... */
};

/* len is the whole ICMP message; the checksum covers all of it. */
enum mn_parse mn_icmp_parse(const uint8_t *buf, size_t len, struct mn_icmp_hdr *h);
/* Writes the 8-byte header and the checksum over buf[0..len), where the
 * body (buf + 8) is already in place. */
void mn_icmp_emit(const struct mn_icmp_hdr *h, uint8_t *buf, size_t len);

#endif
