/* Congestion control algorithms: Reno (RFC 5681) and CUBIC (RFC 9438),
 * the default as on Linux.  Both share slow start. */
#include "transport/tcp_cc.h"

#include "transport/tcp_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Slow start counting every byte acknowledged, as Linux does (RFC 3465
 * with no limit L): receivers that coalesce ACKs (GRO, or this stack's
 * own ACK batching) send one ACK for many segments, and a per-ACK limit
 * of 2 SMSS would make slow start crawl.  Returns the bytes left over once
 * cwnd reaches ssthresh. */
static uint32_t slow_start(struct mn_tcp_sock *tp, uint32_t acked)
{
  uint32_t inc = acked;
  if (tp->cwnd + inc <= tp->ssthresh) {
    tp->cwnd += inc;
    return 0;
  }
  uint32_t used = tp->ssthresh > tp->cwnd ? tp->ssthresh - tp->cwnd : 0;
  tp->cwnd = tp->cwnd > tp->ssthresh ? tp->cwnd : tp->ssthresh;
  return acked > used ? acked - used : 0;
}

static uint32_t flight_half(const struct mn_tcp_sock *tp)
{
  /* RFC 5681 equation (4): max(FlightSize / 2, 2 * SMSS). */
  uint32_t flight = tp->snd_max - tp->snd_una;
  uint32_t half = flight / 2;
  return half > 2u * tp->mss ? half : 2u * tp->mss;
}

static void reno_init(struct mn_tcp_sock *tp)
{
  tp->cubic.cwnd_frac = 0;
}

static void reno_on_ack(struct mn_tcp_sock *tp, uint32_t acked, mynet_time now)
{
  if (tp->cwnd < tp->ssthresh) {
    acked = slow_start(tp, acked);
    if (!acked)
      return;
  }
  /* Congestion avoidance: one SMSS per window of data acknowledged. */
  tp->cubic.cwnd_frac += (double)acked * tp->mss / tp->cwnd;
  if (tp->cubic.cwnd_frac >= tp->mss) {
    uint32_t inc = (uint32_t)(tp->cubic.cwnd_frac / tp->mss) * tp->mss;
    tp->cwnd += inc;
    tp->cubic.cwnd_frac -= inc;
  }
}

static uint32_t reno_ssthresh(struct mn_tcp_sock *tp, mynet_time now)
{
  return flight_half(tp);
}

const struct mn_tcp_cc_ops mn_tcp_cc_reno = {
    .name = "reno",
    .init = reno_init,
    .on_ack = reno_on_ack,
    .ssthresh = reno_ssthresh,
};

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

static void cubic_init(struct mn_tcp_sock *tp)
{
  memset(&tp->cubic, 0, sizeof(tp->cubic));
}

static void cubic_on_ack(struct mn_tcp_sock *tp, uint32_t acked, mynet_time now)
{
  struct mn_cubic *c = &tp->cubic;
  if (tp->cwnd < tp->ssthresh) {
    acked = slow_start(tp, acked);
    if (!acked)
      return;
  }
  double mss = tp->mss;
  double cwnd = tp->cwnd / mss;
  if (c->epoch == 0) {
    /* RFC 9438 4.2: a new congestion-avoidance epoch. */
    c->epoch = now;
    if (cwnd < c->w_max) {
      c->k = cbrt((c->w_max - cwnd) / CUBIC_C);
    } else {
      c->k = 0;
      c->w_max = cwnd;
    }
    c->w_est = cwnd;
  }
  double segs = acked / mss;
  /* RFC 9438 4.3: the Reno-friendly estimate. */
  c->w_est += 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) * segs / cwnd;
  double rtt = tp->srtt ? (double)tp->srtt / 1e6 : 0.1;
  double t = (double)(now - c->epoch) / 1e6 + rtt;
  double target = CUBIC_C * pow(t - c->k, 3) + c->w_max;
  if (target > 1.5 * cwnd)
    target = 1.5 * cwnd;
  if (c->w_est > target)
    target = c->w_est;
  if (target > cwnd) {
    /* 4.4: grow by (target - cwnd) / cwnd per segment acknowledged. */
    c->cwnd_frac += (target - cwnd) / cwnd * segs;
  } else {
    c->cwnd_frac += segs / (100 * cwnd); /* 4.4: very slowly at the plateau */
  }
  if (c->cwnd_frac >= 1) {
    uint32_t inc = (uint32_t)c->cwnd_frac;
    tp->cwnd += inc * tp->mss;
    c->cwnd_frac -= inc;
  }
}

static uint32_t cubic_ssthresh(struct mn_tcp_sock *tp, mynet_time now)
{
  struct mn_cubic *c = &tp->cubic;
  double cwnd = (double)tp->cwnd / tp->mss;
  /* 4.7 fast convergence: release bandwidth to a newer flow. */
  if (cwnd < c->w_max)
    c->w_max = cwnd * (1 + CUBIC_BETA) / 2;
  else
    c->w_max = cwnd;
  c->epoch = 0;
  c->cwnd_frac = 0;
  uint32_t ss = (uint32_t)(tp->cwnd * CUBIC_BETA);
  return ss > 2u * tp->mss ? ss : 2u * tp->mss;
}

const struct mn_tcp_cc_ops mn_tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .ssthresh = cubic_ssthresh,
};

const struct mn_tcp_cc_ops *mn_tcp_cc(enum mn_tcp_cc_kind kind)
{
  return kind == MN_TCP_CC_RENO ? &mn_tcp_cc_reno : &mn_tcp_cc_cubic;
}

int mn_tcp_cc_find(const char *name)
{
  if (strcmp(name, "cubic") == 0)
    return MN_TCP_CC_CUBIC;
  if (strcmp(name, "reno") == 0)
    return MN_TCP_CC_RENO;
  return -ENOENT;
}
