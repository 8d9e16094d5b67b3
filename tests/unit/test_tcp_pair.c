/* Two stacks transfer data over a simulated link that loses, duplicates
 * and reorders frames; every byte must arrive, in order, for every seed. */
#include "helpers/pair.h"
#include "helpers/run.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct xfer {
  struct pair *p;
  mynet_sock *listener, *client, *server;
  uint8_t *src, *dst;
  size_t total, sent, recvd;
  bool connected, client_closed, eof;
};

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(addr);
  a.sin_port = htons(port);
  return a;
}

/* One round of application work: what a program calling send/recv in a
 * loop would do. */
static bool step(void *ctx)
{
  struct xfer *x = ctx;
  if (!x->server) {
    struct sockaddr_in peer;
    int rc = mynet_accept(x->listener, &x->server, &peer);
    ck_assert(rc == 0 || rc == -EAGAIN);
  }
  if (!x->connected) {
    struct sockaddr_in to = sin_of(PAIR_B, 80);
    int rc = mynet_connect(x->client, (struct sockaddr *)&to, sizeof(to));
    if (rc == 0)
      x->connected = true;
    else
      ck_assert_msg(rc == -EALREADY, "connect: %d", rc);
  }
  while (x->connected && x->sent < x->total) {
    struct iovec iov = {x->src + x->sent, x->total - x->sent};
    ssize_t n = mynet_sendmsg(x->client, &iov, 1, NULL, 0);
    if (n == -EAGAIN)
      break;
    ck_assert_msg(n > 0, "send: %zd", n);
    x->sent += (size_t)n;
  }
  if (x->sent == x->total && !x->client_closed) {
    ck_assert_int_eq(mynet_close(x->client), 0);
    x->client_closed = true;
  }
  while (x->server && !x->eof) {
    uint8_t buf[8192];
    struct iovec iov = {buf, sizeof(buf)};
    ssize_t n = mynet_recvmsg(x->server, &iov, 1, NULL, 0, NULL);
    if (n == -EAGAIN)
      break;
    ck_assert_msg(n >= 0, "recv: %zd", n);
    if (n == 0) {
      x->eof = true;
      break;
    }
    ck_assert_uint_le(x->recvd + (size_t)n, x->total);
    memcpy(x->dst + x->recvd, buf, (size_t)n);
    x->recvd += (size_t)n;
  }
  return x->eof;
}

static void transfer_delayed(uint64_t seed, size_t total, uint32_t loss, uint32_t dup,
                             uint32_t reorder, mynet_time delay, mynet_time limit)
{
  struct pair p;
  pair_setup(&p, seed);
  p.delay = delay;
  p.loss_ppm = loss;
  p.dup_ppm = dup;
  p.reorder_ppm = reorder;
  struct xfer x = {.p = &p, .total = total};
  x.src = malloc(total);
  x.dst = malloc(total);
  struct mn_rand r;
  mn_rand_seed(&r, seed ^ 0xabcdef);
  for (size_t i = 0; i < total; i++)
    x.src[i] = (uint8_t)mn_rand_next(&r);

  ck_assert_int_eq(mynet_socket(p.b, SOCK_STREAM, 0, &x.listener), 0);
  struct sockaddr_in any = sin_of(0, 80);
  ck_assert_int_eq(mynet_bind(x.listener, &any), 0);
  ck_assert_int_eq(mynet_listen(x.listener, 8), 0);
  ck_assert_int_eq(mynet_socket(p.a, SOCK_STREAM, 0, &x.client), 0);
  struct sockaddr_in to = sin_of(PAIR_B, 80);
  ck_assert_int_eq(mynet_connect(x.client, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);

  bool done = pair_run_until(&p, limit, step, &x);
  ck_assert_msg(done, "seed %llu: transfer incomplete: sent %zu received %zu of %zu",
                (unsigned long long)seed, x.sent, x.recvd, total);
  ck_assert_uint_eq(x.recvd, total);
  ck_assert_msg(memcmp(x.src, x.dst, total) == 0, "seed %llu: data differs",
                (unsigned long long)seed);
  ck_assert_int_eq(mynet_close(x.server), 0);
  ck_assert_int_eq(mynet_close(x.listener), 0);
  /* Both ends finish their FIN exchange and TIME_WAIT. */
  pair_run(&p, MYNET_SEC(200));
  ck_assert(!mynet_stack_lingering(p.a));
  ck_assert(!mynet_stack_lingering(p.b));
  free(x.src);
  free(x.dst);
  pair_teardown(&p);
}

static void transfer(uint64_t seed, size_t total, uint32_t loss, uint32_t dup, uint32_t reorder,
                     mynet_time limit)
{
  transfer_delayed(seed, total, loss, dup, reorder, 0, limit);
}

START_TEST(test_tcp_transfers_a_megabyte_over_a_clean_link)
{
  transfer(1, 1 << 20, 0, 0, 0, MYNET_SEC(30));
}
END_TEST

START_TEST(test_tcp_transfers_intact_under_loss_for_many_seeds)
{
  for (uint64_t seed = 1; seed <= 12; seed++)
    transfer(seed, 512 * 1024, 20000, 0, 0, MYNET_SEC(600));
}
END_TEST

START_TEST(test_tcp_transfers_intact_under_loss_duplication_and_reordering)
{
  for (uint64_t seed = 100; seed <= 111; seed++)
    transfer(seed, 512 * 1024, 20000, 10000, 50000, MYNET_SEC(600));
}
END_TEST

/* A path with a round trip of its own, so that the reordering window
 * (min_RTT/4) and its timer decide what is resent: reordering alone, then
 * with loss and duplication. */
START_TEST(test_tcp_transfers_intact_over_a_reordering_path_with_delay)
{
  for (uint64_t seed = 300; seed <= 315; seed++)
    transfer_delayed(seed, 256 * 1024, seed % 2 ? 20000 : 0, seed % 2 ? 10000 : 0, 50000,
                     MYNET_MS(5), MYNET_SEC(600));
}
END_TEST

START_TEST(test_tcp_transfers_intact_under_heavy_loss)
{
  for (uint64_t seed = 200; seed <= 203; seed++)
    transfer(seed, 256 * 1024, 100000, 0, 0, MYNET_SEC(1200));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tcp_pair");
  TCase *tc = tcase_create("transfer");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_tcp_transfers_a_megabyte_over_a_clean_link);
  tcase_add_test(tc, test_tcp_transfers_intact_under_loss_for_many_seeds);
  tcase_add_test(tc, test_tcp_transfers_intact_under_loss_duplication_and_reordering);
  tcase_add_test(tc, test_tcp_transfers_intact_under_heavy_loss);
  tcase_add_test(tc, test_tcp_transfers_intact_over_a_reordering_path_with_delay);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
