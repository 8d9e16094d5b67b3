#include "core/region.h"

#include <mynet/region.h>

#include <errno.h>
#include <string.h>

/* Under AddressSanitizer the region marks what it has not handed out, so
 * the sanitizer still catches use after free and overflows in memory it
 * no longer sees being malloc'd.  Pages are marked as they are first
 * carved, never the whole bound (that would write shadow for all of it). */
#if defined(__SANITIZE_ADDRESS__)
#define MN_REGION_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MN_REGION_ASAN 1
#endif
#endif
#ifdef MN_REGION_ASAN
#include <sanitizer/asan_interface.h>
/* The marks are the process's own (ASan's shadow memory is private), so
 * with processes sharing a region they would lie: memory another process
 * handed out still reads as free here.  Such processes go without. */
static bool marks_off;
#define poison(p, n)                                                                               \
  do {                                                                                             \
    if (!marks_off)                                                                                \
      ASAN_POISON_MEMORY_REGION((p), (n));                                                         \
  } while (0)
#define unpoison(p, n)                                                                             \
  do {                                                                                             \
    if (!marks_off)                                                                                \
      ASAN_UNPOISON_MEMORY_REGION((p), (n));                                                       \
  } while (0)
#else
#define poison(p, n) ((void)(p), (void)(n))
#define unpoison(p, n) ((void)(p), (void)(n))
#endif

#define PAGE MN_REGION_PAGE
#define MAGIC 0x314e4f4947455223ull /* "#REGION1" */
#define VERSION 1u

/* A page-map word: what the page is, boundary flags, and a value.
 * FREE and LARGE extents: the value is the length in pages, in the first
 * page's word (both ends' words for FREE, for merging with neighbours);
 * their other words are 0, so only a real start passes for one.  RUN
 * pages: every word holds the page's index in its run.  Words of pages at
 * or above top are 0. */
#define K_FREE 1u
#define K_LARGE 2u
#define K_RUN 3u
#define F_HEAD (1u << 29)
#define F_TAIL (1u << 28)
#define F_REL (1u << 27) /* FREE: all but its first page given back by trim */
#define VAL_MASK ((1u << 27) - 1)
#define MAX_PAGES VAL_MASK
#define NO_PAGE UINT32_MAX

static uint32_t kind(uint32_t w)
{
  return w >> 30;
}
static uint32_t val(uint32_t w)
{
  return w & VAL_MASK;
}
static uint32_t word(uint32_t k, uint32_t flags, uint32_t v)
{
  return k << 30 | flags | v;
}

/* Free lists of extents by length: one per length up to EXACT pages
 * (packet buffers are 17), then one per power of two. */
#define EXACT 64
#define NBINS (EXACT + 21)

/* Small objects: size classes in runs of RUN_PAGES pages, with a bitmap
 * of used slots in the run's header.  A bitmap rather than a free list
 * threaded through the freed slots: a write after free cannot corrupt
 * the allocator, and a double free is one bit to test.  The lowest free
 * slot is taken, so a run's pages are touched in order as it fills. */
#define RUN_PAGES 16u
#define RUN_BYTES (RUN_PAGES * PAGE)
#define RUN_HDR 576u /* the header, rounded to 64 so slots of 64 and up are aligned */
#define RUN_WORDS 64 /* bitmap words: 4096 slots, more than 16-byte slots need */
#define RUN_MAGIC 0x6e757223u
#define NCLASSES 23

static const uint16_t class_size[NCLASSES] = {16,   32,   48,   64,   128,  192,  256,  320,
                                              384,  448,  512,  640,  768,  896,  1024, 1280,
                                              1536, 1792, 2048, 2304, 2560, 2816, 3072};
_Static_assert(3072 == MN_REGION_SMALL_MAX, "the last class is the small limit");

/* Links are page numbers + 1, so 0 is "none" (and zeroed memory is empty). */
struct run {
  uint32_t magic;
  uint16_t cls;
  uint16_t nfree;
  uint16_t nslots;
  uint16_t hint;       /* lowest bitmap word that may have a clear bit */
  uint32_t next, prev; /* in the class's list of runs with a free slot */
  uint64_t used[RUN_WORDS];
};
_Static_assert(sizeof(struct run) <= RUN_HDR, "run header fits");

