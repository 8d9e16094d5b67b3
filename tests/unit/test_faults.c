/* The fault-injecting device wrapped around a test device: loss,
 * duplication, corruption, reordering and delay, in both directions,
 * reproducible from a seed, on a virtual clock. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include "wire/be.h"

#include <string.h>

#define FRAME_LEN 60
#define T0 MYNET_SEC(1000)

/* A fault device on its own: frames go in through transmit() or the inner
 * device's receive queue, and come out of the inner device's transmit
 * queue or the fault device's receive(). */
struct fx {
  struct mn_mem mem;
  struct mn_pool pool;
  struct mn_counters ctr;
  struct mn_device *inner, *dev;
};

static void fx_init(struct fx *f, const char *spec)
{
  memset(f, 0, sizeof(*f));
  mn_mem_init(&f->mem, NULL);
  mn_pool_init(&f->pool, &f->mem, 1 << 24);
  struct mynet_faults_cfg cfg;
  char err[256];
  ck_assert_msg(mynet_parse_faults(spec, &cfg, err, sizeof(err)) == 0, "%s", err);
  f->inner = tn_device_new();
  f->dev = mn_faults_wrap(f->inner, &cfg, &f->ctr);
  ck_assert_ptr_nonnull(f->dev);
  ck_assert_str_eq(f->dev->name, f->inner->name);
  ck_assert_uint_eq(f->dev->mtu, f->inner->mtu);
}

static void fx_free(struct fx *f)
{
  f->dev->ops->destroy(f->dev); /* and the inner device with it */
  ck_assert_msg(f->pool.live == 0, "%zu buffers leaked", f->pool.live);
  mn_pool_destroy(&f->pool);
}

/* A frame numbered seq (at byte 14), the rest a fixed pattern. */
static struct mn_pbuf *frame(struct fx *f, uint32_t seq)
{
  struct mn_pbuf *p = mn_pbuf_alloc(&f->pool, MN_PBUF_HEADROOM, FRAME_LEN);
  ck_assert_ptr_nonnull(p);
  for (int i = 0; i < FRAME_LEN; i++)
    p->data[i] = (uint8_t)(i * 13);
  mn_put32(p->data + 14, seq);
  return p;
}

static uint32_t seq_of(const struct mn_pbuf *p)
{
  return mn_get32(p->data + 14);
}

static void send_frame(struct fx *f, uint32_t seq, mynet_time now)
{
  ck_assert_int_eq(f->dev->ops->transmit(f->dev, frame(f, seq), now), 0);
}

static void arrive_frame(struct fx *f, uint32_t seq)
{
  tn_device_inject(f->inner, frame(f, seq));
}

/* What reached the wire by `now`: the sequence numbers, in order. */
static int wire_out(struct fx *f, mynet_time now, uint32_t *seqs, int max)
{
  struct mn_pbuf *p = f->dev->ops->receive(f->dev, &f->pool, now); /* also releases tx */
  ck_assert_ptr_null(p); /* nothing arriving in these tests */
  int n = 0;
  while ((p = tn_device_pop_tx(f->inner))) {
    ck_assert_int_lt(n, max);
    seqs[n++] = seq_of(p);
    mn_pbuf_free(p);
  }
  return n;
}

/* What the stack would receive by `now`. */
static int stack_in(struct fx *f, mynet_time now, uint32_t *seqs, int max)
{
  int n = 0;
  struct mn_pbuf *p;
  while ((p = f->dev->ops->receive(f->dev, &f->pool, now))) {
    ck_assert_int_lt(n, max);
    seqs[n++] = seq_of(p);
    mn_pbuf_free(p);
  }
  return n;
}

