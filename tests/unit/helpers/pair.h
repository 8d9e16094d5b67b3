/* Two stacks joined by a simulated link on a virtual clock: the link can
 * delay, lose, duplicate and reorder frames from a seeded random source,
 * so a transfer between two instances is a reproducible experiment. */
#ifndef MN_TEST_PAIR_H
#define MN_TEST_PAIR_H

#include "core/rand.h"
#include "helpers/testnet.h"

#define PAIR_A mn_ip4(10, 0, 0, 1)
#define PAIR_B mn_ip4(10, 0, 0, 2)

struct pair_frame;

struct pair {
  struct tn_region region; /* both stacks live in it */
  mynet_stack *a, *b;
  struct mn_device *da, *db;
  mynet_port *pa, *pb; /* the devices' ports */
  mynet_time now;
  struct mn_rand rand;
  uint32_t loss_ppm, dup_ppm, reorder_ppm;
  mynet_time delay;
  struct pair_frame *flight; /* frames on the wire, by arrival time */
  uint64_t frames, dropped;
};

void pair_setup(struct pair *p, uint64_t seed);
/* Fails the test on leaked buffers, timers or memory. */
void pair_teardown(struct pair *p);
/* Move frames and fire timers until `dt` of virtual time has passed. */
void pair_run(struct pair *p, mynet_time dt);
/* Run until cond(ctx) holds or `limit` of virtual time passes; returns cond. */
bool pair_run_until(struct pair *p, mynet_time limit, bool (*cond)(void *ctx), void *ctx);

#endif