/* In the first page of every free extent. */
struct free_link {
  uint32_t next, prev;
};

struct mn_region {
  uint64_t magic;
  uint32_t version;
  uint32_t page;
  uintptr_t base; /* where it was formatted: attach refuses any other */
  size_t bound;
  size_t arena_off;    /* offset of arena page 0 */
  uint32_t npages;     /* arena pages within the bound */
  uint32_t top;        /* pages carved; no free extent ends at top */
  uint32_t dirty_top;  /* pages at or above it read as zeros */
  uint32_t carved_max; /* highest top since format */
  uint32_t rel_pages;  /* pages of free extents given back by trim */
  uint64_t root;       /* offset of the root object; 0: none */
  uint64_t bin_mask[2];
  uint32_t bins[NBINS];
  uint32_t runs[NCLASSES];
  uint32_t nruns[NCLASSES];
  struct mn_region_stats st; /* capacity and touched are computed */
  uint32_t map[];
};

static uint8_t *arena(const struct mn_region *r)
{
  return (uint8_t *)r + r->arena_off;
}

static uint8_t *page_addr(const struct mn_region *r, uint32_t pg)
{
  return arena(r) + (size_t)pg * PAGE;
}

static struct run *run_at(const struct mn_region *r, uint32_t pg)
{
  return (struct run *)page_addr(r, pg);
}

/* ---- free extents and their lists ---- */

static struct free_link link_get(const struct mn_region *r, uint32_t pg)
{
  struct free_link l;
  uint8_t *a = page_addr(r, pg);
  unpoison(a, sizeof(l));
  memcpy(&l, a, sizeof(l));
  poison(a, sizeof(l));
  return l;
}

static void link_set(struct mn_region *r, uint32_t pg, struct free_link l)
{
  uint8_t *a = page_addr(r, pg);
  unpoison(a, sizeof(l));
  memcpy(a, &l, sizeof(l));
  poison(a, sizeof(l));
}

static unsigned bin_of(uint32_t len)
{
  if (len <= EXACT)
    return len - 1;
  return EXACT + (31u - (unsigned)__builtin_clz(len - 1)) - 6;
}

static void set_free_tags(struct mn_region *r, uint32_t pg, uint32_t len, bool released)
{
  uint32_t rel = released ? F_REL : 0;
  if (len == 1) {
    r->map[pg] = word(K_FREE, F_HEAD | F_TAIL | rel, 1);
    return;
  }
  r->map[pg] = word(K_FREE, F_HEAD | rel, len);
  r->map[pg + len - 1] = word(K_FREE, F_TAIL, len);
}

static void clear_tags(struct mn_region *r, uint32_t pg, uint32_t len)
{
  r->map[pg] = 0;
  r->map[pg + len - 1] = 0;
}

static void bin_insert(struct mn_region *r, uint32_t pg, uint32_t len)
{
  unsigned b = bin_of(len);
  uint32_t head = r->bins[b];
  link_set(r, pg, (struct free_link){.next = head, .prev = 0});
  if (head) {
    struct free_link h = link_get(r, head - 1);
    h.prev = pg + 1;
    link_set(r, head - 1, h);
  }
  r->bins[b] = pg + 1;
  r->bin_mask[b / 64] |= 1ull << (b % 64);
  if (r->map[pg] & F_REL)
    r->rel_pages += len - 1;
}

static void bin_remove(struct mn_region *r, uint32_t pg, uint32_t len)
{
  unsigned b = bin_of(len);
  struct free_link l = link_get(r, pg);
  if (l.prev) {
    struct free_link p = link_get(r, l.prev - 1);
    p.next = l.next;
    link_set(r, l.prev - 1, p);
  } else {
    r->bins[b] = l.next;
  }
  if (l.next) {
    struct free_link n = link_get(r, l.next - 1);
    n.prev = l.prev;
    link_set(r, l.next - 1, n);
  }
  if (!r->bins[b])
    r->bin_mask[b / 64] &= ~(1ull << (b % 64));
  if (r->map[pg] & F_REL)
    r->rel_pages -= len - 1;
}