START_TEST(test_faults_total_loss_drops_every_frame_both_ways)
{
  struct fx f;
  fx_init(&f, "loss=100%");
  for (uint32_t i = 0; i < 50; i++) {
    send_frame(&f, i, T0);
    arrive_frame(&f, i);
  }
  uint32_t seqs[100];
  ck_assert_int_eq(stack_in(&f, T0, seqs, 100), 0);
  ck_assert_int_eq(wire_out(&f, T0, seqs, 100), 0);
  ck_assert_uint_eq(f.ctr.faults_dropped, 100);
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), MYNET_TIME_NEVER);
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_no_impairment_passes_every_frame_in_order)
{
  struct fx f;
  fx_init(&f, "loss=0%,seed=3");
  for (uint32_t i = 0; i < 50; i++) {
    send_frame(&f, i, T0);
    arrive_frame(&f, 100 + i);
  }
  uint32_t seqs[100];
  ck_assert_int_eq(stack_in(&f, T0, seqs, 100), 50);
  for (uint32_t i = 0; i < 50; i++)
    ck_assert_uint_eq(seqs[i], 100 + i);
  ck_assert_int_eq(wire_out(&f, T0, seqs, 100), 50);
  for (uint32_t i = 0; i < 50; i++)
    ck_assert_uint_eq(seqs[i], i);
  struct mn_counters zero = {0};
  ck_assert_mem_eq(&f.ctr, &zero, sizeof(zero));
  fx_free(&f);
}
END_TEST

/* Which of n frames survive 50% loss with this seed, as a bitmap. */
static void survivors(const char *spec, bool *out, int n)
{
  struct fx f;
  fx_init(&f, spec);
  for (int i = 0; i < n; i++)
    send_frame(&f, (uint32_t)i, T0);
  uint32_t seqs[256];
  int got = wire_out(&f, T0, seqs, 256);
  memset(out, 0, (size_t)n * sizeof(*out));
  for (int i = 0; i < got; i++)
    out[seqs[i]] = true;
  ck_assert_uint_eq(f.ctr.faults_dropped, (uint64_t)(n - got));
  fx_free(&f);
}

START_TEST(test_faults_same_seed_makes_the_same_decisions)
{
  enum { N = 200 };
  bool a[N], b[N], c[N];
  survivors("loss=50%,seed=9", a, N);
  survivors("loss=50%,seed=9", b, N);
  survivors("loss=50%,seed=10", c, N);
  ck_assert_mem_eq(a, b, sizeof(a));
  ck_assert(memcmp(a, c, sizeof(a)) != 0);
  int kept = 0;
  for (int i = 0; i < N; i++)
    kept += a[i];
  ck_assert_int_gt(kept, N / 2 - 30);
  ck_assert_int_lt(kept, N / 2 + 30);
}
END_TEST

