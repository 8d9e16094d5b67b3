/* TCP header and options (RFC 9293, 7323, 2018). */
#ifndef MN_WIRE_TCP_H
#define MN_WIRE_TCP_H

#include "wire/parse.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_TCP_HDR_LEN 20
#define MN_TCP_MAX_HDR_LEN 60

#define MN_TCP_FIN 0x01
#define MN_TCP_SYN 0x02
#define MN_TCP_RST 0x04
#define MN_TCP_PSH 0x08
#define MN_TCP_ACK 0x10
#define MN_TCP_URG 0x20
#define MN_TCP_ECE 0x40
#define MN_TCP_CWR 0x80

#define MN_TCP_MAX_SACK 4

struct mn_tcp_sack_block {
  uint32_t left, right;
};

struct mn_tcp_opts {
  bool mss_set, ws_set, sack_ok, ts_set;
  uint16_t mss;
  uint8_t wscale;
  uint32_t tsval, tsecr;
  uint8_t nsack;
  struct mn_tcp_sack_block sack[MN_TCP_MAX_SACK];
};

struct mn_tcp_hdr {
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t hdr_len; /* bytes, 20..60 */
  uint8_t flags;
  uint16_t win, urg;
  struct mn_tcp_opts opt;
};

/* len is the IP payload length.  Checks the data offset and the checksum;
 * options are parsed defensively: an option length below 2 or running past
 * the header ends option parsing, and a known option with a wrong length is
 * skipped, neither failing the segment (as Linux does).  A window scale
 * above 14 is read as 14 (RFC 7323 2.3).  The payload is
 * buf[hdr_len .. len). */
enum mn_parse mn_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                           struct mn_tcp_hdr *h);
/* Bytes the options in o take on the wire, padded to a multiple of 4. */
size_t mn_tcp_opts_len(const struct mn_tcp_opts *o);
/* Writes header and options for a payload already at buf + header length
 * (20 + mn_tcp_opts_len) and the checksum; returns the header length.
 * h->hdr_len is ignored. */
size_t mn_tcp_emit(const struct mn_tcp_hdr *h, uint8_t *buf, size_t payload_len, uint32_t src,
                   uint32_t dst);

#endif
