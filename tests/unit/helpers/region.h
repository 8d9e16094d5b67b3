/* Regions for the unit tests' stacks: every stack the helpers make lives
 * in one (as stacks shared by processes will), unless TN_MALLOC is set in
 * the environment, which gives the malloc path instead.  Closing a region
 * fails the test if memory leaked (bytes in use are not back to what they
 * were when it opened) or the allocator's state is inconsistent. */
#ifndef MN_TEST_REGION_H
#define MN_TEST_REGION_H

#include "core/region.h"

#include <stddef.h>

/* Address space only: the range stays sparse until used. */
#define TN_REGION_BOUND ((size_t)256 << 20)

struct tn_region {
  struct mn_region *r; /* NULL: the stack uses malloc */
  void *base;
  int slot; /* in the helper's set of mappings, or -1 */
  size_t in_use_at_open;
};

/* A fresh region, or r = NULL under TN_MALLOC. */
void tn_region_open(struct tn_region *tr);
/* Check for leaks and consistency; the mapping is wiped for reuse. */
void tn_region_close(struct tn_region *tr);

#endif
