/* The core facilities: packet buffers and their pool, buffer queues, the
 * timer heap, and the seeded random source. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include "core/pbuf.h"
#include "core/rand.h"
#include "core/timer.h"

#include <errno.h>
#include <string.h>

/* Memory from malloc, for pools and timer heaps made without a stack. */
static struct mn_mem malloc_mem = {.region = NULL, .allowed = MN_MEM_UNLIMITED};

/* ---- packet buffers ---- */

START_TEST(test_core_pbuf_has_headroom_in_front_of_its_data)
{
  struct mn_pool pool;
  mn_pool_init(&pool, &malloc_mem, 1 << 20);
  struct mn_pbuf *p = mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 100);
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(p->len, 100);
  ck_assert_uint_eq(mn_pbuf_headroom(p), MN_PBUF_HEADROOM);
  ck_assert_uint_eq(mn_pbuf_tailroom(p), MN_PBUF_SMALL - MN_PBUF_HEADROOM - 100);
  ck_assert_ptr_eq(p->pool, &pool);
  memset(p->data, 0xab, p->len);

  /* A header goes in front without moving the payload. */
  uint8_t *payload = p->data;
  uint8_t *h = mn_pbuf_push(p, 20);
  ck_assert_ptr_eq(h, payload - 20);
  ck_assert_ptr_eq(p->data, h);
  ck_assert_uint_eq(p->len, 120);
  ck_assert_uint_eq(mn_pbuf_headroom(p), MN_PBUF_HEADROOM - 20);
  /* More than the headroom: refused, nothing changes. */
  ck_assert_ptr_null(mn_pbuf_push(p, MN_PBUF_HEADROOM - 19));
  ck_assert_ptr_eq(p->data, h);
  ck_assert_uint_eq(p->len, 120);
  /* Exactly the headroom is fine. */
  ck_assert_ptr_eq(mn_pbuf_push(p, MN_PBUF_HEADROOM - 20), p->buf);
  ck_assert_uint_eq(mn_pbuf_headroom(p), 0);
  mn_pbuf_pull(p, MN_PBUF_HEADROOM);
  ck_assert_ptr_eq(p->data, payload);
  ck_assert_uint_eq(p->len, 100);
  ck_assert_uint_eq(p->data[0], 0xab);

  /* Trim cuts the tail and never grows the buffer. */
  mn_pbuf_trim(p, 60);
  ck_assert_uint_eq(p->len, 60);
  mn_pbuf_trim(p, 80);
  ck_assert_uint_eq(p->len, 60);
  /* Pulling more than there is leaves an empty buffer. */
  mn_pbuf_pull(p, 1000);
  ck_assert_uint_eq(p->len, 0);
  ck_assert_ptr_eq(p->data, payload + 60);
  mn_pbuf_free(p);
  mn_pbuf_free(NULL);
  ck_assert_uint_eq(pool.live, 0);
  mn_pool_destroy(&pool);
}
END_TEST

START_TEST(test_core_pbuf_clone_copies_data_and_metadata)
{
  struct mn_pool pool;
  mn_pool_init(&pool, &malloc_mem, 1 << 20);
  struct mn_pbuf *p = mn_pbuf_alloc(&pool, 10, 5);
  memcpy(p->data, "hello", 5);
  p->when = 77;
  p->src = 1;
  p->dst = 2;
  p->sport = 3;
  p->dport = 4;
  p->ifindex = 5;
  p->link_bcast = true;
  struct mn_pbuf *c = mn_pbuf_clone(p);
  ck_assert_ptr_nonnull(c);
  ck_assert_ptr_ne(c, p);
  ck_assert_uint_eq(c->len, 5);
  ck_assert_mem_eq(c->data, "hello", 5);
  ck_assert_uint_eq(mn_pbuf_headroom(c), MN_PBUF_HEADROOM);
  ck_assert_int_eq(c->when, 77);
  ck_assert_uint_eq(c->src, 1);
  ck_assert_uint_eq(c->dst, 2);
  ck_assert_uint_eq(c->sport, 3);
  ck_assert_uint_eq(c->dport, 4);
  ck_assert_int_eq(c->ifindex, 5);
  ck_assert(c->link_bcast);
  ck_assert_uint_eq(pool.live, 2);
  mn_pbuf_free(p);
  mn_pbuf_free(c);
  mn_pool_destroy(&pool);
}
END_TEST

