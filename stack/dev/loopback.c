/* The in-process loopback device: 127.0.0.0/8 and our own addresses. */
#include "dev/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct loopback {
  struct mn_device dev;
  struct mn_pbuf_queue q;
};

/* Bound the queue so a program that floods itself drops instead of
 * growing without limit (the kernel's backlog is 1000 packets). */
#define LOOPBACK_QUEUE_MAX 1000

static int lo_transmit(struct mn_device *d, struct mn_pbuf *p, mynet_time now)
{
  struct loopback *lo = (struct loopback *)d;
  if (lo->q.count >= LOOPBACK_QUEUE_MAX) {
    mn_pbuf_free(p);
    return -ENOBUFS;
  }
  mn_pbuf_queue_push(&lo->q, p);
  return 0;
}

static struct mn_pbuf *lo_receive(struct mn_device *d, struct mn_pool *pool, mynet_time now)
{
  return mn_pbuf_queue_pop(&((struct loopback *)d)->q);
}

static mynet_time lo_deadline(const struct mn_device *d)
{
  return ((const struct loopback *)d)->q.count ? 0 : MYNET_TIME_NEVER;
}

static int lo_fd(const struct mn_device *d)
{
  return -1;
}

static void lo_destroy(struct mn_device *d)
{
  struct loopback *lo = (struct loopback *)d;
  mn_pbuf_queue_clear(&lo->q);
  free(lo);
}

static const struct mn_device_ops lo_ops = {
    .transmit = lo_transmit,
    .receive = lo_receive,
    .deadline = lo_deadline,
    .fd = lo_fd,
    .destroy = lo_destroy,
};

struct mn_device *mn_loopback_new(void)
{
  struct loopback *lo = calloc(1, sizeof(*lo));
  if (!lo)
    return NULL;
  lo->dev.ops = &lo_ops;
  strcpy(lo->dev.name, "lo");
  /* The kernel's loopback MTU; without fragmentation a large UDP
   * datagram to ourselves still fits, as on the kernel. */
  lo->dev.mtu = 65535 - 14 - MN_PBUF_HEADROOM;
  return &lo->dev;
}
