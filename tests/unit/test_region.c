/* The stack's allocator over one range of memory (core/region.h): format
 * and attach, the exact bound, merging of free neighbours, recycling of
 * packet buffers, memory touched only as used, pages given back, misuse
 * detected, a randomised run against a model; and stacks living in one. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include "core/mem.h"
#include "core/rand.h"
#include "core/region.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE MN_REGION_PAGE
#define MiB ((size_t)1 << 20)
#define PBUF_BYTES (sizeof(struct mn_pbuf) + MN_PBUF_MAX)
/* For hot loops: a passing ck_assert costs a write to Check's pipe. */
#define require(cond)                                                                              \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);                                        \
  } while (0)

/* A private anonymous mapping of `bound` bytes followed by a page nobody
 * may touch, so a byte written past the bound faults. */
struct range {
  uint8_t *base;
  size_t bound;
  struct mn_region *r;
};

static struct range range_open(size_t bound)
{
  struct range g = {.bound = bound};
  g.base = mmap(NULL, bound + PAGE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ck_assert_ptr_ne(g.base, MAP_FAILED);
  ck_assert_int_eq(mprotect(g.base + bound, PAGE, PROT_NONE), 0);
  ck_assert_int_eq(mn_region_format(g.base, bound, &g.r), 0);
  return g;
}

/* Every test gives back all it took.  Mappings are not unmapped (see
 * helpers/region.c); their pages go back. */
static void range_close(struct range *g)
{
  struct mn_region_stats st;
  mn_region_get_stats(g->r, &st);
  ck_assert_uint_eq(st.in_use, 0);
  ck_assert_int_eq(mn_region_check(g->r), 0);
  ck_assert_int_eq(madvise(g->base, g->bound, MADV_DONTNEED), 0);
}

static struct mn_region_stats stats(const struct mn_region *r)
{
  struct mn_region_stats s;
  mn_region_get_stats(r, &s);
  return s;
}

/* n bytes can be had in one piece: allocated and freed again; where. */
static void *fits(struct mn_region *r, size_t n)
{
  void *p = mn_region_alloc(r, n);
  ck_assert_msg(p != NULL, "%zu bytes do not fit", n);
  mn_region_free(r, p);
  return p;
}

static int release_private(void *ctx, void *addr, size_t len)
{
  return madvise(addr, len, MADV_DONTNEED) == 0 ? 0 : -errno;
}

static int release_memfd(void *ctx, void *addr, size_t len)
{
  return madvise(addr, len, MADV_REMOVE) == 0 ? 0 : -errno;
}

/* A shared memfd mapping of len bytes. */
static uint8_t *shared_open(size_t len, int *fd)
{
  *fd = memfd_create("region", 0);
  ck_assert_int_ge(*fd, 0);
  ck_assert_int_eq(ftruncate(*fd, (off_t)len), 0);
  uint8_t *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
  ck_assert_ptr_ne(base, MAP_FAILED);
  return base;
}

/* Its pages go back; it stays mapped (see range_close). */
static void shared_close(uint8_t *base, size_t len, int fd)
{
  ck_assert_int_eq(madvise(base, len, MADV_REMOVE), 0);
  close(fd);
}

static int release_refused(void *ctx, void *addr, size_t len)
{
  ++*(int *)ctx;
  return -EINVAL;
}

/* ---- format and attach ---- */

START_TEST(test_region_attach_finds_a_formatted_region_and_its_root)
{
  struct range g = range_open(64 * MiB);
  ck_assert_ptr_eq(mn_region_attach(g.base), g.r);
  ck_assert_ptr_null(mn_region_root_get(g.r));
  char *obj = mn_region_alloc(g.r, 100);
  strcpy(obj, "the stack");
  ck_assert_int_eq(mn_region_root_set(g.r, obj), 0);
  struct mn_region *again = mn_region_attach(g.base);
  ck_assert_ptr_eq(again, g.r);
  ck_assert_str_eq(mn_region_root_get(again), "the stack");
  /* Only pointers into the range can be the root. */
  int outside;
  ck_assert_int_eq(mn_region_root_set(g.r, &outside), -EINVAL);
  ck_assert_ptr_eq(mn_region_root_get(g.r), obj);
  ck_assert_int_eq(mn_region_root_set(g.r, NULL), 0);
  ck_assert_ptr_null(mn_region_root_get(g.r));
  mn_region_free(g.r, obj);
  range_close(&g);
}
END_TEST

START_TEST(test_region_attach_refuses_memory_that_is_not_a_region_or_was_moved)
{
  struct range g = range_open(4 * MiB), other = range_open(4 * MiB);
  static uint8_t zeros[2 * PAGE] __attribute__((aligned(PAGE)));
  ck_assert_ptr_null(mn_region_attach(zeros));
  ck_assert_ptr_null(mn_region_attach(g.base + 1));
  /* A copy at another address: its pointers would be wrong there. */
  memcpy(other.base, g.base, PAGE);
  ck_assert_ptr_null(mn_region_attach(other.base));
  g.base[0] ^= 1; /* the magic */
  ck_assert_ptr_null(mn_region_attach(g.base));
  g.base[0] ^= 1;
  ck_assert_ptr_eq(mn_region_attach(g.base), g.r);
  range_close(&g);
  ck_assert_int_eq(mn_region_format(other.base, 4 * MiB, &other.r), 0);
  range_close(&other);
}
END_TEST

START_TEST(test_region_format_refuses_a_misaligned_base_or_a_range_too_small)
{
  struct range g = range_open(4 * MiB);
  struct mn_region *r;
  ck_assert_int_eq(mn_region_format(g.base + 16, MiB, &r), -EINVAL);
  ck_assert_int_eq(mn_region_format(NULL, MiB, &r), -EINVAL);
  /* The header, its map and one page is the least. */
  ck_assert_int_eq(mn_region_format(g.base, PAGE, &r), -EINVAL);
  ck_assert_int_eq(mn_region_format(g.base, 2 * PAGE, &r), 0);
  ck_assert_uint_eq(stats(r).capacity, PAGE);
  ck_assert_int_eq(mn_region_format(g.base, 4 * MiB, &g.r), 0);
  range_close(&g);
}
END_TEST

START_TEST(test_region_a_process_that_attaches_to_a_shared_mapping_sees_what_another_allocated)
{
  int fd;
  uint8_t *base = shared_open(16 * MiB, &fd);
  struct mn_region *r;
  ck_assert_int_eq(mn_region_format(base, 16 * MiB, &r), 0);
  void *first = mn_region_alloc(r, 5000);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    /* The child maps the same memory at the same address. */
    struct mn_region *c = mn_region_attach(base);
    char *msg = c ? mn_region_alloc(c, 64) : NULL;
    if (!msg || mn_region_size_of(c, first) != 2 * PAGE)
      _exit(1);
    strcpy(msg, "from the child");
    mn_region_free(c, first);
    _exit(mn_region_root_set(c, msg) == 0 ? 0 : 1);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *msg = mn_region_root_get(r);
  ck_assert_str_eq(msg, "from the child");
  ck_assert_uint_eq(stats(r).in_use, mn_region_size_of(r, msg));
  ck_assert_uint_eq(mn_region_size_of(r, first), 0);
  mn_region_free(r, msg);
  ck_assert_uint_eq(stats(r).in_use, 0);
  ck_assert_int_eq(mn_region_check(r), 0);
  shared_close(base, 16 * MiB, fd);
}
END_TEST

/* ---- the bound ---- */

START_TEST(test_region_the_bound_is_exact_and_failures_are_counted)
{
  struct range g = range_open(MiB);
  size_t pages = stats(g.r).capacity / PAGE;
  ck_assert_uint_gt(pages, 200);
  /* Every page of the arena can be handed out and written, no more. */
  uint8_t **blocks = calloc(pages, sizeof(*blocks));
  for (size_t i = 0; i < pages; i++) {
    blocks[i] = mn_region_alloc(g.r, PAGE);
    require(blocks[i]);
    memset(blocks[i], 0xa5, PAGE);
  }
  ck_assert_uint_eq(blocks[pages - 1] + PAGE - g.base, g.bound);
  ck_assert_ptr_null(mn_region_alloc(g.r, PAGE));
  ck_assert_ptr_null(mn_region_alloc(g.r, 16)); /* no room for a run either */
  ck_assert_uint_eq(stats(g.r).failures, 2);
  ck_assert_uint_eq(stats(g.r).in_use, pages * PAGE);
  /* Memory freed is usable again. */
  mn_region_free(g.r, blocks[7]);
  blocks[7] = mn_region_alloc(g.r, PAGE);
  ck_assert_ptr_nonnull(blocks[7]);
  ck_assert_ptr_null(mn_region_alloc(g.r, 1));
  for (size_t i = 0; i < pages; i++)
    mn_region_free(g.r, blocks[i]);
  ck_assert_uint_eq(stats(g.r).in_use, 0);
  /* All of it again, in one piece; one byte more is refused. */
  ck_assert_ptr_null(mn_region_alloc(g.r, pages * PAGE + 1));
  fits(g.r, pages * PAGE);
  ck_assert_uint_eq(stats(g.r).failures, 4);
  ck_assert_uint_eq(stats(g.r).bad_frees, 0);
  free(blocks);
  range_close(&g);
}
END_TEST

/* ---- fragmentation ---- */

START_TEST(test_region_freed_neighbours_merge_so_a_large_block_fits_again)
{
  struct range g = range_open(8 * MiB);
  size_t pages = stats(g.r).capacity / PAGE;
  void *small[64], *large[64];
  int n = 0;
  /* Small objects (of one class, so in one run at the start of the arena)
   * and 200 KiB blocks interleaved until the bound. */
  for (; n < 64; n++) {
    small[n] = mn_region_alloc(g.r, 100 + n % 28);
    large[n] = mn_region_alloc(g.r, 200 * 1024);
    if (!large[n]) {
      mn_region_free(g.r, small[n]);
      break;
    }
  }
  ck_assert_int_gt(n, 30);
  ck_assert_ptr_null(mn_region_alloc(g.r, 2 * MiB));
  /* Free in a scrambled order, so merges happen on both sides. */
  struct mn_rand rnd;
  mn_rand_seed(&rnd, 7);
  for (int i = n - 1; i > 0; i--) {
    int j = (int)mn_rand_below(&rnd, (uint32_t)i + 1);
    void *t = large[i];
    large[i] = large[j];
    large[j] = t;
  }
  for (int i = 0; i < n; i++) {
    mn_region_free(g.r, large[i]);
    mn_region_free(g.r, small[i]);
    ck_assert_int_eq(mn_region_check(g.r), 0);
  }
  ck_assert_uint_eq(stats(g.r).in_use, 0);
  /* The run of small objects stays for the next one; all the rest is
   * one piece again, which only merging could make. */
  fits(g.r, (pages - 16) * PAGE);
  range_close(&g);
}
END_TEST

START_TEST(test_region_small_objects_pack_into_size_classes_and_their_runs_go_back_when_empty)
{
  struct range g = range_open(16 * MiB);
  static const size_t asked[] = {1, 40, 65, 2168, 3072, 3073};
  static const size_t given[] = {16, 48, 128, 2304, 3072, PAGE};
  for (int i = 0; i < 6; i++) {
    void *p = mn_region_alloc(g.r, asked[i]);
    ck_assert_uint_eq(mn_region_size_of(g.r, p), given[i]);
    mn_region_free(g.r, p);
  }
  /* 2000 sockets' worth fill 48 runs; freed, 47 of them go back to the
   * pages, merged (the last stays for the class's next allocation). */
  void *p[2000];
  for (int i = 0; i < 2000; i++)
    require((p[i] = mn_region_alloc(g.r, 1500)));
  size_t touched = stats(g.r).touched;
  for (int i = 0; i < 2000; i++)
    mn_region_free(g.r, p[i]);
  ck_assert_uint_eq(stats(g.r).in_use, 0);
  ck_assert_int_eq(mn_region_check(g.r), 0);
  /* Where the first of them began: the run's header before its slots. */
  void *first_run = (void *)((uintptr_t)p[0] & ~(uintptr_t)(PAGE - 1));
  ck_assert_ptr_eq(fits(g.r, 47 * 16 * PAGE), first_run);
  ck_assert_uint_eq(stats(g.r).touched, touched);
  range_close(&g);
}
END_TEST

/* ---- packet buffers ---- */

START_TEST(test_region_freed_packet_buffer_blocks_are_handed_out_again)
{
  struct range g = range_open(64 * MiB);
  void *a = mn_region_alloc(g.r, PBUF_BYTES);
  void *b = mn_region_alloc(g.r, PBUF_BYTES);
  void *c = mn_region_alloc(g.r, PBUF_BYTES);
  ck_assert_ptr_nonnull(c);
  /* A freed buffer between two live ones is the next one handed out. */
  mn_region_free(g.r, b);
  ck_assert_ptr_eq(mn_region_alloc(g.r, PBUF_BYTES), b);
  /* A burst of frames, freed in any order, again and again: the memory
   * is the same each time, so nothing more is touched. */
  void *v[32];
  struct mn_rand rnd;
  mn_rand_seed(&rnd, 3);
  size_t touched = 0;
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < 32; i++)
      require((v[i] = mn_region_alloc(g.r, PBUF_BYTES)));
    if (round == 0)
      touched = stats(g.r).touched;
    for (int i = 0; i < 32; i++) {
      int j = (int)mn_rand_below(&rnd, 32);
      void *t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
    for (int i = 0; i < 32; i++)
      mn_region_free(g.r, v[i]);
  }
  ck_assert_uint_eq(stats(g.r).touched, touched);
  mn_region_free(g.r, a);
  mn_region_free(g.r, b);
  mn_region_free(g.r, c);
  range_close(&g);
}
END_TEST