START_TEST(test_core_pool_refuses_allocations_beyond_its_bound_and_counts_them)
{
  struct mn_pool pool;
  mn_pool_init(&pool, &malloc_mem, 3 * MN_PBUF_SMALL);
  struct mn_pbuf *p[3];
  for (int i = 0; i < 3; i++) {
    p[i] = mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 1);
    ck_assert_ptr_nonnull(p[i]);
  }
  ck_assert_uint_eq(pool.live, 3);
  ck_assert_uint_eq(pool.bytes_used, 3 * MN_PBUF_SMALL);
  /* Every small buffer costs a whole slot, however little it holds. */
  ck_assert_ptr_null(mn_pbuf_alloc(&pool, 0, 1));
  ck_assert_uint_eq(pool.alloc_fail, 1);
  ck_assert_uint_eq(pool.live, 3);
  /* Freeing makes room again, and the buffer is reused. */
  mn_pbuf_free(p[1]);
  ck_assert_uint_eq(pool.live, 2);
  ck_assert_uint_eq(pool.bytes_used, 2 * MN_PBUF_SMALL);
  struct mn_pbuf *q = mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 1);
  ck_assert_ptr_eq(q, p[1]);
  ck_assert_uint_eq(q->len, 1);
  ck_assert_uint_eq(mn_pbuf_headroom(q), MN_PBUF_HEADROOM);
  mn_pbuf_free(p[0]);
  mn_pbuf_free(p[2]);
  mn_pbuf_free(q);
  ck_assert_uint_eq(pool.live, 0);
  ck_assert_uint_eq(pool.bytes_used, 0);
  mn_pool_destroy(&pool);
}
END_TEST

START_TEST(test_core_pool_sizes_large_buffers_to_fit_and_refuses_oversized_ones)
{
  struct mn_pool pool;
  mn_pool_init(&pool, &malloc_mem, 1 << 20);
  struct mn_pbuf *big = mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, 10000);
  ck_assert_ptr_nonnull(big);
  ck_assert_uint_eq(big->cap, MN_PBUF_HEADROOM + 10000);
  ck_assert_uint_eq(pool.bytes_used, MN_PBUF_HEADROOM + 10000);
  ck_assert_uint_eq(mn_pbuf_tailroom(big), 0);
  ck_assert_ptr_null(mn_pbuf_alloc(&pool, MN_PBUF_HEADROOM, MN_PBUF_MAX));
  ck_assert_uint_eq(pool.alloc_fail, 1);
  struct mn_pbuf *largest = mn_pbuf_alloc(&pool, 0, MN_PBUF_MAX);
  ck_assert_ptr_nonnull(largest);
  ck_assert_uint_eq(pool.live, 2);
  mn_pbuf_free(big);
  mn_pbuf_free(largest);
  ck_assert_uint_eq(pool.live, 0);
  ck_assert_uint_eq(pool.bytes_used, 0);
  /* A large buffer counts its whole size against the bound. */
  struct mn_pool small;
  mn_pool_init(&small, &malloc_mem, 5000);
  ck_assert_ptr_null(mn_pbuf_alloc(&small, 0, 5001));
  struct mn_pbuf *fits = mn_pbuf_alloc(&small, 0, 4000);
  ck_assert_ptr_nonnull(fits);
  ck_assert_ptr_null(mn_pbuf_alloc(&small, 0, 1)); /* 4000 + 2048 > 5000 */
  ck_assert_uint_eq(small.alloc_fail, 2);
  mn_pbuf_free(fits);
  mn_pool_destroy(&small);
  mn_pool_destroy(&pool);
}
END_TEST

