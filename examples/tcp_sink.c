/* tcp_sink: accept one TCP connection, read it to the end, report.
 *
 *   tcp_sink [-a ADDR] [-p PORT] [-c] [-e BYTES] [-o FILE] [-b BUFSIZE]
 *
 * A plain BSD-socket program with no mynet headers: it runs unchanged on
 * the kernel's stack and under the mynet shim, so the same binary measures
 * both (tools/mynet-bench).
 *
 * Prints "listening on ADDR:PORT" once listening (scripts wait for that
 * line), then, at end of stream,
 *   "received N bytes in T s (R MB/s)"
 * timed from accept() to end of stream, MB being 10^6 bytes.  With -c it
 * also checks that byte i of the stream is i mod 251 (what tcp_source sends
 * by default) and reports the first offset that is not.
 *
 * Exits 0 if the stream ended normally (and matched -c and -e), 1 on a
 * network or file error, a pattern mismatch or a wrong length, 2 on a usage
 * error. */
#include "example_util.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT 5001
#define DEFAULT_BUFSIZE (128 * 1024)
#define PATTERN_PERIOD 251

static void usage(FILE *out)
{
  fprintf(out,
          "usage: tcp_sink [-a ADDR] [-p PORT] [-c] [-e BYTES] [-o FILE] [-b BUFSIZE]\n"
          "  -a ADDR    IPv4 address to listen on (default 0.0.0.0)\n"
          "  -p PORT    TCP port (default %d; 0 picks one)\n"
          "  -c         check that byte i is i mod 251 (tcp_source's pattern)\n"
          "  -e BYTES   fail unless exactly BYTES arrive (suffixes K, M, G: powers of 1024)\n"
          "  -o FILE    write what arrives to FILE\n"
          "  -b BUFSIZE bytes per read() (default %d)\n",
          DEFAULT_PORT, DEFAULT_BUFSIZE);
}

/* The first offset in [0, n) where got differs from want, or -1. */
static ssize_t first_mismatch(const unsigned char *got, const unsigned char *want, size_t n)
{
  if (memcmp(got, want, n) == 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i])
      return (ssize_t)i;
  return -1;
}

struct sink {
  struct sockaddr_in local;
  const char *out_file;
  int check;
  long long expect, bufsize;
  unsigned char *buf, *ref; /* a read; the pattern, one period longer */
};

/* A listening socket on s->local, announced on stdout; -1 on error. */
static int listen_on(struct sink *s)
{
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) {
    fprintf(stderr, "tcp_sink: socket: %s\n", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  char name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &s->local.sin_addr, name, sizeof name);
  if (bind(lfd, (struct sockaddr *)&s->local, sizeof s->local) < 0) {
    fprintf(stderr, "tcp_sink: bind %s:%u: %s\n", name, ntohs(s->local.sin_port), strerror(errno));
    close(lfd);
    return -1;
  }
  socklen_t len = sizeof s->local;
  if (listen(lfd, 1) < 0 || getsockname(lfd, (struct sockaddr *)&s->local, &len) < 0) {
    fprintf(stderr, "tcp_sink: listen: %s\n", strerror(errno));
    close(lfd);
    return -1;
  }
  printf("listening on %s:%u\n", name, ntohs(s->local.sin_port));
  return lfd;
}

