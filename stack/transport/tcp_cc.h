/* Congestion control behind a small interface (RFC 5681 framework), so an
 * algorithm other than CUBIC can be added without touching the engine.
 * Windows are in bytes. */
#ifndef MN_TCP_CC_H
#define MN_TCP_CC_H

#include <mynet/stack.h>
#include <stdint.h>

struct mn_tcp_sock;

struct mn_tcp_cc_ops {
  const char *name;
  void (*init)(struct mn_tcp_sock *tp);
  /* New data acknowledged outside loss recovery: grow cwnd. */
  void (*on_ack)(struct mn_tcp_sock *tp, uint32_t acked, mynet_time now);
  /* Loss detected (fast retransmit or timeout): the new ssthresh. */
  uint32_t (*ssthresh)(struct mn_tcp_sock *tp, mynet_time now);
};

/* CUBIC state (RFC 9438), kept in the socket. */
struct mn_cubic {
  double w_max;      /* segments, window before the last reduction */
  double w_last_max; /* for fast convergence */
  double k;          /* seconds */
  double w_est;      /* Reno-friendly estimate, segments */
  mynet_time epoch;  /* start of the current congestion-avoidance epoch; 0 = none */
  double cwnd_frac;  /* fractional segments accumulated in congestion avoidance */
};

/* A socket names its algorithm by kind, never by a pointer to its
 * operations: sockets live in memory shared by processes in which the
 * library sits at different addresses. */
enum mn_tcp_cc_kind { MN_TCP_CC_CUBIC, MN_TCP_CC_RENO };

extern const struct mn_tcp_cc_ops mn_tcp_cc_cubic;
extern const struct mn_tcp_cc_ops mn_tcp_cc_reno;
/* The operations of a kind. */
const struct mn_tcp_cc_ops *mn_tcp_cc(enum mn_tcp_cc_kind kind);
/* The kind named name, or -ENOENT. */
int mn_tcp_cc_find(const char *name);

#endif
