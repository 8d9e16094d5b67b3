/* Interfaces and the Ethernet layer: a device plus our MAC and address. */
#ifndef MN_NET_IFACE_H
#define MN_NET_IFACE_H

#include "core/pbuf.h"
#include <stdbool.h>
#include <stdint.h>

struct mynet_stack;
struct mn_device;

#define MN_MAX_IFACES 4

/* An interface of the stack.  Its device is not here: each process that
 * drives the stack has its own (a port, port.h).  Frames the interface
 * sends wait in txq until a driver hands them to its port; the loopback's
 * own go back into the stack on the next poll. */
struct mn_iface {
  int index; /* position in the stack's table; 0 is always loopback */
  char name[16];
  struct mn_pbuf_queue txq;
  bool loopback;
  bool up;
  uint8_t mac[6];
  uint32_t addr; /* host order */
  uint8_t prefix;
  uint16_t mtu;
};

/* Frames an interface may have waiting for its device; beyond that it
 * drops, as a full queue discipline does (the kernel's loopback backlog
 * is 1000 packets). */
#define MN_IFACE_TXQ_MAX 1000

/* Returns the new index or a negative errno. */
int mn_iface_add(struct mynet_stack *st, const char *name, uint16_t mtu, const uint8_t mac[6],
                 uint32_t addr, uint8_t prefix, bool loopback);
/* The interface named name, or NULL. */
struct mn_iface *mn_iface_by_name(struct mynet_stack *st, const char *name);
struct mn_iface *mn_iface_get(struct mynet_stack *st, int index);
/* The interface that owns addr, or NULL. */
struct mn_iface *mn_iface_by_addr(struct mynet_stack *st, uint32_t addr);

/* Validate and demultiplex one received frame; consumes p. */
void mn_eth_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p);
/* Prepend the Ethernet header and queue the frame for the device;
 * consumes p. */
int mn_eth_output(struct mynet_stack *st, struct mn_iface *ifc, const uint8_t dst[6], uint16_t type,
                  struct mn_pbuf *p);

#endif
