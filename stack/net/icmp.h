/* ICMP (RFC 792, RFC 1122 3.2.2): echo, errors out, errors in. */
#ifndef MN_NET_ICMP_H
#define MN_NET_ICMP_H

#include "core/pbuf.h"
#include "wire/ipv4.h"

struct mynet_stack;

/* Error messages we send are rate limited by a token bucket (the kernel
 * limits per destination to one per second with a burst of six; one
 * bucket for the whole stack is enough for a host). */
#define MN_ICMP_BURST 6
#define MN_ICMP_TOKEN_INTERVAL MYNET_MS(1000 / 6)

struct mn_icmp_state {
  int tokens;
  mynet_time refill_at;
};

/* p holds the ICMP message at data; consumes p. */
void mn_icmp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip);
/* Send an error about the datagram `orig` (IP header at orig->data). */
void mn_icmp_send_error(struct mynet_stack *st, const struct mn_pbuf *orig, uint8_t type,
                        uint8_t code, uint32_t rest);
/* Report an error about a datagram we sent ourselves (its IP header at
 * data) to the socket that sent it, as if an ICMP error had come back:
 * how ARP failure reaches sockets as EHOSTUNREACH. */
void mn_icmp_local_error(struct mynet_stack *st, const struct mn_pbuf *sent, uint8_t type,
                         uint8_t code);
/* errno for an ICMP destination-unreachable code (RFC 1122 3.2.2.1). */
int mn_icmp_unreach_errno(uint8_t type, uint8_t code);

#endif
