/* TCP: the entry points the rest of the stack uses. */
#ifndef MN_TRANSPORT_TCP_H
#define MN_TRANSPORT_TCP_H

#include "core/pbuf.h"
#include "wire/ipv4.h"
#include <stdbool.h>

struct mynet_stack;
struct mynet_sock;

int mn_tcp_init(struct mynet_stack *st);
void mn_tcp_destroy(struct mynet_stack *st);
int mn_tcp_socket(struct mynet_stack *st, struct mynet_sock **out);
/* Bytes a send would queue now (0 when it would block or fail). */
size_t mn_tcp_send_space(const struct mynet_sock *s);
/* FIN_WAIT_1, CLOSING or LAST_ACK: our FIN not acknowledged yet. */
bool mn_tcp_closing(const struct mynet_sock *s);
/* p holds the segment at data, the IP header in the headroom; consumes p. */
void mn_tcp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip);
/* An ICMP error about a segment we sent (seq is the quoted sequence). */
void mn_tcp_icmp_error(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport, uint32_t seq, uint8_t type, uint8_t code, int err);
/* Send the ACKs deferred while a batch of frames was received. */
void mn_tcp_flush_acks(struct mynet_stack *st);
/* The connection timers (MN_TIMER_TCP_*). */
void mn_tcp_rexmt_timer(struct mn_timer *t, mynet_time now);
void mn_tcp_delack_timer(struct mn_timer *t, mynet_time now);
void mn_tcp_keep_timer(struct mn_timer *t, mynet_time now);
void mn_tcp_reorder_timer(struct mn_timer *t, mynet_time now);
/* Some closed connection still has data or a FIN exchange to finish. */
bool mn_tcp_lingering(const struct mynet_stack *st);

#endif