START_TEST(test_region_a_stack_pool_recycles_large_packet_buffers_through_the_region)
{
  struct range g = range_open(64 * MiB);
  struct mn_mem mem;
  mn_mem_init(&mem, g.r);
  struct mn_pool pool;
  mn_pool_init(&pool, &mem, 8 * MiB);
  struct mn_pbuf *p = mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 65536);
  ck_assert_ptr_nonnull(p);
  ck_assert(mn_region_contains(g.r, p));
  mn_pbuf_free(p);
  ck_assert_ptr_eq(mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 65536), p);
  mn_pbuf_free(p);
  mn_pool_destroy(&pool);
  range_close(&g);
}
END_TEST

/* ---- memory touched ---- */

static size_t resident_pages(const uint8_t *base, size_t len)
{
  size_t n = len / PAGE, count = 0;
  unsigned char *vec = malloc(n);
  ck_assert_int_eq(mincore((void *)base, len, vec), 0);
  for (size_t i = 0; i < n; i++)
    count += vec[i] & 1;
  free(vec);
  return count;
}

START_TEST(test_region_memory_is_touched_only_as_it_is_used)
{
  struct range g = range_open(1024 * MiB);
  ck_assert_uint_le(resident_pages(g.base, g.bound), 1);
  char *obj = mn_region_alloc(g.r, 100);
  memset(obj, 1, 100);
  /* The header, a page of the map, the first page of a run. */
  ck_assert_uint_le(resident_pages(g.base, g.bound), 3);
  ck_assert_uint_le(stats(g.r).touched, 20 * PAGE);
  /* Zeroed memory that was never used is not written. */
  uint8_t *ring = mn_region_zalloc(g.r, 4 * MiB);
  ck_assert_ptr_nonnull(ring);
  ck_assert_uint_le(resident_pages(g.base, g.bound), 4);
  ck_assert_uint_eq(ring[123456], 0);
  memset(ring, 2, 4 * MiB);
  ck_assert_uint_ge(resident_pages(g.base, g.bound), 1024);
  ck_assert_uint_le(stats(g.r).touched, 5 * MiB);
  mn_region_free(g.r, ring);
  mn_region_free(g.r, obj);
  range_close(&g);
}
END_TEST