START_TEST(test_faults_delay_holds_frames_until_their_release_time)
{
  struct fx f;
  fx_init(&f, "delay=20ms");
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), MYNET_TIME_NEVER);
  send_frame(&f, 1, T0);
  send_frame(&f, 2, T0 + MYNET_MS(5));
  ck_assert_uint_eq(tn_device_tx_count(f.inner), 0);
  /* The device says when to come back: the first release. */
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), T0 + MYNET_MS(20));
  uint32_t seqs[4];
  ck_assert_int_eq(wire_out(&f, T0 + MYNET_MS(20) - 1, seqs, 4), 0);
  ck_assert_int_eq(wire_out(&f, T0 + MYNET_MS(20), seqs, 4), 1);
  ck_assert_uint_eq(seqs[0], 1);
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), T0 + MYNET_MS(25));
  ck_assert_int_eq(wire_out(&f, T0 + MYNET_MS(25), seqs, 4), 1);
  ck_assert_uint_eq(seqs[0], 2);
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), MYNET_TIME_NEVER);

  /* Arriving frames wait the same way. */
  arrive_frame(&f, 3);
  ck_assert_int_eq(stack_in(&f, T0 + MYNET_MS(30), seqs, 4), 0);
  ck_assert_int_eq(f.dev->ops->deadline(f.dev), T0 + MYNET_MS(50));
  ck_assert_int_eq(stack_in(&f, T0 + MYNET_MS(50) - 1, seqs, 4), 0);
  ck_assert_int_eq(stack_in(&f, T0 + MYNET_MS(50), seqs, 4), 1);
  ck_assert_uint_eq(seqs[0], 3);
  ck_assert_uint_eq(f.ctr.faults_delayed, 3);
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_jitter_spreads_release_times_within_the_bound)
{
  struct fx f;
  fx_init(&f, "delay=20ms±10ms,seed=5");
  enum { N = 100 };
  for (uint32_t i = 0; i < N; i++)
    send_frame(&f, i, T0);
  int got = 0;
  mynet_time first = MYNET_TIME_NEVER, last = 0, prev = 0;
  for (;;) {
    mynet_time d = f.dev->ops->deadline(f.dev);
    if (d == MYNET_TIME_NEVER)
      break;
    ck_assert_int_ge(d, prev); /* released in time order */
    ck_assert_int_ge(d - T0, MYNET_MS(10));
    ck_assert_int_le(d - T0, MYNET_MS(30));
    first = d < first ? d : first;
    last = d;
    prev = d;
    uint32_t seqs[N];
    int n = wire_out(&f, d, seqs, N);
    ck_assert_int_gt(n, 0);
    got += n;
  }
  ck_assert_int_eq(got, N);
  ck_assert_int_gt(last - first, MYNET_MS(10)); /* really spread out */
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_jitter_keeps_frames_in_the_order_they_were_sent)
{
  struct fx f;
  fx_init(&f, "delay=5ms±2ms,seed=9");
  enum { N = 200 };
  /* Back to back, 10 us apart: far closer than the jitter. */
  for (uint32_t i = 0; i < N; i++)
    send_frame(&f, i, T0 + (mynet_time)i * 10);
  uint32_t next = 0;
  for (;;) {
    mynet_time d = f.dev->ops->deadline(f.dev);
    if (d == MYNET_TIME_NEVER)
      break;
    uint32_t seqs[N];
    int n = wire_out(&f, d, seqs, N);
    for (int i = 0; i < n; i++)
      ck_assert_uint_eq(seqs[i], next++);
  }
  ck_assert_uint_eq(next, N);
  ck_assert_uint_eq(f.ctr.faults_reordered, 0);
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_duplication_produces_two_identical_copies)
{
  struct fx f;
  fx_init(&f, "dup=100%");
  send_frame(&f, 7, T0);
  struct mn_pbuf *a = tn_device_pop_tx(f.inner), *b = tn_device_pop_tx(f.inner);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_null(tn_device_pop_tx(f.inner));
  ck_assert_uint_eq(a->len, FRAME_LEN);
  ck_assert_uint_eq(b->len, FRAME_LEN);
  ck_assert_mem_eq(a->data, b->data, FRAME_LEN);
  ck_assert_uint_eq(seq_of(a), 7);
  mn_pbuf_free(a);
  mn_pbuf_free(b);
  arrive_frame(&f, 8);
  uint32_t seqs[4];
  ck_assert_int_eq(stack_in(&f, T0, seqs, 4), 2);
  ck_assert_uint_eq(seqs[0], 8);
  ck_assert_uint_eq(seqs[1], 8);
  ck_assert_uint_eq(f.ctr.faults_duplicated, 2);
  ck_assert_uint_eq(f.ctr.faults_dropped, 0);
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_corruption_flips_one_bit_past_the_ethernet_header)
{
  struct fx f;
  fx_init(&f, "corrupt=100%,seed=11");
  struct mn_pbuf *ref = frame(&f, 0);
  for (int i = 0; i < 50; i++) {
    mn_put32(ref->data + 14, (uint32_t)i);
    send_frame(&f, (uint32_t)i, T0);
    struct mn_pbuf *p = tn_device_pop_tx(f.inner);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->len, FRAME_LEN);
    ck_assert_mem_eq(p->data, ref->data, 14);
    int bits = 0;
    for (int j = 14; j < FRAME_LEN; j++)
      bits += __builtin_popcount(p->data[j] ^ ref->data[j]);
    ck_assert_int_eq(bits, 1);
    mn_pbuf_free(p);
  }
  mn_pbuf_free(ref);
  ck_assert_uint_eq(f.ctr.faults_corrupted, 50);
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_reordering_lets_later_frames_overtake_without_losing_any)
{
  struct fx f;
  fx_init(&f, "reorder=30%,seed=2");
  enum { N = 40 };
  for (uint32_t i = 0; i < N; i++)
    send_frame(&f, i, T0);
  uint32_t seqs[N];
  int now = wire_out(&f, T0, seqs, N);
  ck_assert_int_lt(now, N); /* some were held back */
  ck_assert_int_eq(now + wire_out(&f, T0 + MYNET_MS(1), seqs + now, N - now), N);
  bool seen[N] = {false};
  bool out_of_order = false;
  for (int i = 0; i < N; i++) {
    ck_assert(!seen[seqs[i]]);
    seen[seqs[i]] = true;
    out_of_order = out_of_order || (i > 0 && seqs[i] < seqs[i - 1]);
  }
  ck_assert(out_of_order);
  ck_assert_uint_eq(f.ctr.faults_reordered, (uint64_t)(N - now));
  fx_free(&f);
}
END_TEST