START_TEST(test_core_stack_with_a_small_pool_refuses_to_send_with_enobufs)
{
  struct tn t;
  tn_setup_stack(&t, 2 * MN_PBUF_SMALL);
  t.dev = tn_device_new();
  ck_assert_int_eq(tn_attach(&t, t.dev, NULL, tn_mac, TN_ADDR, 24), 1);
  mn_pbuf_free(tn_pop(&t)); /* the announcement */
  tn_inject_arp(&t, MN_ARP_REQUEST, tn_peer_mac, TN_PEER, (const uint8_t[6]){0}, TN_ADDR);
  /* The reply sits in the device's queue: one slot of two in use. */
  mynet_sock *s = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "a", 1), 1);
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "b", 1), -ENOBUFS);
  ck_assert_uint_eq(t.st->pool.alloc_fail, 1);
  mn_pbuf_free(tn_pop(&t));
  ck_assert_int_eq(tn_send(s, TN_PEER, 9, "c", 1), 1);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_core_queue_is_first_in_first_out_and_counts_bytes)
{
  struct mn_pool pool;
  mn_pool_init(&pool, &malloc_mem, 1 << 20);
  struct mn_pbuf_queue q = {0};
  ck_assert_ptr_null(mn_pbuf_queue_pop(&q));
  struct mn_pbuf *p[3];
  for (int i = 0; i < 3; i++) {
    p[i] = mn_pbuf_alloc(&pool, 0, (size_t)(i + 1) * 10);
    mn_pbuf_queue_push(&q, p[i]);
  }
  ck_assert_uint_eq(q.count, 3);
  ck_assert_uint_eq(q.bytes, 60);
  ck_assert_ptr_eq(mn_pbuf_queue_pop(&q), p[0]);
  ck_assert_ptr_null(p[0]->next);
  ck_assert_uint_eq(q.count, 2);
  ck_assert_uint_eq(q.bytes, 50);
  mn_pbuf_queue_push(&q, p[0]);
  ck_assert_ptr_eq(mn_pbuf_queue_pop(&q), p[1]);
  ck_assert_ptr_eq(mn_pbuf_queue_pop(&q), p[2]);
  ck_assert_ptr_eq(mn_pbuf_queue_pop(&q), p[0]);
  ck_assert_ptr_null(mn_pbuf_queue_pop(&q));
  ck_assert_uint_eq(q.count, 0);
  ck_assert_uint_eq(q.bytes, 0);
  ck_assert_ptr_null(q.head);
  ck_assert_ptr_null(q.tail);
  /* Clear frees what is queued. */
  for (int i = 0; i < 3; i++)
    mn_pbuf_queue_push(&q, p[i]);
  mn_pbuf_queue_clear(&q);
  ck_assert_uint_eq(q.count, 0);
  ck_assert_uint_eq(pool.live, 0);
  mn_pool_destroy(&pool);
}
END_TEST

/* ---- timers ---- */

struct rec_timer {
  struct mn_timer t;
  int id;
  struct log *log;
  /* What the callback does besides recording itself. */
  struct mn_timer_heap *heap;
  struct rec_timer *arm_other; /* arm this one at `now` */
  struct rec_timer *cancel_other;
  mynet_time period; /* re-arm itself period after its own deadline */
  int repeats;
};

struct log {
  int ids[256];
  mynet_time at[256];
  int n;
};

static void rec_fire(struct mn_timer *tm, mynet_time now)
{
  struct rec_timer *r = mn_container_of(tm, struct rec_timer, t);
  ck_assert_int_lt(r->log->n, 256);
  r->log->at[r->log->n] = tm->when;
  r->log->ids[r->log->n++] = r->id;
  ck_assert(!mn_timer_armed(tm)); /* disarmed before its callback runs */
  if (r->arm_other)
    ck_assert_int_eq(mn_timer_arm(r->heap, &r->arm_other->t, now), 0);
  if (r->cancel_other)
    mn_timer_cancel(r->heap, &r->cancel_other->t);
  if (r->period && r->repeats-- > 0)
    ck_assert_int_eq(mn_timer_arm(r->heap, tm, tm->when + r->period), 0);
}

