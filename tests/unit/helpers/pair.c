#include "helpers/pair.h"

#include "port.h"

#include <stdlib.h>
#include <string.h>

struct pair_frame {
  struct pair_frame *next;
  mynet_time at;
  int to_b;
  struct mn_pbuf *p;
};

static mynet_stack *make_stack(struct pair *p, uint64_t seed, uint32_t addr, uint8_t last,
                               struct mn_device **dev, mynet_port **port)
{
  struct mynet_stack_params prm = {
      .seed = seed, .now = p->now, .log_level = -1, .region = p->region.r};
  mynet_stack *st;
  ck_assert_int_eq(mynet_stack_new(&prm, &st), 0);
  *dev = tn_device_new();
  uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
  int index = mn_iface_add(st, (*dev)->name, (*dev)->mtu, mac, addr, 24, false);
  ck_assert_int_ge(index, 1);
  *port = mn_port_new(*dev, index);
  ck_assert_ptr_nonnull(*port);
  tn_device_bind(*dev, st, *port);
  return st;
}

void pair_setup(struct pair *p, uint64_t seed)
{
  memset(p, 0, sizeof(*p));
  p->now = MYNET_SEC(100);
  tn_region_open(&p->region);
  p->a = make_stack(p, seed * 2 + 1, PAIR_A, 1, &p->da, &p->pa);
  p->b = make_stack(p, seed * 2 + 2, PAIR_B, 2, &p->db, &p->pb);
  mn_rand_seed(&p->rand, seed);
  p->delay = MYNET_MS(1);
}

static void enqueue(struct pair *p, struct mn_pbuf *f, int to_b, mynet_time at)
{
  struct pair_frame *e = calloc(1, sizeof(*e));
  ck_assert_ptr_nonnull(e);
  e->at = at;
  e->to_b = to_b;
  e->p = f;
  struct pair_frame **pp = &p->flight;
  while (*pp && (*pp)->at <= at)
    pp = &(*pp)->next;
  e->next = *pp;
  *pp = e;
}

/* Take what each stack sent and put it on the wire. */
static void collect(struct pair *p)
{
  for (int from_a = 0; from_a < 2; from_a++) {
    struct mn_device *d = from_a ? p->da : p->db;
    struct mn_pbuf *f;
    while ((f = tn_device_pop_tx(d))) {
      p->frames++;
      if (mn_rand_ppm(&p->rand, p->loss_ppm)) {
        p->dropped++;
        mn_pbuf_free(f);
        continue;
      }
      mynet_time at = p->now + p->delay;
      if (mn_rand_ppm(&p->rand, p->reorder_ppm))
        at += p->delay + mn_rand_below(&p->rand, (uint32_t)p->delay + 1);
      if (mn_rand_ppm(&p->rand, p->dup_ppm)) {
        struct mn_pbuf *c = mn_pbuf_clone(f);
        if (c)
          enqueue(p, c, from_a, at + 10);
      }
      enqueue(p, f, from_a, at);
    }
  }
}

static void deliver_due(struct pair *p)
{
  while (p->flight && p->flight->at <= p->now) {
    struct pair_frame *e = p->flight;
    p->flight = e->next;
    /* The receiving stack owns its pool: copy across. */
    mynet_stack *to = e->to_b ? p->b : p->a;
    struct mn_pbuf *c = mn_pbuf_alloc(&to->pool, MN_PBUF_HEADROOM, e->p->len);
    if (c) {
      memcpy(c->data, e->p->data, e->p->len);
      tn_device_inject(e->to_b ? p->db : p->da, c);
    }
    mn_pbuf_free(e->p);
    free(e);
  }
}

void pair_run(struct pair *p, mynet_time dt)
{
  mynet_time end = p->now + dt;
  for (;;) {
    mynet_stack_poll(p->a, &p->pa, 1, p->now);
    mynet_stack_poll(p->b, &p->pb, 1, p->now);
    collect(p);
    deliver_due(p);
    mynet_stack_poll(p->a, &p->pa, 1, p->now);
    mynet_stack_poll(p->b, &p->pb, 1, p->now);
    collect(p);
    mynet_time next = mynet_stack_deadline(p->a);
    mynet_time nb = mynet_stack_deadline(p->b);
    if (nb < next)
      next = nb;
    if (p->flight && p->flight->at < next)
      next = p->flight->at;
    if (next <= p->now) {
      if (p->flight && p->flight->at <= p->now)
        continue;
      next = p->now + 1;
    }
    if (next > end)
      break;
    p->now = next;
  }
  p->now = end;
  mynet_stack_poll(p->a, &p->pa, 1, p->now);
  mynet_stack_poll(p->b, &p->pb, 1, p->now);
  collect(p);
}

bool pair_run_until(struct pair *p, mynet_time limit, bool (*cond)(void *ctx), void *ctx)
{
  mynet_time end = p->now + limit;
  while (p->now < end) {
    if (cond(ctx))
      return true;
    pair_run(p, MYNET_MS(1));
  }
  return cond(ctx);
}

void pair_teardown(struct pair *p)
{
  while (p->flight) {
    struct pair_frame *e = p->flight;
    p->flight = e->next;
    mn_pbuf_free(e->p);
    free(e);
  }
  struct mn_pbuf *f;
  while ((f = tn_device_pop_tx(p->da)))
    mn_pbuf_free(f);
  while ((f = tn_device_pop_tx(p->db)))
    mn_pbuf_free(f);
  mynet_port_close(p->pa);
  mynet_port_close(p->pb);
  ck_assert_uint_eq(mn_stack_free_report(p->a), 0);
  ck_assert_uint_eq(mn_stack_free_report(p->b), 0);
  tn_region_close(&p->region);
}