START_TEST(test_faults_delayed_frames_are_freed_with_the_device)
{
  struct fx f;
  fx_init(&f, "delay=1s");
  send_frame(&f, 1, T0);
  arrive_frame(&f, 2);
  uint32_t seqs[2];
  ck_assert_int_eq(stack_in(&f, T0, seqs, 2), 0);
  ck_assert_uint_eq(f.pool.live, 2);
  fx_free(&f); /* checks that nothing is left */
}
END_TEST

START_TEST(test_faults_stack_polls_at_the_release_time_the_device_reports)
{
  struct tn t;
  tn_setup_stack(&t, 0);
  struct mynet_faults_cfg cfg;
  ck_assert_int_eq(mynet_parse_faults("delay=20ms", &cfg, NULL, 0), 0);
  t.dev = tn_device_new(); /* tn_pop and tn_inject_* see the wire side */
  struct mn_device *dev = mn_faults_wrap(t.dev, &cfg, &t.st->ctr);
  ck_assert_int_eq(tn_attach(&t, dev, t.dev, tn_mac, TN_ADDR, 24), 1);
  /* Even the announcement waits 20 ms. */
  tn_expect_silence(&t);
  ck_assert_int_eq(tn_deadline(&t), t.now + MYNET_MS(20));
  tn_advance(&t, MYNET_MS(20));
  struct mn_arp_pkt a;
  mn_pbuf_free(tn_expect_arp(&t, &a));
  ck_assert_uint_eq(a.tpa, TN_ADDR);

  /* A request from the peer reaches the stack 20 ms late, and the reply
   * takes another 20 ms to leave. */
  tn_inject_arp(&t, MN_ARP_REQUEST, tn_peer_mac, TN_PEER, (const uint8_t[6]){0}, TN_ADDR);
  tn_expect_silence(&t);
  ck_assert_ptr_null(mn_arp_lookup(t.st, TN_PEER));
  tn_advance(&t, MYNET_MS(20));
  ck_assert_ptr_nonnull(mn_arp_lookup(t.st, TN_PEER));
  tn_expect_silence(&t);
  tn_advance(&t, MYNET_MS(20) - 1);
  tn_expect_silence(&t);
  tn_advance(&t, 1);
  mn_pbuf_free(tn_expect_arp(&t, &a));
  ck_assert_uint_eq(a.op, MN_ARP_REPLY);
  ck_assert_int_eq(mynet_stack_counter(t.st, "faults.delayed"), 3);
  ck_assert_int_eq(tn_deadline(&t) > t.now + MYNET_SEC(1), 1);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("faults");
  TCase *tc = tcase_create("faults");
  tcase_add_test(tc, test_faults_total_loss_drops_every_frame_both_ways);
  tcase_add_test(tc, test_faults_no_impairment_passes_every_frame_in_order);
  tcase_add_test(tc, test_faults_same_seed_makes_the_same_decisions);
  tcase_add_test(tc, test_faults_delay_holds_frames_until_their_release_time);
  tcase_add_test(tc, test_faults_jitter_spreads_release_times_within_the_bound);
  tcase_add_test(tc, test_faults_jitter_keeps_frames_in_the_order_they_were_sent);
  tcase_add_test(tc, test_faults_duplication_produces_two_identical_copies);
  tcase_add_test(tc, test_faults_corruption_flips_one_bit_past_the_ethernet_header);
  tcase_add_test(tc, test_faults_reordering_lets_later_frames_overtake_without_losing_any);
  tcase_add_test(tc, test_faults_delayed_frames_are_freed_with_the_device);
  tcase_add_test(tc, test_faults_stack_polls_at_the_release_time_the_device_reports);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