/* The one kind of timer these tests use. */
static const mn_timer_fn rec_fns[] = {rec_fire};

static void rec_init(struct rec_timer *r, int id, struct log *log, struct mn_timer_heap *h)
{
  memset(r, 0, sizeof(*r));
  mn_timer_init(&r->t, 0);
  r->id = id;
  r->log = log;
  r->heap = h;
}

static void expect_order(const struct log *log, const int *ids, int n)
{
  ck_assert_int_eq(log->n, n);
  for (int i = 0; i < n; i++)
    ck_assert_msg(log->ids[i] == ids[i], "position %d: timer %d fired, expected %d", i, log->ids[i],
                  ids[i]);
}

START_TEST(test_core_timers_fire_earliest_first_and_only_when_due)
{
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  struct log log = {0};
  struct rec_timer r[4];
  for (int i = 0; i < 4; i++)
    rec_init(&r[i], i, &log, &h);
  ck_assert_int_eq(mn_timer_next(&h), MYNET_TIME_NEVER);
  mn_timer_arm(&h, &r[0].t, 30);
  mn_timer_arm(&h, &r[1].t, 10);
  mn_timer_arm(&h, &r[2].t, 40);
  mn_timer_arm(&h, &r[3].t, 20);
  ck_assert(mn_timer_armed(&r[0].t));
  ck_assert_int_eq(mn_timer_next(&h), 10);
  ck_assert_int_eq(mn_timer_run(&h, 9, rec_fns), 0);
  ck_assert_int_eq(mn_timer_run(&h, 25, rec_fns), 2);
  ck_assert_int_eq(mn_timer_next(&h), 30);
  ck_assert_int_eq(mn_timer_run(&h, 100, rec_fns), 2);
  expect_order(&log, (const int[]){1, 3, 0, 2}, 4);
  ck_assert_int_eq(mn_timer_next(&h), MYNET_TIME_NEVER);
  mn_timer_heap_destroy(&h);
}
END_TEST

START_TEST(test_core_timers_due_at_the_same_time_fire_in_arming_order)
{
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  struct log log = {0};
  struct rec_timer r[6];
  for (int i = 0; i < 6; i++)
    rec_init(&r[i], i, &log, &h);
  /* Interleaved with earlier and later ones, so the heap must reorder. */
  mn_timer_arm(&h, &r[0].t, 50);
  mn_timer_arm(&h, &r[1].t, 60);
  mn_timer_arm(&h, &r[2].t, 50);
  mn_timer_arm(&h, &r[3].t, 40);
  mn_timer_arm(&h, &r[4].t, 50);
  mn_timer_arm(&h, &r[5].t, 50);
  ck_assert_int_eq(mn_timer_run(&h, 100, rec_fns), 6);
  expect_order(&log, (const int[]){3, 0, 2, 4, 5, 1}, 6);
  mn_timer_heap_destroy(&h);
}
END_TEST

START_TEST(test_core_cancelled_timer_never_fires)
{
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  struct log log = {0};
  struct rec_timer r[5];
  for (int i = 0; i < 5; i++) {
    rec_init(&r[i], i, &log, &h);
    mn_timer_arm(&h, &r[i].t, 10 * (i + 1));
  }
  mn_timer_cancel(&h, &r[0].t); /* the root */
  mn_timer_cancel(&h, &r[3].t);
  mn_timer_cancel(&h, &r[3].t); /* twice is harmless */
  ck_assert(!mn_timer_armed(&r[0].t));
  ck_assert_uint_eq(h.n, 3);
  ck_assert_int_eq(mn_timer_next(&h), 20);
  ck_assert_int_eq(mn_timer_run(&h, 100, rec_fns), 3);
  expect_order(&log, (const int[]){1, 2, 4}, 3);
  mn_timer_cancel(&h, &r[1].t); /* already fired: nothing to do */
  mn_timer_heap_destroy(&h);
}
END_TEST