/* ---- giving pages back ---- */

static size_t memfd_kib(int fd)
{
  struct stat s;
  ck_assert_int_eq(fstat(fd, &s), 0);
  return (size_t)s.st_blocks / 2;
}

START_TEST(test_region_trim_gives_free_pages_back_to_a_memfd_and_they_read_as_zeros)
{
  int fd;
  uint8_t *base = shared_open(64 * MiB, &fd);
  struct mn_region *r;
  ck_assert_int_eq(mn_region_format(base, 64 * MiB, &r), 0);
  uint8_t *a = mn_region_alloc(r, 8 * MiB);
  uint8_t *b = mn_region_alloc(r, 8 * MiB);
  uint8_t *keep = mn_region_alloc(r, PAGE);
  memset(a, 1, 8 * MiB);
  memset(b, 2, 8 * MiB);
  memset(keep, 3, PAGE);
  ck_assert_uint_ge(memfd_kib(fd), 16 * 1024);
  /* Freed, the two merge into one free run in the middle of the arena;
   * the memfd still holds their pages until the driver trims. */
  mn_region_free(r, a);
  mn_region_free(r, b);
  ck_assert_uint_ge(memfd_kib(fd), 16 * 1024);
  size_t touched = stats(r).touched;
  /* A release that fails changes nothing, and is asked again later. */
  int refused = 0;
  ck_assert_uint_eq(mn_region_trim(r, 0, release_refused, &refused), 0);
  ck_assert_int_eq(refused, 1);
  /* Runs smaller than asked for are left alone. */
  ck_assert_uint_eq(mn_region_trim(r, 32 * MiB, release_memfd, NULL), 0);
  ck_assert_uint_eq(mn_region_trim(r, 0, release_memfd, NULL), 16 * MiB - PAGE);
  ck_assert_uint_lt(memfd_kib(fd), 1024);
  ck_assert_uint_eq(stats(r).touched, touched - (16 * MiB - PAGE));
  ck_assert_uint_eq(stats(r).released, 16 * MiB - PAGE);
  /* Already given back: nothing more to do. */
  ck_assert_uint_eq(mn_region_trim(r, 0, release_memfd, NULL), 0);
  ck_assert_uint_eq(keep[PAGE - 1], 3);
  /* Handed out again, the pages read as zeros. */
  uint8_t *c = mn_region_alloc(r, 4 * MiB);
  ck_assert_ptr_eq(c, a);
  ck_assert_uint_eq(c[PAGE], 0);
  ck_assert_uint_eq(c[4 * MiB - 1], 0);
  mn_region_free(r, c);
  /* Once the block after them goes, everything is past the top; trimming
   * releases it and zeroed allocations there are not written. */
  mn_region_free(r, keep);
  ck_assert_uint_gt(mn_region_trim(r, 0, release_memfd, NULL), 0);
  size_t kib = memfd_kib(fd);
  uint8_t *z = mn_region_zalloc(r, 32 * MiB);
  ck_assert_ptr_eq(z, a);
  ck_assert_uint_eq(z[12345678], 0);
  ck_assert_uint_le(memfd_kib(fd), kib + 4);
  mn_region_free(r, z);
  ck_assert_int_eq(mn_region_check(r), 0);
  shared_close(base, 64 * MiB, fd);
}
END_TEST

