#include "transport/tcp_seqset.h"

#include "transport/tcp_seq.h"

#include <string.h>

static void remove_at(struct mn_seqset *s, int i)
{
  memmove(&s->r[i], &s->r[i + 1], (size_t)(s->n - i - 1) * sizeof(s->r[0]));
  s->n--;
}

bool mn_seqset_add(struct mn_seqset *s, uint32_t start, uint32_t end)
{
  if (!SEQ_LT(start, end))
    return true;
  /* Find the first range that ends at or after start. */
  int i = 0;
  while (i < s->n && SEQ_LT(s->r[i].end, start))
    i++;
  if (i == s->n || SEQ_LT(end, s->r[i].start)) {
    /* Disjoint from everything: insert before i. */
    if (s->n == MN_SEQSET_MAX)
      return false;
    memmove(&s->r[i + 1], &s->r[i], (size_t)(s->n - i) * sizeof(s->r[0]));
    s->r[i] = (struct mn_seq_range){start, end, ++s->clock};
    s->n++;
    return true;
  }
  /* Overlaps or touches r[i]: grow it, then swallow the ranges it reaches. */
  s->r[i].start = SEQ_MIN(s->r[i].start, start);
  s->r[i].end = SEQ_MAX(s->r[i].end, end);
  while (i + 1 < s->n && SEQ_LEQ(s->r[i + 1].start, s->r[i].end)) {
    s->r[i].end = SEQ_MAX(s->r[i].end, s->r[i + 1].end);
    remove_at(s, i + 1);
  }
  s->r[i].stamp = ++s->clock;
  return true;
}

void mn_seqset_trim(struct mn_seqset *s, uint32_t seq)
{
  while (s->n && SEQ_LEQ(s->r[0].end, seq))
    remove_at(s, 0);
  if (s->n && SEQ_LT(s->r[0].start, seq))
    s->r[0].start = seq;
}

uint32_t mn_seqset_bytes(const struct mn_seqset *s)
{
  uint32_t n = 0;
  for (int i = 0; i < s->n; i++)
    n += s->r[i].end - s->r[i].start;
  return n;
}

bool mn_seqset_contains(const struct mn_seqset *s, uint32_t seq)
{
  return mn_seqset_skip(s, seq) != seq;
}

uint32_t mn_seqset_skip(const struct mn_seqset *s, uint32_t seq)
{
  for (int i = 0; i < s->n; i++)
    if (SEQ_GEQ(seq, s->r[i].start) && SEQ_LT(seq, s->r[i].end))
      return s->r[i].end;
  return seq;
}

uint32_t mn_seqset_bytes_above(const struct mn_seqset *s, uint32_t seq)
{
  uint32_t n = 0;
  for (int i = 0; i < s->n; i++) {
    if (SEQ_LEQ(s->r[i].end, seq))
      continue;
    uint32_t from = SEQ_MAX(s->r[i].start, seq);
    n += s->r[i].end - from;
  }
  return n;
}