START_TEST(test_core_rearming_moves_a_timer_and_renews_its_place_among_ties)
{
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  struct log log = {0};
  struct rec_timer r[3];
  for (int i = 0; i < 3; i++)
    rec_init(&r[i], i, &log, &h);
  mn_timer_arm(&h, &r[0].t, 50);
  mn_timer_arm(&h, &r[1].t, 50);
  mn_timer_arm(&h, &r[2].t, 20);
  mn_timer_arm(&h, &r[0].t, 50); /* same time, but now armed last */
  mn_timer_arm(&h, &r[2].t, 70); /* later */
  ck_assert_uint_eq(h.n, 3);
  ck_assert_int_eq(mn_timer_next(&h), 50);
  ck_assert_int_eq(mn_timer_run(&h, 100, rec_fns), 3);
  expect_order(&log, (const int[]){1, 0, 2}, 3);
  ck_assert_int_eq(log.at[2], 70);
  mn_timer_heap_destroy(&h);
}
END_TEST

START_TEST(test_core_timer_callbacks_may_arm_and_cancel_timers)
{
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  struct log log = {0};
  struct rec_timer a, b, c, d, p;
  rec_init(&a, 'a', &log, &h);
  rec_init(&b, 'b', &log, &h);
  rec_init(&c, 'c', &log, &h);
  rec_init(&d, 'd', &log, &h);
  rec_init(&p, 'p', &log, &h);
  a.arm_other = &c;    /* armed for `now` inside the run: fires in it, after b */
  b.cancel_other = &d; /* d is due too, but b cancels it first */
  p.period = 10;       /* a periodic timer re-arming itself */
  p.repeats = 2;
  mn_timer_arm(&h, &a.t, 10);
  mn_timer_arm(&h, &b.t, 10);
  mn_timer_arm(&h, &d.t, 10);
  mn_timer_arm(&h, &p.t, 5);
  ck_assert_int_eq(mn_timer_run(&h, 10, rec_fns), 4);
  expect_order(&log, (const int[]){'p', 'a', 'b', 'c'}, 4);
  ck_assert(!mn_timer_armed(&d.t));
  ck_assert_int_eq(mn_timer_next(&h), 15);
  /* Catching up runs each period at its own time, then stops. */
  ck_assert_int_eq(mn_timer_run(&h, 1000, rec_fns), 2);
  ck_assert_int_eq(log.at[4], 15);
  ck_assert_int_eq(log.at[5], 25);
  ck_assert_int_eq(mn_timer_next(&h), MYNET_TIME_NEVER);
  mn_timer_heap_destroy(&h);
}
END_TEST

START_TEST(test_core_timer_heap_keeps_order_through_many_arms_and_cancels)
{
  enum { N = 200 };
  struct mn_timer_heap h;
  mn_timer_heap_init(&h, &malloc_mem);
  static struct log log;
  memset(&log, 0, sizeof(log));
  static struct rec_timer r[N];
  struct mn_rand rnd;
  mn_rand_seed(&rnd, 7);
  for (int i = 0; i < N; i++) {
    rec_init(&r[i], i, &log, &h);
    ck_assert_int_eq(mn_timer_arm(&h, &r[i].t, mn_rand_below(&rnd, 50)), 0);
  }
  /* Re-arm some, cancel others, in an order unrelated to the heap's. */
  int live = N;
  for (int i = 0; i < N; i += 3) {
    mn_timer_cancel(&h, &r[i].t);
    live--;
  }
  for (int i = 1; i < N; i += 7)
    if (i % 3 != 0)
      mn_timer_arm(&h, &r[i].t, mn_rand_below(&rnd, 50));
  ck_assert_uint_eq(h.n, (size_t)live);
  ck_assert_int_eq(mn_timer_run(&h, 49, rec_fns), live);
  /* Each fired no earlier than the one before it, ties in arming order. */
  for (int i = 1; i < log.n; i++) {
    const struct rec_timer *prev = &r[log.ids[i - 1]], *cur = &r[log.ids[i]];
    ck_assert(prev->t.when < cur->t.when ||
              (prev->t.when == cur->t.when && prev->t.seq < cur->t.seq));
  }
  for (int i = 0; i < N; i += 3)
    for (int j = 0; j < log.n; j++)
      ck_assert_int_ne(log.ids[j], i);
  mn_timer_heap_destroy(&h);
}
END_TEST