/* ---- misuse ---- */

START_TEST(test_region_double_frees_and_foreign_pointers_are_counted_and_change_nothing)
{
  struct range g = range_open(16 * MiB);
  uint8_t *s1 = mn_region_alloc(g.r, 200);
  uint8_t *s2 = mn_region_alloc(g.r, 200);
  uint8_t *l1 = mn_region_alloc(g.r, 3 * PAGE);
  uint8_t *l2 = mn_region_alloc(g.r, 3 * PAGE);
  mn_region_free(g.r, s1);
  mn_region_free(g.r, l1);
  struct mn_region_stats before = stats(g.r);
  mn_region_free(g.r, s1);
  mn_region_free(g.r, l1);
  int local;
  void *bad[] = {
      &local,                  /* not in the range */
      g.base + 64,             /* the header */
      s2 + 16,                 /* inside a small object */
      s2 + 3,                  /* misaligned */
      l2 + PAGE,               /* inside a large block */
      l2 + 1,                  /* misaligned */
      g.base + g.bound - PAGE, /* never handed out */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_uint_eq(mn_region_size_of(g.r, bad[i]), 0);
    mn_region_free(g.r, bad[i]);
  }
  struct mn_region_stats after = stats(g.r);
  ck_assert_uint_eq(after.bad_frees, 2 + sizeof(bad) / sizeof(bad[0]));
  ck_assert_uint_eq(after.in_use, before.in_use);
  ck_assert_uint_eq(after.frees, before.frees);
  ck_assert_int_eq(mn_region_check(g.r), 0);
  /* The live blocks are still theirs; new ones are distinct. */
  ck_assert_uint_eq(mn_region_size_of(g.r, s2), 256);
  ck_assert_uint_eq(mn_region_size_of(g.r, l2), 3 * PAGE);
  uint8_t *s3 = mn_region_alloc(g.r, 200), *s4 = mn_region_alloc(g.r, 200);
  ck_assert_ptr_ne(s3, s4);
  ck_assert_ptr_ne(s3, s2);
  ck_assert_ptr_ne(s4, s2);
  mn_region_free(g.r, NULL);
  ck_assert_uint_eq(stats(g.r).bad_frees, after.bad_frees);
  mn_region_free(g.r, s2);
  mn_region_free(g.r, s3);
  mn_region_free(g.r, s4);
  mn_region_free(g.r, l2);
  range_close(&g);
}
END_TEST

