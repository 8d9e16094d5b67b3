/* The stack object: creation, the poll loop and the deadline. */
#include "stack_impl.h"

#include "dev/device.h"
#include "socket_impl.h"
#include "transport/tcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MN_POOL_DEFAULT (32u * 1024 * 1024)
/* Frames taken from one device per poll before the others get a turn and
 * timers run: keeps one busy TAP from starving timers. */
#define MN_POLL_BUDGET 64

int mynet_stack_new(const struct mynet_stack_params *p, mynet_stack **out)
{
  struct mn_mem mem;
  mn_mem_init(&mem, p->region);
  struct mynet_stack *st = mn_mem_zalloc_unbudgeted(&mem, sizeof(*st));
  if (!st)
    return -ENOMEM;
  st->mem = mem;
  st->now = p->now;
  st->hooks = p->hooks;
  st->fd_floor = p->fd_floor;
  mn_pool_init(&st->pool, &st->mem, p->pool_bytes ? p->pool_bytes : MN_POOL_DEFAULT);
  mn_timer_heap_init(&st->timers, &st->mem);
  mn_rand_seed(&st->rand, p->seed);
  st->ip_id = (uint16_t)mn_rand_next(&st->rand);
  st->icmp.tokens = MN_ICMP_BURST;
  mn_arp_init(st);
  int rc = mn_timer_reserve(&st->timers, MN_ARP_CACHE_SIZE);
  if (rc == 0)
    rc = mn_tcp_init(st);
  if (rc < 0) {
    mynet_stack_free(st);
    return rc;
  }
  struct mn_device *lo = mn_loopback_new();
  if (!lo) {
    mynet_stack_free(st);
    return -ENOMEM;
  }
  static const uint8_t zero_mac[6];
  rc = mn_iface_add(st, lo, zero_mac, mn_ip4(127, 0, 0, 1), 8, true);
  if (rc < 0) {
    mynet_stack_free(st);
    return rc;
  }
  *out = st;
  return 0;
}

/* Tear everything down and say what was left over: packet buffers still
 * handed out or timers still armed once every owner is gone are leaks,
 * and the unit tests fail on them. */
size_t mn_stack_free_report(mynet_stack *st)
{
  if (!st)
    return 0;
  /* Sockets the application still holds are torn down with the stack. */
  while (st->all_socks) {
    struct mynet_sock *s = st->all_socks;
    st->all_socks = s->all_next;
    s->all_next = s->all_prev = NULL;
    s->ops->destroy(s);
  }
  mn_tcp_destroy(st);
  mn_arp_destroy(st);
  for (int i = 0; i < st->n_ifaces; i++)
    st->ifaces[i].dev->ops->destroy(st->ifaces[i].dev);
  size_t leaked = st->pool.live + st->timers.n;
  mn_timer_heap_destroy(&st->timers);
  mn_pool_destroy(&st->pool);
  struct mn_mem mem = st->mem;
  mn_mem_free(&mem, st);
  return leaked;
}

void mynet_stack_free(mynet_stack *st)
{
  mn_stack_free_report(st);
}

void mynet_stack_set_now(mynet_stack *st, mynet_time now)
{
  if (now > st->now)
    st->now = now;
}

mynet_time mynet_stack_now(const mynet_stack *st)
{
  return st->now;
}

int mynet_stack_poll(mynet_stack *st, mynet_time now)
{
  mynet_stack_set_now(st, now);
  int frames = 0;
  bool more = true;
  /* Loopback frames produce replies on loopback; keep going until every
   * device is drained or has used its budget this round. */
  for (int round = 0; more && round < 16; round++) {
    more = false;
    /* ACKs that are merely due (every second segment) wait for the end of
     * the batch: one ACK for what arrived together, as GRO gives the
     * kernel.  Each frame written to a TAP costs a system call. */
    st->rx_batch = true;
    st->rx_epoch++;
    for (int i = 0; i < st->n_ifaces; i++) {
      struct mn_iface *ifc = &st->ifaces[i];
      for (int n = 0; n < MN_POLL_BUDGET; n++) {
        struct mn_pbuf *p = ifc->dev->ops->receive(ifc->dev, &st->pool, st->now);
        if (!p)
          break;
        frames++;
        more = ifc->loopback || more;
        mn_eth_input(st, ifc, p);
      }
    }
    st->rx_batch = false;
    mn_tcp_flush_acks(st);
    mn_timer_run(&st->timers, st->now);
  }
  return frames;
}

mynet_time mynet_stack_deadline(const mynet_stack *st)
{
  mynet_time t = mn_timer_next(&st->timers);
  for (int i = 0; i < st->n_ifaces; i++) {
    mynet_time d = st->ifaces[i].dev->ops->deadline(st->ifaces[i].dev);
    if (d < t)
      t = d;
  }
  return t;
}

int mynet_stack_rx_fds(const mynet_stack *st, int *fds, int max)
{
  int n = 0;
  for (int i = 0; i < st->n_ifaces && n < max; i++) {
    int fd = st->ifaces[i].dev->ops->fd(st->ifaces[i].dev);
    if (fd >= 0)
      fds[n++] = fd;
  }
  return n;
}

bool mynet_stack_lingering(const mynet_stack *st)
{
  /* Datagrams waiting for address resolution count too: the kernel sends
   * them after the program that wrote them has exited. */
  for (int i = 0; i < MN_ARP_CACHE_SIZE; i++)
    if (st->arp.e[i].state == MN_ARP_INCOMPLETE && st->arp.e[i].pending.count)
      return true;
  return mn_tcp_lingering(st);
}

int64_t mynet_stack_counter(const mynet_stack *st, const char *name)
{
#define MN_COUNTER_LOOKUP(layer, field)                                                            \
  if (strcmp(name, #layer "." #field) == 0)                                                        \
    return (int64_t)st->ctr.layer##_##field;
  MN_COUNTERS(MN_COUNTER_LOOKUP)
#undef MN_COUNTER_LOOKUP
  if (strcmp(name, "pool.live") == 0)
    return (int64_t)st->pool.live;
  if (strcmp(name, "mem.alloc_failures") == 0)
    return (int64_t)st->mem.failures;
  if (strcmp(name, "timers.armed") == 0)
    return (int64_t)st->timers.n;
  return -1;
}

static void append_counter(char *buf, size_t cap, size_t *n, const char *name, uint64_t v)
{
  if (!v)
    return;
  int w = snprintf(buf + (*n < cap ? *n : cap), *n < cap ? cap - *n : 0, "%s%s=%llu", *n ? " " : "",
                   name, (unsigned long long)v);
  *n += w > 0 ? (size_t)w : 0;
}

size_t mynet_stack_counters_text(const mynet_stack *st, char *buf, size_t cap)
{
  size_t n = 0;
  if (cap)
    buf[0] = 0;
#define MN_COUNTER_TEXT(layer, field)                                                              \
  append_counter(buf, cap, &n, #layer "." #field, st->ctr.layer##_##field);
  MN_COUNTERS(MN_COUNTER_TEXT)
#undef MN_COUNTER_TEXT
  append_counter(buf, cap, &n, "mem.alloc_failures", st->mem.failures);
  return n;
}

int mn_log_level(const struct mynet_stack *st)
{
  return st->hooks.log ? st->hooks.log_level : -1;
}

void mn_log_emit(const struct mynet_stack *st, int level, const char *fmt, ...)
{
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  st->hooks.log(st->hooks.ctx, level, msg);
}