/* ---- random source ---- */

START_TEST(test_core_rand_same_seed_gives_the_same_sequence)
{
  struct mn_rand a, b, c;
  mn_rand_seed(&a, 42);
  mn_rand_seed(&b, 42);
  mn_rand_seed(&c, 43);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = mn_rand_next(&a);
    ck_assert_uint_eq(x, mn_rand_next(&b));
    differ += x != mn_rand_next(&c);
  }
  ck_assert_int_eq(differ, 1000);
}
END_TEST

START_TEST(test_core_rand_is_xoshiro256_starstar_seeded_by_splitmix64)
{
  /* Reference values from an independent implementation of both. */
  struct mn_rand r;
  mn_rand_seed(&r, 42);
  ck_assert_uint_eq(mn_rand_next(&r), 0x15780b2e0c2ec716ull);
  ck_assert_uint_eq(mn_rand_next(&r), 0x6104d9866d113a7eull);
  ck_assert_uint_eq(mn_rand_next(&r), 0xae17533239e499a1ull);
  mn_rand_seed(&r, 0);
  ck_assert_uint_eq(mn_rand_next(&r), 0x99ec5f36cb75f2b4ull);
}
END_TEST

START_TEST(test_core_rand_below_and_ppm_stay_in_range)
{
  struct mn_rand r;
  mn_rand_seed(&r, 1);
  int seen[7] = {0};
  for (int i = 0; i < 7000; i++) {
    uint32_t v = mn_rand_below(&r, 7);
    ck_assert_uint_lt(v, 7);
    seen[v]++;
  }
  for (int i = 0; i < 7; i++)
    ck_assert_int_gt(seen[i], 800); /* about 1000 each */
  ck_assert_uint_eq(mn_rand_below(&r, 1), 0);
  int hits = 0;
  for (int i = 0; i < 10000; i++) {
    ck_assert(!mn_rand_ppm(&r, 0));
    ck_assert(mn_rand_ppm(&r, 1000000));
    hits += mn_rand_ppm(&r, 250000);
  }
  ck_assert_int_gt(hits, 2250);
  ck_assert_int_lt(hits, 2750);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("core");
  TCase *tc = tcase_create("pbuf");
  tcase_add_test(tc, test_core_pbuf_has_headroom_in_front_of_its_data);
  tcase_add_test(tc, test_core_pbuf_clone_copies_data_and_metadata);
  tcase_add_test(tc, test_core_pool_refuses_allocations_beyond_its_bound_and_counts_them);
  tcase_add_test(tc, test_core_pool_sizes_large_buffers_to_fit_and_refuses_oversized_ones);
  tcase_add_test(tc, test_core_stack_with_a_small_pool_refuses_to_send_with_enobufs);
  tcase_add_test(tc, test_core_queue_is_first_in_first_out_and_counts_bytes);
  suite_add_tcase(s, tc);
  tc = tcase_create("timer");
  tcase_add_test(tc, test_core_timers_fire_earliest_first_and_only_when_due);
  tcase_add_test(tc, test_core_timers_due_at_the_same_time_fire_in_arming_order);
  tcase_add_test(tc, test_core_cancelled_timer_never_fires);
  tcase_add_test(tc, test_core_rearming_moves_a_timer_and_renews_its_place_among_ties);
  tcase_add_test(tc, test_core_timer_callbacks_may_arm_and_cancel_timers);
  tcase_add_test(tc, test_core_timer_heap_keeps_order_through_many_arms_and_cancels);
  suite_add_tcase(s, tc);
  tc = tcase_create("rand");
  tcase_add_test(tc, test_core_rand_same_seed_gives_the_same_sequence);
  tcase_add_test(tc, test_core_rand_is_xoshiro256_starstar_seeded_by_splitmix64);
  tcase_add_test(tc, test_core_rand_below_and_ppm_stay_in_range);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