/* The first non-empty list at or after b, or NBINS. */
static unsigned next_bin(const struct mn_region *r, unsigned b)
{
  for (; b < NBINS; b = (b / 64 + 1) * 64) {
    uint64_t m = r->bin_mask[b / 64] & (~0ull << (b % 64));
    if (m)
      return b / 64 * 64 + (unsigned)__builtin_ctzll(m);
  }
  return NBINS;
}

/* A free extent of at least n pages: the head of the exact list, else the
 * first that fits in n's list, else the head of the next list up (all of
 * which fit).  NO_PAGE if none. */
static uint32_t find_free(const struct mn_region *r, uint32_t n)
{
  unsigned b = bin_of(n);
  if (b >= EXACT) {
    for (uint32_t ref = r->bins[b]; ref; ref = link_get(r, ref - 1).next)
      if (val(r->map[ref - 1]) >= n)
        return ref - 1;
    b++;
  }
  b = next_bin(r, b);
  return b < NBINS ? r->bins[b] - 1 : NO_PAGE;
}

/* Carve n pages from the top of the arena.  Under ASan, pages carved for
 * the first time since format may carry marks from an earlier life of the
 * range: they become addressable here, then are marked by their use. */
static uint32_t carve(struct mn_region *r, uint32_t n)
{
  if (n > r->npages - r->top)
    return NO_PAGE;
  uint32_t pg = r->top;
  r->top += n;
  if (r->top > r->carved_max) {
    unpoison(&r->map[r->carved_max], (r->top - r->carved_max) * sizeof(r->map[0]));
    unpoison(page_addr(r, r->carved_max), (size_t)(r->top - r->carved_max) * PAGE);
    r->carved_max = r->top;
  }
  return pg;
}

/* n pages, marked LARGE; *clean_from: the first page known to read as
 * zeros (pages below it may hold old bytes).  NO_PAGE if none. */
static uint32_t pages_alloc(struct mn_region *r, uint32_t n, uint32_t *clean_from)
{
  uint32_t pg = find_free(r, n);
  if (pg != NO_PAGE) {
    uint32_t len = val(r->map[pg]);
    bool released = r->map[pg] & F_REL;
    bin_remove(r, pg, len);
    clear_tags(r, pg, len);
    if (len > n) {
      set_free_tags(r, pg + n, len - n, released);
      bin_insert(r, pg + n, len - n);
    }
    *clean_from = pg + n;
  } else {
    pg = carve(r, n);
    if (pg == NO_PAGE)
      return NO_PAGE;
    *clean_from = pg > r->dirty_top ? pg : r->dirty_top;
    if (r->top > r->dirty_top)
      r->dirty_top = r->top;
  }
  r->map[pg] = word(K_LARGE, F_HEAD, n);
  return pg;
}

/* Free n pages at pg (their map words already cleared but the first),
 * merging with free neighbours; an extent that reaches the top lowers it. */
static void pages_free(struct mn_region *r, uint32_t pg, uint32_t n)
{
  poison(page_addr(r, pg), (size_t)n * PAGE);
  r->map[pg] = 0;
  if (pg > 0 && kind(r->map[pg - 1]) == K_FREE) {
    uint32_t len = val(r->map[pg - 1]);
    bin_remove(r, pg - len, len);
    clear_tags(r, pg - len, len);
    pg -= len;
    n += len;
  }
  uint32_t end = pg + n;
  if (end < r->top && kind(r->map[end]) == K_FREE) {
    uint32_t len = val(r->map[end]);
    bin_remove(r, end, len);
    clear_tags(r, end, len);
    n += len;
  }
  if (pg + n == r->top) {
    r->top = pg;
    return;
  }
  set_free_tags(r, pg, n, false);
  bin_insert(r, pg, n);
}

/* ---- runs of small objects ---- */

static unsigned class_of(size_t n)
{
  unsigned c = n <= 64 ? (unsigned)(n - 1) / 16 : 4;
  while (class_size[c] < n)
    c++;
  return c;
}

static void run_link(struct mn_region *r, uint32_t pg)
{
  struct run *run = run_at(r, pg);
  uint32_t head = r->runs[run->cls];
  run->next = head;
  run->prev = 0;
  if (head)
    run_at(r, head - 1)->prev = pg + 1;
  r->runs[run->cls] = pg + 1;
  r->nruns[run->cls]++;
}

