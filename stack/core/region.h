/* The stack's allocator over one range of memory [base, base + bound) that
 * the caller provides: everything the stack owns can live in it, so that
 * processes mapping the range at the same address share one stack.
 *
 * Its own state lives at the start of the range and holds no pointer out
 * of it and no function pointer: page numbers and offsets only, so a
 * second process that maps the range at the same address attaches to it
 * as it is.  The caller serialises every call (the stack lock does), so
 * there is no locking here.
 *
 * Layout: a header, then a page map (one 32-bit word per 4 KiB page of the
 * arena), then the arena.  The arena is carved upwards from its start as
 * memory is asked for, so the range stays sparse until it is used: the
 * bound only costs address space.  Sizes of up to MN_REGION_SMALL_MAX bytes
 * come from size classes (16, 32, 48, then multiples of 64) packed into
 * 64 KiB runs; larger ones take whole pages, found in per-size free lists
 * (exact up to 64 pages, so freed packet buffers are handed out again
 * first) and merged with free neighbours when freed.  Allocation metadata
 * is in the page map and in run headers, never in front of an object, so
 * a freed large block has no header to keep and a bad pointer is told
 * apart from a good one by the map: double frees and foreign pointers are
 * counted and ignored.
 *
 * Alignment: 16 bytes; 64 for sizes of 64 bytes and more (a cache line);
 * a page for sizes above MN_REGION_SMALL_MAX.
 *
 * Giving memory back to the OS is the caller's part: the stack makes no
 * system call, and the region stores no function pointer.  Freed pages
 * stay in the region's free lists (or return to the unused top of the
 * arena), and mn_region_trim() hands the ones worth releasing to a
 * function the caller passes for that one call, under the same lock.
 * Recording extents for a later release was rejected: an extent recorded
 * as free may be handed out again before the caller gets to it, and
 * releasing it then would zero live data. */
#ifndef MN_CORE_REGION_H
#define MN_CORE_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MN_REGION_PAGE 4096u
#define MN_REGION_SMALL_MAX 3072u

struct mn_region;

struct mn_region_stats {
  size_t capacity;   /* bytes the arena holds: all that allocations can get */
  size_t in_use;     /* bytes handed out, as mn_region_size_of counts them */
  size_t in_use_max; /* high-water mark of in_use */
  /* Bytes of the range that may be resident: the header, the part of the
   * page map in use, and the arena pages carved and not given back. */
  size_t touched;
  size_t released; /* bytes given back by mn_region_trim, in all */
  uint64_t allocs, frees;
  uint64_t failures;  /* allocations refused: no room within the bound */
  uint64_t bad_frees; /* double frees and pointers the region never gave */
};

/* Lay a region over fresh zeroed memory (a new mapping or memfd): only
 * the header is written.  base must be page aligned; nothing at or beyond
 * base + bound is ever touched.  0, -EINVAL (misaligned, or too small for
 * the header, its map and one page) or -E2BIG (over 512 GiB). */
int mn_region_format(void *base, size_t bound, struct mn_region **out);
/* The region another process formatted at base, if base holds one of this
 * version and is mapped at the address it was formatted at; else NULL. */
struct mn_region *mn_region_attach(void *base);

/* n bytes (n = 0 counts as 1), or NULL when the bound leaves no room. */
void *mn_region_alloc(struct mn_region *r, size_t n);
void *mn_region_zalloc(struct mn_region *r, size_t n);
/* NULL is ignored; a pointer the region did not hand out, or one already
 * freed, is counted in bad_frees and changes nothing. */
void mn_region_free(struct mn_region *r, void *p);
/* The bytes p may use (its size class or its pages), 0 if p is not a
 * live allocation. */
size_t mn_region_size_of(const struct mn_region *r, const void *p);
bool mn_region_contains(const struct mn_region *r, const void *p);

/* One object a process that attaches finds first (the stack): stored as
 * an offset.  0, or -EINVAL when p is outside the range. */
int mn_region_root_set(struct mn_region *r, void *p);
void *mn_region_root_get(const struct mn_region *r);

/* Give back to the OS free runs of at least min_bytes that have not been
 * given back yet: release(ctx, addr, len) for each, page aligned.  It
 * must return 0 only if the pages now read as zeros: MADV_REMOVE or
 * FALLOC_FL_PUNCH_HOLE on a shared memfd mapping (MADV_DONTNEED is not
 * enough there: the pages stay in the memfd and keep their bytes),
 * MADV_DONTNEED on private anonymous memory.  The first page of a free
 * run in the middle of the arena is kept (it links the free lists).
 * Returns the bytes given back. */
typedef int (*mn_region_release_fn)(void *ctx, void *addr, size_t len);
size_t mn_region_trim(struct mn_region *r, size_t min_bytes, mn_region_release_fn release,
                      void *ctx);

void mn_region_get_stats(const struct mn_region *r, struct mn_region_stats *out);
/* Walk the whole map and check every invariant: 0, or -EUCLEAN.  Costs
 * time in proportion to the pages carved; for tests. */
int mn_region_check(const struct mn_region *r);

#endif
