/* Ephemeral port choice (RFC 6056). */
#ifndef MN_NET_PORTS_H
#define MN_NET_PORTS_H

#include <stdbool.h>
#include <stdint.h>

struct mynet_stack;

/* The kernel's default net.ipv4.ip_local_port_range. */
#define MN_PORT_EPHEMERAL_MIN 32768
#define MN_PORT_EPHEMERAL_MAX 60999

/* RFC 6056 3.3.1 (Algorithm 1): start at a random port and probe upwards,
 * so ports are unpredictable but a free one is always found while any
 * is free.  in_use(ctx, port) says whether the port is taken.  Returns
 * the port, or 0 when the range is exhausted. */
uint16_t mn_port_pick(struct mynet_stack *st, bool (*in_use)(void *ctx, uint16_t port), void *ctx);

#endif