static void run_unlink(struct mn_region *r, uint32_t pg)
{
  struct run *run = run_at(r, pg);
  if (run->prev)
    run_at(r, run->prev - 1)->next = run->next;
  else
    r->runs[run->cls] = run->next;
  if (run->next)
    run_at(r, run->next - 1)->prev = run->prev;
  r->nruns[run->cls]--;
}

static uint32_t run_new(struct mn_region *r, unsigned cls)
{
  uint32_t clean;
  uint32_t pg = pages_alloc(r, RUN_PAGES, &clean);
  if (pg == NO_PAGE)
    return NO_PAGE;
  for (uint32_t i = 0; i < RUN_PAGES; i++)
    r->map[pg + i] = word(K_RUN, i ? 0 : F_HEAD, i);
  struct run *run = run_at(r, pg);
  unpoison(run, RUN_HDR);
  poison((uint8_t *)run + RUN_HDR, RUN_BYTES - RUN_HDR);
  uint16_t nslots = (uint16_t)((RUN_BYTES - RUN_HDR) / class_size[cls]);
  unsigned words = (nslots + 63u) / 64;
  memset(run, 0, offsetof(struct run, used) + words * sizeof(uint64_t));
  run->magic = RUN_MAGIC;
  run->cls = (uint16_t)cls;
  run->nslots = nslots;
  run->nfree = nslots;
  /* Bits past the last slot read as used, so the search never picks them. */
  if (nslots % 64)
    run->used[words - 1] = ~0ull << (nslots % 64);
  run_link(r, pg);
  return pg;
}

static void *small_alloc(struct mn_region *r, size_t n)
{
  unsigned cls = class_of(n);
  uint32_t pg = r->runs[cls] ? r->runs[cls] - 1 : run_new(r, cls);
  if (pg == NO_PAGE)
    return NULL;
  struct run *run = run_at(r, pg);
  unsigned w = run->hint;
  while (!~run->used[w])
    w++;
  unsigned idx = w * 64 + (unsigned)__builtin_ctzll(~run->used[w]);
  run->used[w] |= 1ull << (idx % 64);
  run->hint = (uint16_t)w;
  if (--run->nfree == 0)
    run_unlink(r, pg);
  r->st.in_use += class_size[cls];
  uint8_t *p = (uint8_t *)run + RUN_HDR + (size_t)idx * class_size[cls];
  unpoison(p, n);
  return p;
}

/* The slot p is, in the run whose page pg holds it; -1 if p is not the
 * start of a used slot. */
static int slot_of(const struct mn_region *r, uint32_t pg, const void *p)
{
  const struct run *run = run_at(r, pg - val(r->map[pg]));
  if (run->magic != RUN_MAGIC)
    return -1;
  size_t off = (size_t)((const uint8_t *)p - (const uint8_t *)run);
  size_t size = class_size[run->cls];
  if (off < RUN_HDR || (off - RUN_HDR) % size || (off - RUN_HDR) / size >= run->nslots)
    return -1;
  unsigned idx = (unsigned)((off - RUN_HDR) / size);
  return run->used[idx / 64] >> (idx % 64) & 1 ? (int)idx : -1;
}

static bool small_free(struct mn_region *r, uint32_t pg, void *p)
{
  int idx = slot_of(r, pg, p);
  if (idx < 0)
    return false;
  uint32_t head = pg - val(r->map[pg]);
  struct run *run = run_at(r, head);
  unsigned w = (unsigned)idx / 64;
  run->used[w] &= ~(1ull << (idx % 64));
  if (w < run->hint)
    run->hint = (uint16_t)w;
  r->st.in_use -= class_size[run->cls];
  poison(p, class_size[run->cls]);
  if (++run->nfree == 1)
    run_link(r, head);
  /* An empty run goes back to the pages unless it is its class's last
   * with room: one alloc/free pair must not build and drop a run. */
  if (run->nfree == run->nslots && r->nruns[run->cls] > 1) {
    run_unlink(r, head);
    for (uint32_t i = 1; i < RUN_PAGES; i++)
      r->map[head + i] = 0;
    pages_free(r, head, RUN_PAGES);
  }
  return true;
}

