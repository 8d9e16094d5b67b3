/* A TAP device: Ethernet frames to and from the kernel through
 * /dev/net/tun.  One read() or write() per frame for now; IFF_VNET_HDR
 * with 64 KB segments comes later and changes only this file. */
#include "dev/device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct tap {
  struct mn_device dev;
  int fd;
};

static int tap_transmit(struct mn_device *d, struct mn_pbuf *p, mynet_time now)
{
  struct tap *t = (struct tap *)d;
  ssize_t n;
  do
    n = write(t->fd, p->data, p->len);
  while (n < 0 && errno == EINTR);
  int rc = n < 0 ? -errno : 0;
  mn_pbuf_free(p);
  return rc;
}

static struct mn_pbuf *tap_receive(struct mn_device *d, struct mn_pool *pool, mynet_time now)
{
  struct tap *t = (struct tap *)d;
  size_t room = (size_t)d->mtu + 14 + 4;
  struct mn_pbuf *p = mn_pbuf_alloc(pool, MN_PBUF_HEADROOM, room);
  if (!p) {
    /* Out of buffers: drain one frame anyway so the fd stops being
     * readable, or the driver would spin. */
    uint8_t scratch[64];
    if (read(t->fd, scratch, sizeof(scratch)) < 0 && errno != EAGAIN)
      return NULL;
    return NULL;
  }
  ssize_t n;
  do
    n = read(t->fd, p->data, room);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    mn_pbuf_free(p);
    return NULL;
  }
  p->len = (uint32_t)n;
  p->when = now;
  return p;
}

static mynet_time tap_deadline(const struct mn_device *d)
{
  return MYNET_TIME_NEVER;
}

static int tap_fd(const struct mn_device *d)
{
  return ((const struct tap *)d)->fd;
}

static void tap_destroy(struct mn_device *d)
{
  struct tap *t = (struct tap *)d;
  close(t->fd);
  free(t);
}

static const struct mn_device_ops tap_ops = {
    .transmit = tap_transmit,
    .receive = tap_receive,
    .deadline = tap_deadline,
    .fd = tap_fd,
    .destroy = tap_destroy,
};

/* Attaching to a TAP raises its carrier, but the kernel finishes bringing
 * the link up (IFF_RUNNING, its queue discipline) a moment later; a frame
 * it answers before that is dropped, which cost the first ARP exchange a
 * one-second retry.  So wait for the link here, once, at most a second:
 * the only wait in the stack, at configuration time.  AF_UNIX is enough
 * for SIOCGIFFLAGS and never reaches the shim's AF_INET handling. */
static void wait_running(const char *name)
{
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return;
  for (int i = 0; i < 100; i++) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_RUNNING) ||
        !(ifr.ifr_flags & IFF_UP))
      break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  close(s);
}

int mn_tap_open(const char *name, uint16_t mtu, int fd_floor, struct mn_device **out, char *err,
                size_t errlen)
{
  if (strlen(name) >= IFNAMSIZ) {
    snprintf(err, errlen, "MYNET_TAP: device name '%s' is longer than %d characters", name,
             IFNAMSIZ - 1);
    return -EINVAL;
  }
  /* Attach to an existing device only: TUNSETIFF on an unknown name would
   * create a device the user never asked for in their namespace. */
  if (if_nametoindex(name) == 0) {
    snprintf(err, errlen,
             "MYNET_TAP: no network device named '%s' in this namespace "
             "(expected the name of an existing TAP, e.g. made by tools/mynet-netns up)",
             name);
    return -ENODEV;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "MYNET_TAP: cannot open /dev/net/tun: %s", strerror(e));
    return -e;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  /* A multi-queue TAP (tools/mynet-netns makes one) takes a queue per
   * process of a shared stack; a single-queue one only the first opener
   * (the others sharing it through inherited descriptors). */
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
  memcpy(ifr.ifr_name, name, strlen(name));
  int rc = ioctl(fd, TUNSETIFF, &ifr);
  if (rc < 0 && errno == EINVAL) {
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    rc = ioctl(fd, TUNSETIFF, &ifr);
  }
  if (rc < 0) {
    int e = errno;
    snprintf(err, errlen, "MYNET_TAP: cannot attach to TAP device '%s': %s", name, strerror(e));
    close(fd);
    return -e;
  }
  wait_running(name);
  if (fd_floor > 0 && fd < fd_floor) {
    /* Out of the way of a program that takes, closes or dup2()s over low
     * numbers it does not know; anywhere but 0-2 if none is free there. */
    int high = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor);
    if (high < 0)
      high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (high >= 0) {
      close(fd);
      fd = high;
    }
  }
  struct tap *t = calloc(1, sizeof(*t));
  if (!t) {
    close(fd);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  t->dev.ops = &tap_ops;
  snprintf(t->dev.name, sizeof(t->dev.name), "%s", name);
  t->dev.mtu = mtu;
  t->fd = fd;
  *out = &t->dev;
  return 0;
}

int mn_tap_adopt(int fd, const char *name, uint16_t mtu, struct mn_device **out)
{
  struct tap *t = calloc(1, sizeof(*t));
  if (!t)
    return -ENOMEM;
  t->dev.ops = &tap_ops;
  snprintf(t->dev.name, sizeof(t->dev.name), "%s", name);
  t->dev.mtu = mtu;
  t->fd = fd;
  *out = &t->dev;
  return 0;
}
