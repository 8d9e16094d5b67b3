/* A small sorted set of disjoint sequence ranges [start, end): the
 * receiver's out-of-order data (and the SACK blocks that describe it) and
 * the sender's SACK scoreboard (RFC 6675).  Comparisons are wrap-safe, so
 * a set may straddle 2^32. */
#ifndef MN_TCP_SEQSET_H
#define MN_TCP_SEQSET_H

#include <stdbool.h>
#include <stdint.h>

/* Beyond this many holes a segment that would make another range is
 * dropped (the receiver) or its SACK block ignored (the sender); the
 * peer retransmits, nothing is lost. */
#define MN_SEQSET_MAX 32

struct mn_seq_range {
  uint32_t start, end;
  uint32_t stamp; /* when data was last added to it: SACK blocks go most recent first */
};

struct mn_seqset {
  struct mn_seq_range r[MN_SEQSET_MAX];
  int n;
  uint32_t clock; /* the last stamp handed out */
};

static inline void mn_seqset_clear(struct mn_seqset *s)
{
  s->n = 0;
  s->clock = 0;
}
/* Add [start, end); merges with overlapping or adjacent ranges.  Returns
 * false if the set is full and the range could not be recorded. */
bool mn_seqset_add(struct mn_seqset *s, uint32_t start, uint32_t end);
/* Forget everything below seq (ranges are cut at seq). */
void mn_seqset_trim(struct mn_seqset *s, uint32_t seq);
/* Bytes covered. */
uint32_t mn_seqset_bytes(const struct mn_seqset *s);
/* Is seq inside a range? */
bool mn_seqset_contains(const struct mn_seqset *s, uint32_t seq);
/* The end of the range holding seq, or seq if none does (ranges never
 * touch, so that is the first sequence number not in the set). */
uint32_t mn_seqset_skip(const struct mn_seqset *s, uint32_t seq);
/* Bytes covered at or above seq. */
uint32_t mn_seqset_bytes_above(const struct mn_seqset *s, uint32_t seq);

#endif