/* ---- the interface ---- */

int mn_region_format(void *base, size_t bound, struct mn_region **out)
{
  if (!base || (uintptr_t)base % PAGE)
    return -EINVAL;
  size_t meta = sizeof(struct mn_region) + bound / PAGE * sizeof(uint32_t);
  size_t arena_off = (meta + PAGE - 1) / PAGE * PAGE;
  if (bound < arena_off + PAGE)
    return -EINVAL;
  size_t npages = (bound - arena_off) / PAGE;
  if (npages > MAX_PAGES)
    return -E2BIG;
  struct mn_region *r = base;
  unpoison(r, sizeof(*r));
  memset(r, 0, sizeof(*r));
  r->magic = MAGIC;
  r->version = VERSION;
  r->page = PAGE;
  r->base = (uintptr_t)base;
  r->bound = bound;
  r->arena_off = arena_off;
  r->npages = (uint32_t)npages;
  *out = r;
  return 0;
}

struct mn_region *mn_region_attach(void *base)
{
  struct mn_region *r = base;
  if (!r || (uintptr_t)base % PAGE || r->magic != MAGIC || r->version != VERSION ||
      r->page != PAGE || r->base != (uintptr_t)base)
    return NULL;
  return r;
}

static void *counted(struct mn_region *r, void *p)
{
  if (!p) {
    r->st.failures++;
    return NULL;
  }
  r->st.allocs++;
  if (r->st.in_use > r->st.in_use_max)
    r->st.in_use_max = r->st.in_use;
  return p;
}

/* Pages for n bytes; *dirty: how many of the first bytes may hold old
 * contents (the rest read as zeros). */
static void *large_alloc(struct mn_region *r, size_t n, size_t *dirty)
{
  if (n > (size_t)r->npages * PAGE)
    return NULL;
  uint32_t np = (uint32_t)((n + PAGE - 1) / PAGE);
  uint32_t clean;
  uint32_t pg = pages_alloc(r, np, &clean);
  if (pg == NO_PAGE)
    return NULL;
  uint8_t *p = page_addr(r, pg);
  unpoison(p, n);
  poison(p + n, (size_t)np * PAGE - n);
  r->st.in_use += (size_t)np * PAGE;
  size_t old = (size_t)(clean - pg) * PAGE;
  *dirty = old < n ? old : n;
  return p;
}

void *mn_region_alloc(struct mn_region *r, size_t n)
{
  size_t dirty;
  if (n == 0)
    n = 1;
  return counted(r, n <= MN_REGION_SMALL_MAX ? small_alloc(r, n) : large_alloc(r, n, &dirty));
}

void *mn_region_zalloc(struct mn_region *r, size_t n)
{
  if (n == 0)
    n = 1;
  /* Pages never carved (or given back) are zero already: a large block
   * from the top of the arena is not written, so it stays unresident. */
  size_t dirty = n;
  void *p = n <= MN_REGION_SMALL_MAX ? small_alloc(r, n) : large_alloc(r, n, &dirty);
  if (p)
    memset(p, 0, dirty);
  return counted(r, p);
}

bool mn_region_contains(const struct mn_region *r, const void *p)
{
  uintptr_t a = (uintptr_t)p;
  return a >= r->base && a - r->base < r->bound;
}

/* The page of an allocation's first byte, or NO_PAGE if p is outside the
 * carved arena. */
static uint32_t page_of(const struct mn_region *r, const void *p)
{
  uintptr_t a = (uintptr_t)p, lo = (uintptr_t)arena(r);
  if (a < lo || (a - lo) / PAGE >= r->top)
    return NO_PAGE;
  return (uint32_t)((a - lo) / PAGE);
}

static bool is_large_start(const struct mn_region *r, uint32_t pg, const void *p)
{
  uint32_t w = r->map[pg];
  return kind(w) == K_LARGE && (w & F_HEAD) && (uintptr_t)p % PAGE == 0;
}

