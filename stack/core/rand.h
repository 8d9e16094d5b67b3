/* The stack's random source: a seeded xoshiro256** generator.  The driver
 * seeds it from getrandom(); tests seed it with a constant so every run
 * draws the same ports, IDs and sequence numbers.  Not for secrets on its
 * own: ISNs mix in a keyed hash (RFC 6528) whose key comes from it once. */
#ifndef MN_CORE_RAND_H
#define MN_CORE_RAND_H

#include <stdint.h>

struct mn_rand {
  uint64_t s[4];
};

void mn_rand_seed(struct mn_rand *r, uint64_t seed);
uint64_t mn_rand_next(struct mn_rand *r);
/* Uniform in [0, n), n > 0. */
uint32_t mn_rand_below(struct mn_rand *r, uint32_t n);
/* True with probability ppm / 1e6. */
int mn_rand_ppm(struct mn_rand *r, uint32_t ppm);

#endif