/* ---- a randomised run against a model ---- */

struct live {
  uint8_t *p;
  size_t n;
  uint32_t tag;
};

static size_t random_size(struct mn_rand *rnd)
{
  uint32_t k = mn_rand_below(rnd, 100);
  if (k < 60)
    return 1 + mn_rand_below(rnd, MN_REGION_SMALL_MAX);
  if (k < 80)
    return MN_REGION_SMALL_MAX + 1 + mn_rand_below(rnd, 64 * 1024);
  if (k < 90)
    return PBUF_BYTES;
  if (k < 98)
    return 256 * 1024 + mn_rand_below(rnd, 768 * 1024);
  return MiB + mn_rand_below(rnd, 3 * MiB);
}

/* The first and last 16 bytes of a block carry its tag: an allocation
 * that overlapped it, or metadata written into it, would change them. */
static uint8_t tag_byte(const struct live *l, size_t i)
{
  return (uint8_t)(l->tag >> (i % 4 * 8));
}

static bool marked(size_t i, size_t n)
{
  return i < 16 || i + 16 >= n;
}

static void mark(struct live *l)
{
  for (size_t i = 0; i < l->n; i = marked(i + 1, l->n) ? i + 1 : l->n - 16)
    l->p[i] = tag_byte(l, i);
}