void mn_region_free(struct mn_region *r, void *p)
{
  if (!p)
    return;
  uint32_t pg = page_of(r, p);
  bool ok = false;
  if (pg != NO_PAGE && is_large_start(r, pg, p)) {
    uint32_t n = val(r->map[pg]);
    r->st.in_use -= (size_t)n * PAGE;
    pages_free(r, pg, n);
    ok = true;
  } else if (pg != NO_PAGE && kind(r->map[pg]) == K_RUN) {
    ok = small_free(r, pg, p);
  }
  if (ok)
    r->st.frees++;
  else
    r->st.bad_frees++;
}

size_t mn_region_size_of(const struct mn_region *r, const void *p)
{
  uint32_t pg = p ? page_of(r, p) : NO_PAGE;
  if (pg == NO_PAGE)
    return 0;
  if (is_large_start(r, pg, p))
    return (size_t)val(r->map[pg]) * PAGE;
  if (kind(r->map[pg]) == K_RUN && slot_of(r, pg, p) >= 0)
    return class_size[run_at(r, pg - val(r->map[pg]))->cls];
  return 0;
}

int mn_region_root_set(struct mn_region *r, void *p)
{
  if (p && !mn_region_contains(r, p))
    return -EINVAL;
  r->root = p ? (uintptr_t)p - r->base : 0;
  return 0;
}

void *mn_region_root_get(const struct mn_region *r)
{
  return r->root ? (void *)(r->base + r->root) : NULL;
}

size_t mn_region_trim(struct mn_region *r, size_t min_bytes, mn_region_release_fn release,
                      void *ctx)
{
  size_t done = 0;
  size_t len = (size_t)(r->dirty_top - r->top) * PAGE;
  if (len && len >= min_bytes && release(ctx, page_addr(r, r->top), len) == 0) {
    r->dirty_top = r->top;
    done += len;
  }
  for (unsigned b = next_bin(r, 0); b < NBINS; b = next_bin(r, b + 1)) {
    for (uint32_t ref = r->bins[b]; ref; ref = link_get(r, ref - 1).next) {
      uint32_t pg = ref - 1, n = val(r->map[pg]);
      len = (size_t)(n - 1) * PAGE;
      if ((r->map[pg] & F_REL) || !len || len < min_bytes ||
          release(ctx, page_addr(r, pg + 1), len) != 0)
        continue;
      r->map[pg] |= F_REL;
      r->rel_pages += n - 1;
      done += len;
    }
  }
  r->st.released += done;
  return done;
}

void mn_region_get_stats(const struct mn_region *r, struct mn_region_stats *out)
{
  *out = r->st;
  out->capacity = (size_t)r->npages * PAGE;
  size_t meta = sizeof(*r) + (size_t)r->carved_max * sizeof(r->map[0]);
  out->touched = (meta + PAGE - 1) / PAGE * PAGE + (size_t)(r->dirty_top - r->rel_pages) * PAGE;
}

/* ---- the consistency check ---- */

static bool check_run(const struct mn_region *r, uint32_t pg, size_t *in_use, uint32_t *partial)
{
  const struct run *run = run_at(r, pg);
  if (pg + RUN_PAGES > r->top || run->magic != RUN_MAGIC || run->cls >= NCLASSES ||
      run->nslots != (RUN_BYTES - RUN_HDR) / class_size[run->cls])
    return false;
  for (uint32_t i = 0; i < RUN_PAGES; i++)
    if (r->map[pg + i] != word(K_RUN, i ? 0 : F_HEAD, i))
      return false;
  unsigned used = 0, words = (run->nslots + 63u) / 64;
  for (unsigned w = 0; w < words; w++)
    used += (unsigned)__builtin_popcountll(run->used[w]);
  used -= words * 64 - run->nslots; /* the bits past the last slot */
  if (run->nfree != run->nslots - used)
    return false;
  for (unsigned w = 0; w < run->hint; w++)
    if (~run->used[w])
      return false;
  *in_use += (size_t)used * class_size[run->cls];
  *partial += run->nfree > 0;
  return true;
}

