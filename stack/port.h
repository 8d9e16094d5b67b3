/* Ports: a process's own device for one of the stack's interfaces (see
 * mynet_port in mynet/stack.h).  A port lives in the process's private
 * memory and is passed to the stack on each call that moves frames; the
 * stack's state never points to one. */
#ifndef MN_PORT_H
#define MN_PORT_H

#include "dev/device.h"
#include <mynet/stack.h>

struct mynet_port {
  struct mn_device *dev;
  int ifindex;
  mynet_frame_fn frame; /* capture hook, or NULL */
  void *frame_ctx;
};

/* A port around dev (taking ownership) for interface ifindex; NULL when
 * out of memory, dev destroyed. */
struct mynet_port *mn_port_new(struct mn_device *dev, int ifindex);

/* Under the lock: receive up to budget frames from p into the stack;
 * returns how many. */
int mn_port_receive(struct mynet_stack *st, struct mynet_port *p, int budget);
/* Under the lock: hand p every frame its interface has queued. */
void mn_port_transmit(struct mynet_stack *st, struct mynet_port *p);

#endif