static void check_mark(const struct live *l)
{
  for (size_t i = 0; i < l->n; i = marked(i + 1, l->n) ? i + 1 : l->n - 16)
    require(l->p[i] == tag_byte(l, i));
}

static void check_zero(const uint8_t *p, size_t n)
{
  /* Every byte of small blocks; the ends of every page of large ones. */
  size_t step = n <= 64 * 1024 ? 1 : PAGE / 2 - 8;
  for (size_t i = 0; i < n; i += step)
    for (size_t j = i; j < i + 8 && j < n; j++)
      require(p[j] == 0);
}

static void check_new_block(const struct live *v, int nlive, const uint8_t *p, size_t n)
{
  require((uintptr_t)p % (n >= 64 ? 64 : 16) == 0);
  require(n <= MN_REGION_SMALL_MAX || (uintptr_t)p % PAGE == 0);
  for (int i = 0; i < nlive; i++)
    require(p + n <= v[i].p || v[i].p + v[i].n <= p);
}

#define FUZZ_LIVE 400

START_TEST(test_region_random_allocations_and_frees_never_overlap_and_keep_every_invariant)
{
  struct range g = range_open(96 * MiB);
  struct live v[FUZZ_LIVE];
  int nlive = 0;
  struct mn_rand rnd;
  mn_rand_seed(&rnd, 2024);
  size_t in_use = 0;
  uint64_t failures = 0;
  for (uint32_t op = 1; op <= 20000; op++) {
    if (nlive == FUZZ_LIVE || (nlive && mn_rand_below(&rnd, 100) < 45)) {
      int i = (int)mn_rand_below(&rnd, (uint32_t)nlive);
      check_mark(&v[i]);
      in_use -= mn_region_size_of(g.r, v[i].p);
      mn_region_free(g.r, v[i].p);
      v[i] = v[--nlive];
    } else {
      size_t n = random_size(&rnd);
      bool zero = mn_rand_below(&rnd, 2);
      uint8_t *p = zero ? mn_region_zalloc(g.r, n) : mn_region_alloc(g.r, n);
      if (!p) {
        failures++;
        continue;
      }
      check_new_block(v, nlive, p, n);
      if (zero)
        check_zero(p, n);
      require(mn_region_size_of(g.r, p) >= n);
      in_use += mn_region_size_of(g.r, p);
      v[nlive] = (struct live){.p = p, .n = n, .tag = op * 2654435761u};
      mark(&v[nlive++]);
    }
    if (op % 1000 == 0) {
      ck_assert_int_eq(mn_region_check(g.r), 0);
      mn_region_trim(g.r, 64 * 1024, release_private, NULL);
    }
    require(stats(g.r).in_use == in_use);
  }
  ck_assert_uint_eq(stats(g.r).failures, failures);
  for (int i = 0; i < nlive; i++) {
    check_mark(&v[i]);
    mn_region_free(g.r, v[i].p);
  }
  ck_assert_uint_eq(stats(g.r).in_use, 0);
  ck_assert_uint_eq(stats(g.r).bad_frees, 0);
  ck_assert_uint_le(stats(g.r).in_use_max, stats(g.r).capacity);
  range_close(&g);
}
END_TEST

