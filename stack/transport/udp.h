/* UDP (RFC 768, RFC 1122 4.1). */
#ifndef MN_TRANSPORT_UDP_H
#define MN_TRANSPORT_UDP_H

#include "core/pbuf.h"
#include "wire/ipv4.h"

struct mynet_stack;
struct mynet_sock;

struct mn_udp_state {
  struct mn_udp_sock *socks; /* every bound UDP socket */
};

int mn_udp_socket(struct mynet_stack *st, struct mynet_sock **out);
/* p holds the UDP datagram at data; consumes p. */
void mn_udp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip);
/* An ICMP error about a datagram we sent from lport to (raddr, rport). */
void mn_udp_icmp_error(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport, int err);

#endif
