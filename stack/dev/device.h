/* A device is a small table of functions that move whole Ethernet frames:
 * a TAP, a test device with inspectable queues, or a fault injector
 * wrapped around either.  Devices belong to the process that opened them
 * (a port, port.h) and live in its private memory: the table of functions
 * is valid in that process only, so the stack's state never holds one. */
#ifndef MN_DEV_DEVICE_H
#define MN_DEV_DEVICE_H

#include "core/pbuf.h"
#include <mynet/stack.h>

struct mn_device;

struct mn_device_ops {
  /* Send one frame; consumes p.  0, or a negative errno when the frame
   * was dropped (the stack counts it; upper layers recover as from loss). */
  int (*transmit)(struct mn_device *d, struct mn_pbuf *p, mynet_time now);
  /* One received frame with the Ethernet header at data, or NULL. */
  struct mn_pbuf *(*receive)(struct mn_device *d, struct mn_pool *pool, mynet_time now);
  /* When receive() will have a frame that no fd event announces (queues
   * inside the process); MYNET_TIME_NEVER if never. */
  mynet_time (*deadline)(const struct mn_device *d);
  /* A kernel fd that becomes readable when frames arrive, or -1. */
  int (*fd)(const struct mn_device *d);
  void (*destroy)(struct mn_device *d);
};

struct mn_device {
  const struct mn_device_ops *ops;
  char name[16];
  uint16_t mtu; /* IP MTU: largest frame is mtu + 14 */
};

/* An existing TAP device, opened by name through /dev/net/tun.  Returns
 * a negative errno, with a message for the user in err. */
/* fd_floor: the lowest descriptor number the device may keep (0: any). */
int mn_tap_open(const char *name, uint16_t mtu, int fd_floor, struct mn_device **out, char *err,
                size_t errlen);

/* A TAP descriptor this process already has (inherited across exec). */
int mn_tap_adopt(int fd, const char *name, uint16_t mtu, struct mn_device **out);

struct mynet_faults_cfg;
struct mn_counters;
/* Wraps inner (taking ownership): loss, duplication, reordering, delay and
 * corruption in both directions, reproducible from cfg->seed. */
struct mn_device *mn_faults_wrap(struct mn_device *inner, const struct mynet_faults_cfg *cfg,
                                 struct mn_counters *ctr);

#endif
