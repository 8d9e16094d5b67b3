/* Interfaces and the Ethernet layer: a device plus our MAC and address. */
#ifndef MN_NET_IFACE_H
#define MN_NET_IFACE_H

#include "core/pbuf.h"
#include <stdbool.h>
#include <stdint.h>

struct mynet_stack;
struct mn_device;

#define MN_MAX_IFACES 4

struct mn_iface {
  int index; /* position in the stack's table; 0 is always loopback */
  struct mn_device *dev;
  bool loopback;
  bool up;
  uint8_t mac[6];
  uint32_t addr; /* host order */
  uint8_t prefix;
  uint16_t mtu;
};

/* Takes ownership of dev.  Returns the new index or a negative errno. */
int mn_iface_add(struct mynet_stack *st, struct mn_device *dev, const uint8_t mac[6], uint32_t addr,
                 uint8_t prefix, bool loopback);
struct mn_iface *mn_iface_get(struct mynet_stack *st, int index);
/* The interface that owns addr, or NULL. */
struct mn_iface *mn_iface_by_addr(struct mynet_stack *st, uint32_t addr);

/* Validate and demultiplex one received frame; consumes p. */
void mn_eth_input(struct mynet_stack *st, struct mn_iface *ifc, struct mn_pbuf *p);
/* Prepend the Ethernet header and hand the frame to the device;
 * consumes p. */
int mn_eth_output(struct mynet_stack *st, struct mn_iface *ifc, const uint8_t dst[6], uint16_t type,
                  struct mn_pbuf *p);

#endif
