/* tcp_rr: TCP request/response of one byte, to measure round-trip latency.
 *
 *   tcp_rr -l [-a ADDR] [-p PORT]            server: echo every byte back
 *   tcp_rr HOST PORT [-n COUNT] [-w WARMUP]  client: COUNT round trips
 *
 * A plain BSD-socket program with no mynet headers: it runs unchanged on
 * the kernel's stack and under the mynet shim, so the same binary measures
 * both (tools/mynet-bench-procs).
 *
 * The server prints "listening on ADDR:PORT" once listening, then serves
 * any number of connections at once from one poll() loop, writing back
 * each byte it reads, until it is killed.
 *
 * The client connects with TCP_NODELAY, makes WARMUP round trips that are
 * not counted (default 100), then COUNT timed ones (default 10000): write
 * one byte, read one byte.  It prints
 *   "COUNT round trips: mean M us, p50 P us, p99 Q us"
 * with each round trip timed on its own (CLOCK_MONOTONIC).
 *
 * Exits 0 on success, 1 on a network error, 2 on a usage error. */
#include "example_util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 5301
#define DEFAULT_COUNT 10000
#define DEFAULT_WARMUP 100
#define MAX_CONNECTIONS 64

static void usage(FILE *out)
{
  fprintf(out,
          "usage: tcp_rr -l [-a ADDR] [-p PORT]\n"
          "       tcp_rr HOST PORT [-n COUNT] [-w WARMUP]\n"
          "  -l         serve: echo every byte back, any number of connections\n"
          "  -a ADDR    IPv4 address to listen on (default 0.0.0.0)\n"
          "  -p PORT    TCP port to listen on (default %d)\n"
          "  -n COUNT   timed round trips (default %d)\n"
          "  -w WARMUP  round trips before timing starts (default %d)\n",
          DEFAULT_PORT, DEFAULT_COUNT, DEFAULT_WARMUP);
}

static int echo_some(int fd)
{
  unsigned char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return -1;
  return write_all(fd, buf, (size_t)n);
}

static int serve(const struct sockaddr_in *addr)
{
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) {
    fprintf(stderr, "tcp_rr: socket: %s\n", strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (const struct sockaddr *)addr, sizeof *addr) < 0 || listen(lfd, 16) < 0) {
    fprintf(stderr, "tcp_rr: bind/listen: %s\n", strerror(errno));
    close(lfd);
    return 1;
  }
  char name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr->sin_addr, name, sizeof name);
  printf("listening on %s:%u\n", name, ntohs(addr->sin_port));
  fflush(stdout);

  /* Slot 0 is the listener; a connection's slot is freed (fd -1) when it ends. */
  struct pollfd fds[1 + MAX_CONNECTIONS];
  fds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  for (int i = 1; i <= MAX_CONNECTIONS; i++)
    fds[i] = (struct pollfd){.fd = -1, .events = POLLIN};
  for (;;) {
    if (poll(fds, 1 + MAX_CONNECTIONS, -1) < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "tcp_rr: poll: %s\n", strerror(errno));
      return 1;
    }
    for (int i = 1; i <= MAX_CONNECTIONS; i++) {
      if (fds[i].fd >= 0 && fds[i].revents && echo_some(fds[i].fd) < 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
    if (fds[0].revents & POLLIN) {
      int cfd = accept(lfd, NULL, NULL);
      if (cfd < 0)
        continue;
      setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int slot = 1;
      while (slot <= MAX_CONNECTIONS && fds[slot].fd >= 0)
        slot++;
      if (slot > MAX_CONNECTIONS)
        close(cfd);
      else
        fds[slot].fd = cfd;
    }
  }
}

static int round_trip(int fd)
{
  unsigned char c = 'x';
  if (write_all(fd, &c, 1) < 0)
    return -1;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n == 1)
      return 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      errno = ECONNRESET;
    return -1;
  }
}

static int compare_doubles(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int client(const struct sockaddr_in *peer, long long count, long long warmup)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    fprintf(stderr, "tcp_rr: socket: %s\n", strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (const struct sockaddr *)peer, sizeof *peer) < 0) {
    fprintf(stderr, "tcp_rr: connect: %s\n", strerror(errno));
    close(fd);
    return 1;
  }
  double *us = malloc((size_t)count * sizeof *us);
  if (!us) {
    fprintf(stderr, "tcp_rr: out of memory for %lld samples\n", count);
    close(fd);
    return 1;
  }
  for (long long i = 0; i < warmup + count; i++) {
    double start = now_seconds();
    if (round_trip(fd) < 0) {
      fprintf(stderr, "tcp_rr: round trip %lld: %s\n", i, strerror(errno));
      free(us);
      close(fd);
      return 1;
    }
    if (i >= warmup)
      us[i - warmup] = (now_seconds() - start) * 1e6;
  }
  close(fd);
  double sum = 0;
  for (long long i = 0; i < count; i++)
    sum += us[i];
  qsort(us, (size_t)count, sizeof *us, compare_doubles);
  printf("%lld round trips: mean %.1f us, p50 %.1f us, p99 %.1f us\n", count, sum / (double)count,
         us[count / 2], us[(count * 99) / 100]);
  free(us);
  return 0;
}

int main(int argc, char **argv)
{
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(DEFAULT_PORT)};
  long long count = DEFAULT_COUNT, warmup = DEFAULT_WARMUP;
  int listen_mode = 0, opt;

  while ((opt = getopt(argc, argv, "la:p:n:w:h")) != -1) {
    switch (opt) {
    case 'l':
      listen_mode = 1;
      break;
    case 'a':
      if (inet_pton(AF_INET, optarg, &addr.sin_addr) != 1) {
        fprintf(stderr, "tcp_rr: bad address '%s' (expected dotted IPv4)\n", optarg);
        return 2;
      }
      break;
    case 'p': {
      char *end;
      long port = strtol(optarg, &end, 10);
      if (*end != '\0' || end == optarg || port < 1 || port > 65535) {
        fprintf(stderr, "tcp_rr: bad port '%s' (expected 1-65535)\n", optarg);
        return 2;
      }
      addr.sin_port = htons((uint16_t)port);
      break;
    }
    case 'n':
      if (parse_size(optarg, 1, &count) < 0 || count > (1LL << 28)) {
        fprintf(stderr, "tcp_rr: bad count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'w':
      if (parse_size(optarg, 0, &warmup) < 0) {
        fprintf(stderr, "tcp_rr: bad warm-up count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (listen_mode) {
    if (argc != optind) {
      usage(stderr);
      return 2;
    }
    return serve(&addr);
  }
  if (argc - optind != 2) {
    usage(stderr);
    return 2;
  }
  const char *host = argv[optind], *port_str = argv[optind + 1];
  char *end;
  long port = strtol(port_str, &end, 10);
  if (*end != '\0' || end == port_str || port < 1 || port > 65535) {
    fprintf(stderr, "tcp_rr: bad port '%s' (expected 1-65535)\n", port_str);
    return 2;
  }
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &peer.sin_addr) != 1) {
    fprintf(stderr, "tcp_rr: bad address '%s' (expected dotted IPv4)\n", host);
    return 2;
  }
  return client(&peer, count, warmup);
}
