/* Ports: moving frames between an interface's queue and a process's
 * device. */
#include "port.h"

#include "net/iface.h"
#include "stack_impl.h"

#include <errno.h>
#include <stdlib.h>

struct mynet_port *mn_port_new(struct mn_device *dev, int ifindex)
{
  struct mynet_port *p = calloc(1, sizeof(*p)); /* the process's own memory */
  if (!p) {
    dev->ops->destroy(dev);
    return NULL;
  }
  p->dev = dev;
  p->ifindex = ifindex;
  return p;
}

void mynet_port_close(mynet_port *p)
{
  if (!p)
    return;
  p->dev->ops->destroy(p->dev);
  free(p);
}

void mynet_port_set_frame_hook(mynet_port *p, mynet_frame_fn fn, void *ctx)
{
  p->frame = fn;
  p->frame_ctx = ctx;
}

int mynet_port_fd(const mynet_port *p)
{
  return p->dev->ops->fd(p->dev);
}

mynet_time mynet_port_deadline(const mynet_port *p)
{
  return p->dev->ops->deadline(p->dev);
}

int mn_port_receive(struct mynet_stack *st, struct mynet_port *p, int budget)
{
  struct mn_iface *ifc = mn_iface_get(st, p->ifindex);
  if (!ifc)
    return 0;
  int n = 0;
  for (; n < budget; n++) {
    struct mn_pbuf *b = p->dev->ops->receive(p->dev, &st->pool, st->now);
    if (!b)
      break;
    if (p->frame)
      p->frame(p->frame_ctx, MYNET_FRAME_IN, b->data, b->len, st->now);
    mn_eth_input(st, ifc, b);
  }
  return n;
}

void mn_port_transmit(struct mynet_stack *st, struct mynet_port *p)
{
  struct mn_iface *ifc = mn_iface_get(st, p->ifindex);
  struct mn_pbuf *b;
  while (ifc && (b = mn_pbuf_queue_pop(&ifc->txq))) {
    if (p->frame)
      p->frame(p->frame_ctx, MYNET_FRAME_OUT, b->data, b->len, st->now);
    int rc = p->dev->ops->transmit(p->dev, b, st->now);
    if (rc < 0) {
      st->ctr.dev_tx_dropped++;
      MN_DEBUG(st, "%s: transmit failed: %d", ifc->name, rc);
    }
  }
}