/* ---- stacks in a region ---- */

START_TEST(test_region_a_stack_made_in_a_region_is_found_through_its_root_and_freed_whole)
{
  struct range g = range_open(256 * MiB);
  struct mynet_stack_params prm = {.seed = 1, .now = MYNET_SEC(1), .region = g.r};
  mynet_stack *st;
  ck_assert_int_eq(mynet_stack_new(&prm, &st), 0);
  ck_assert(mn_region_contains(g.r, st));
  ck_assert_int_eq(mn_region_root_set(g.r, st), 0);
  /* What another process would do once it has the range mapped. */
  mynet_stack *found = mn_region_root_get(mn_region_attach(g.base));
  ck_assert_ptr_eq(found, st);
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(found, SOCK_STREAM, 0, &s), 0);
  ck_assert(mn_region_contains(g.r, s));
  ck_assert_int_ge(mynet_stack_poll(found, NULL, 0, MYNET_SEC(2)), 0);
  ck_assert_uint_gt(stats(g.r).in_use, 0);
  mynet_close(s);
  ck_assert_uint_eq(mn_stack_free_report(st), 0);
  range_close(&g); /* all of it back */
}
END_TEST

START_TEST(test_region_the_memory_budget_refuses_socket_memory_in_a_region_too)
{
  struct range g = range_open(16 * MiB);
  struct mn_mem m;
  mn_mem_init(&m, g.r);
  mn_mem_set_budget(&m, 1);
  void *a = mn_mem_alloc(&m, 100);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_null(mn_mem_zalloc(&m, 100));
  ck_assert_uint_eq(m.failures, 1);
  /* The stack's own structures are outside the budget. */
  void *b = mn_mem_zalloc_unbudgeted(&m, 100);
  ck_assert_ptr_nonnull(b);
  /* A full region is a failure too. */
  mn_mem_set_budget(&m, MN_MEM_UNLIMITED);
  ck_assert_ptr_null(mn_mem_alloc(&m, 32 * MiB));
  ck_assert_uint_eq(m.failures, 2);
  mn_mem_free(&m, a);
  mn_mem_free(&m, b);
  mn_mem_free(&m, NULL);
  range_close(&g);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("region");
  TCase *tc = tcase_create("format");
  tcase_add_test(tc, test_region_attach_finds_a_formatted_region_and_its_root);
  tcase_add_test(tc, test_region_attach_refuses_memory_that_is_not_a_region_or_was_moved);
  tcase_add_test(tc, test_region_format_refuses_a_misaligned_base_or_a_range_too_small);
  tcase_add_test(
      tc, test_region_a_process_that_attaches_to_a_shared_mapping_sees_what_another_allocated);
  suite_add_tcase(s, tc);
  tc = tcase_create("allocation");
  tcase_add_test(tc, test_region_the_bound_is_exact_and_failures_are_counted);
  tcase_add_test(tc, test_region_freed_neighbours_merge_so_a_large_block_fits_again);
  tcase_add_test(
      tc, test_region_small_objects_pack_into_size_classes_and_their_runs_go_back_when_empty);
  tcase_add_test(tc, test_region_freed_packet_buffer_blocks_are_handed_out_again);
  tcase_add_test(tc, test_region_a_stack_pool_recycles_large_packet_buffers_through_the_region);
  tcase_add_test(tc, test_region_memory_is_touched_only_as_it_is_used);
  tcase_add_test(tc, test_region_trim_gives_free_pages_back_to_a_memfd_and_they_read_as_zeros);
  tcase_add_test(tc, test_region_double_frees_and_foreign_pointers_are_counted_and_change_nothing);
  tcase_add_test(tc,
                 test_region_random_allocations_and_frees_never_overlap_and_keep_every_invariant);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tc = tcase_create("stack");
  tcase_add_test(tc,
                 test_region_a_stack_made_in_a_region_is_found_through_its_root_and_freed_whole);
  tcase_add_test(tc, test_region_the_memory_budget_refuses_socket_memory_in_a_region_too);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
