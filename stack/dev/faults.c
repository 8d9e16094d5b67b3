/* A device that makes the link bad on purpose: loss, duplication,
 * reordering, delay with jitter and bit corruption, applied to frames in
 * both directions, reproducible from a seed.
 *
 * Delayed frames wait in per-direction queues ordered by release time;
 * the device reports the earliest release as its deadline, so the stack
 * is polled then and releases them from receive(). */
#include "core/counters.h"
#include "core/rand.h"
#include "dev/device.h"

#include <errno.h>
#include <mynet/config.h>
#include <stdlib.h>
#include <string.h>

struct delay_queue {
  struct mn_pbuf *head, *tail;
  mynet_time last; /* release time of the newest frame kept in order */
};

struct faults {
  struct mn_device dev;
  struct mn_device *inner;
  struct mynet_faults_cfg cfg;
  struct mn_rand rand;
  struct mn_counters *ctr;
  struct delay_queue tx, rx;
};

static void dq_insert(struct delay_queue *q, struct mn_pbuf *p)
{
  p->next = NULL;
  if (!q->head) {
    q->head = q->tail = p;
    return;
  }
  if (p->when >= q->tail->when) { /* the common case with a fixed delay */
    q->tail->next = p;
    q->tail = p;
    return;
  }
  struct mn_pbuf **pp = &q->head;
  while (*pp && (*pp)->when <= p->when)
    pp = &(*pp)->next;
  p->next = *pp;
  *pp = p;
}

static struct mn_pbuf *dq_pop_due(struct delay_queue *q, mynet_time now)
{
  struct mn_pbuf *p = q->head;
  if (!p || p->when > now)
    return NULL;
  q->head = p->next;
  if (!q->head)
    q->tail = NULL;
  p->next = NULL;
  return p;
}

static void dq_clear(struct delay_queue *q)
{
  while (q->head) {
    struct mn_pbuf *p = q->head;
    q->head = p->next;
    mn_pbuf_free(p);
  }
  q->tail = NULL;
}

/* Jitter varies the delay but keeps the order, as a real path does:
 * frames overtake one another only at the rate `reorder` asks for.  (A
 * jitter far above the gap between frames would otherwise shuffle most of
 * a burst, which no link does and no sender tolerates.) */
static mynet_time release_time(struct faults *f, struct delay_queue *q, mynet_time now)
{
  mynet_time d = f->cfg.delay;
  if (f->cfg.jitter)
    d += (mynet_time)mn_rand_below(&f->rand, (uint32_t)(2 * f->cfg.jitter + 1)) - f->cfg.jitter;
  mynet_time when = now + (d > 0 ? d : 0);
  if (mn_rand_ppm(&f->rand, f->cfg.reorder_ppm)) {
    /* Hold this frame back long enough for the next ones to overtake it. */
    f->ctr->faults_reordered++;
    return when + (f->cfg.delay > MYNET_MS(1) ? f->cfg.delay : MYNET_MS(1));
  }
  if (when < q->last)
    when = q->last;
  q->last = when;
  return when;
}

static void corrupt(struct faults *f, struct mn_pbuf *p)
{
  /* Flip one bit past the Ethernet header, where a checksum must catch it. */
  if (p->len <= 14)
    return;
  uint32_t byte = 14 + mn_rand_below(&f->rand, p->len - 14);
  p->data[byte] ^= (uint8_t)(1u << mn_rand_below(&f->rand, 8));
  f->ctr->faults_corrupted++;
}

/* Decide the fate of one frame: NULL if lost, otherwise the frame (and a
 * duplicate in *dup) with their release times set. */
static struct mn_pbuf *impair(struct faults *f, struct delay_queue *q, struct mn_pbuf *p,
                              struct mn_pbuf **dup, mynet_time now)
{
  *dup = NULL;
  if (mn_rand_ppm(&f->rand, f->cfg.loss_ppm)) {
    f->ctr->faults_dropped++;
    mn_pbuf_free(p);
    return NULL;
  }
  if (mn_rand_ppm(&f->rand, f->cfg.dup_ppm)) {
    *dup = mn_pbuf_clone(p);
    if (*dup) {
      f->ctr->faults_duplicated++;
      (*dup)->when = release_time(f, q, now);
    }
  }
  if (mn_rand_ppm(&f->rand, f->cfg.corrupt_ppm))
    corrupt(f, p);
  p->when = release_time(f, q, now);
  if (p->when > now)
    f->ctr->faults_delayed++;
  return p;
}

static void flush_tx(struct faults *f, mynet_time now)
{
  struct mn_pbuf *p;
  while ((p = dq_pop_due(&f->tx, now)))
    f->inner->ops->transmit(f->inner, p, now);
}

static int faults_transmit(struct mn_device *d, struct mn_pbuf *p, mynet_time now)
{
  struct faults *f = (struct faults *)d;
  struct mn_pbuf *dup;
  p = impair(f, &f->tx, p, &dup, now);
  if (p)
    dq_insert(&f->tx, p);
  if (dup)
    dq_insert(&f->tx, dup);
  flush_tx(f, now);
  return 0;
}

static struct mn_pbuf *faults_receive(struct mn_device *d, struct mn_pool *pool, mynet_time now)
{
  struct faults *f = (struct faults *)d;
  flush_tx(f, now);
  for (;;) {
    struct mn_pbuf *p = dq_pop_due(&f->rx, now);
    if (p)
      return p;
    p = f->inner->ops->receive(f->inner, pool, now);
    if (!p)
      return NULL;
    struct mn_pbuf *dup;
    p = impair(f, &f->rx, p, &dup, now);
    if (p)
      dq_insert(&f->rx, p);
    if (dup)
      dq_insert(&f->rx, dup);
  }
}

static mynet_time faults_deadline(const struct mn_device *d)
{
  const struct faults *f = (const struct faults *)d;
  mynet_time t = f->inner->ops->deadline(f->inner);
  if (f->tx.head && f->tx.head->when < t)
    t = f->tx.head->when;
  if (f->rx.head && f->rx.head->when < t)
    t = f->rx.head->when;
  return t;
}

static int faults_fd(const struct mn_device *d)
{
  const struct faults *f = (const struct faults *)d;
  return f->inner->ops->fd(f->inner);
}

static void faults_destroy(struct mn_device *d)
{
  struct faults *f = (struct faults *)d;
  dq_clear(&f->tx);
  dq_clear(&f->rx);
  f->inner->ops->destroy(f->inner);
  free(f);
}

static const struct mn_device_ops faults_ops = {
    .transmit = faults_transmit,
    .receive = faults_receive,
    .deadline = faults_deadline,
    .fd = faults_fd,
    .destroy = faults_destroy,
};

struct mn_device *mn_faults_wrap(struct mn_device *inner, const struct mynet_faults_cfg *cfg,
                                 struct mn_counters *ctr)
{
  struct faults *f = calloc(1, sizeof(*f));
  if (!f)
    return NULL;
  f->dev.ops = &faults_ops;
  memcpy(f->dev.name, inner->name, sizeof(f->dev.name));
  f->dev.mtu = inner->mtu;
  f->inner = inner;
  f->cfg = *cfg;
  f->ctr = ctr;
  mn_rand_seed(&f->rand, cfg->seed);
  return &f->dev;
}
