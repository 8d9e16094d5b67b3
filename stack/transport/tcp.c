/* TCP: not implemented yet.  Segments are counted and dropped and
 * stream sockets cannot be created; the engine lands with its own issue. */
#include "transport/tcp.h"

#include "stack_impl.h"

#include <errno.h>

int mn_tcp_init(struct mynet_stack *st) { return 0; }

void mn_tcp_destroy(struct mynet_stack *st) {}

int mn_tcp_socket(struct mynet_stack *st, struct mynet_sock **out) { return -EPROTONOSUPPORT; }

void mn_tcp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip)
{
  st->ctr.tcp_in_segs++;
  mn_pbuf_free(p);
}

void mn_tcp_icmp_error(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport, uint32_t seq, uint8_t type, uint8_t code, int err)
{
}

bool mn_tcp_lingering(const struct mynet_stack *st) { return false; }