/* Every extent from page 0 to top, in order. */
static int check_extents(const struct mn_region *r, uint32_t *free_extents, uint32_t *partial)
{
  size_t in_use = 0;
  uint32_t rel = 0;
  bool prev_free = false;
  for (uint32_t pg = 0; pg < r->top;) {
    uint32_t w = r->map[pg], n = kind(w) == K_RUN ? RUN_PAGES : val(w);
    if (!(w & F_HEAD) || n == 0 || n > r->top - pg)
      return -EUCLEAN;
    if (kind(w) == K_RUN && !check_run(r, pg, &in_use, partial))
      return -EUCLEAN;
    if (kind(w) == K_FREE) {
      uint32_t tail = word(K_FREE, n == 1 ? F_HEAD | F_TAIL | (w & F_REL) : F_TAIL, n);
      if (prev_free || pg + n == r->top || r->map[pg + n - 1] != tail)
        return -EUCLEAN;
      rel += (w & F_REL) ? n - 1 : 0;
      ++*free_extents;
    }
    if (kind(w) == K_LARGE)
      in_use += (size_t)n * PAGE;
    if (kind(w) != K_RUN)
      for (uint32_t i = 1; i + 1 < n; i++)
        if (r->map[pg + i])
          return -EUCLEAN;
    if (kind(w) == K_LARGE && n > 1 && r->map[pg + n - 1])
      return -EUCLEAN;
    prev_free = kind(w) == K_FREE;
    pg += n;
  }
  for (uint32_t pg = r->top; pg < r->carved_max; pg++)
    if (r->map[pg])
      return -EUCLEAN;
  return in_use == r->st.in_use && rel == r->rel_pages ? 0 : -EUCLEAN;
}

/* Every free list holds exactly the free extents of its lengths, linked
 * both ways; every class list holds exactly its runs with a free slot. */
static int check_lists(const struct mn_region *r, uint32_t free_extents, uint32_t partial)
{
  for (unsigned b = 0; b < NBINS; b++) {
    if (!r->bins[b] != !(r->bin_mask[b / 64] >> (b % 64) & 1))
      return -EUCLEAN;
    uint32_t prev = 0;
    for (uint32_t ref = r->bins[b]; ref; ref = link_get(r, ref - 1).next) {
      uint32_t w = ref - 1 < r->top ? r->map[ref - 1] : 0;
      if (kind(w) != K_FREE || !(w & F_HEAD) || bin_of(val(w)) != b ||
          link_get(r, ref - 1).prev != prev || free_extents-- == 0)
        return -EUCLEAN;
      prev = ref;
    }
  }
  for (unsigned c = 0; c < NCLASSES; c++) {
    uint32_t prev = 0, n = 0;
    for (uint32_t ref = r->runs[c]; ref; ref = run_at(r, ref - 1)->next) {
      uint32_t w = ref - 1 < r->top ? r->map[ref - 1] : 0;
      const struct run *run = run_at(r, ref - 1);
      if (kind(w) != K_RUN || !(w & F_HEAD) || run->cls != c || run->prev != prev || !run->nfree ||
          partial-- == 0)
        return -EUCLEAN;
      prev = ref;
      n++;
    }
    if (n != r->nruns[c])
      return -EUCLEAN;
  }
  return free_extents == 0 && partial == 0 ? 0 : -EUCLEAN;
}

int mn_region_check(const struct mn_region *r)
{
  if (r->top > r->dirty_top || r->dirty_top > r->carved_max || r->carved_max > r->npages)
    return -EUCLEAN;
  uint32_t free_extents = 0, partial = 0;
  int rc = check_extents(r, &free_extents, &partial);
  return rc < 0 ? rc : check_lists(r, free_extents, partial);
}

/* The public names (mynet/region.h) of what drivers use. */
int mynet_region_format(void *base, size_t bound, mynet_region **out)
{
  return mn_region_format(base, bound, out);
}

mynet_region *mynet_region_attach(void *base)
{
  return mn_region_attach(base);
}

void *mynet_region_zalloc(mynet_region *r, size_t n)
{
  return mn_region_zalloc(r, n);
}

void mynet_region_free(mynet_region *r, void *p)
{
  mn_region_free(r, p);
}

int mynet_region_root_set(mynet_region *r, void *p)
{
  return mn_region_root_set(r, p);
}

void *mynet_region_root_get(const mynet_region *r)
{
  return mn_region_root_get(r);
}

MYNET_API void mynet_region_shared_by_processes(void)
{
#ifdef MN_REGION_ASAN
  marks_off = true;
#endif
}