/* Accept one connection, read it to the end, report; the exit status. */
static int run(struct sink *s)
{
  int out = -1;
  if (s->out_file) {
    out = open(s->out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
      fprintf(stderr, "tcp_sink: %s: %s\n", s->out_file, strerror(errno));
      return 1;
    }
  }
  int lfd = listen_on(s);
  if (lfd < 0)
    goto fail;
  struct sockaddr_in peer;
  socklen_t peer_len = sizeof peer;
  int fd;
  do
    fd = accept(lfd, (struct sockaddr *)&peer, &peer_len);
  while (fd < 0 && errno == EINTR);
  close(lfd);
  if (fd < 0) {
    fprintf(stderr, "tcp_sink: accept: %s\n", strerror(errno));
    goto fail;
  }
  char name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &peer.sin_addr, name, sizeof name);
  printf("connection from %s:%u\n", name, ntohs(peer.sin_port));

  double start = now_seconds();
  long long received = 0, bad_offset = -1;
  for (;;) {
    ssize_t n = read(fd, s->buf, (size_t)s->bufsize);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "tcp_sink: read after %lld bytes: %s\n", received, strerror(errno));
      close(fd);
      goto fail;
    }
    if (n == 0)
      break;
    if (s->check && bad_offset < 0) {
      ssize_t i = first_mismatch(s->buf, s->ref + received % PATTERN_PERIOD, (size_t)n);
      if (i >= 0)
        bad_offset = received + i;
    }
    if (out >= 0 && write_all(out, s->buf, (size_t)n) < 0) {
      fprintf(stderr, "tcp_sink: write %s: %s\n", s->out_file, strerror(errno));
      close(fd);
      goto fail;
    }
    received += n;
  }
  double elapsed = now_seconds() - start;
  close(fd);
  if (out >= 0 && close(out) < 0) {
    fprintf(stderr, "tcp_sink: close %s: %s\n", s->out_file, strerror(errno));
    return 1;
  }
  printf("received %lld bytes in %.3f s (%.1f MB/s)\n", received, elapsed,
         elapsed > 0 ? (double)received / elapsed / 1e6 : 0.0);
  int status = 0;
  if (s->check) {
    if (bad_offset >= 0) {
      printf("pattern MISMATCH at offset %lld\n", bad_offset);
      status = 1;
    } else {
      printf("pattern ok\n");
    }
  }
  if (s->expect >= 0 && received != s->expect) {
    printf("expected %lld bytes, got %lld\n", s->expect, received);
    status = 1;
  }
  return status;

fail:
  if (out >= 0)
    close(out);
  return 1;
}

int main(int argc, char **argv)
{
  struct sink s = {.expect = -1, .bufsize = DEFAULT_BUFSIZE};
  long port = DEFAULT_PORT;
  const char *addr_str = "0.0.0.0";
  int opt;

  while ((opt = getopt(argc, argv, "a:p:ce:o:b:h")) != -1) {
    switch (opt) {
    case 'a':
      addr_str = optarg;
      break;
    case 'p': {
      char *end;
      port = strtol(optarg, &end, 10);
      if (*end != '\0' || end == optarg || port < 0 || port > 65535) {
        fprintf(stderr, "tcp_sink: bad port '%s' (expected 0-65535)\n", optarg);
        return 2;
      }
      break;
    }
    case 'c':
      s.check = 1;
      break;
    case 'e':
      if (parse_size(optarg, 0, &s.expect) < 0) {
        fprintf(stderr, "tcp_sink: bad byte count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'o':
      s.out_file = optarg;
      break;
    case 'b':
      if (parse_size(optarg, 1, &s.bufsize) < 0 || s.bufsize > (1LL << 30)) {
        fprintf(stderr, "tcp_sink: bad buffer size '%s' (1 to 1G)\n", optarg);
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
  if (optind != argc) {
    fprintf(stderr, "tcp_sink: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  s.local = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr_str, &s.local.sin_addr) != 1) {
    fprintf(stderr, "tcp_sink: bad address '%s' (expected dotted IPv4)\n", addr_str);
    return 2;
  }
  /* The check compares a read with the pattern at offset (i mod 251). */
  s.buf = malloc((size_t)s.bufsize);
  s.ref = malloc((size_t)s.bufsize + PATTERN_PERIOD);
  int status = 1;
  if (s.buf && s.ref) {
    for (long long i = 0; i < s.bufsize + PATTERN_PERIOD; i++)
      s.ref[i] = (unsigned char)(i % PATTERN_PERIOD);
    status = run(&s);
  } else {
    fprintf(stderr, "tcp_sink: out of memory for %lld-byte buffers\n", s.bufsize);
  }
  free(s.buf);
  free(s.ref);
  return status;
}
