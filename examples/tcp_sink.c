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

/* Parse a byte count with an optional K, M or G suffix; -1 if malformed. */
static int parse_size(const char *s, long long lo, long long *out)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || v < 0) return -1;
  long long mult = 1;
  switch (*end) {
  case '\0':
    break;
  case 'K':
  case 'k':
    mult = 1LL << 10;
    end++;
    break;
  case 'M':
  case 'm':
    mult = 1LL << 20;
    end++;
    break;
  case 'G':
  case 'g':
    mult = 1LL << 30;
    end++;
    break;
  default:
    return -1;
  }
  if (*end != '\0' || v > LLONG_MAX / mult || v * mult < lo) return -1;
  *out = v * mult;
  return 0;
}

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv)
{
  long port = DEFAULT_PORT;
  long long expect = -1, bufsize = DEFAULT_BUFSIZE;
  const char *addr_str = "0.0.0.0", *out_file = NULL;
  int check = 0, opt;

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
      check = 1;
      break;
    case 'e':
      if (parse_size(optarg, 0, &expect) < 0) {
        fprintf(stderr, "tcp_sink: bad byte count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'o':
      out_file = optarg;
      break;
    case 'b':
      if (parse_size(optarg, 1, &bufsize) < 0 || bufsize > (1LL << 30)) {
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

  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr_str, &local.sin_addr) != 1) {
    fprintf(stderr, "tcp_sink: bad address '%s' (expected dotted IPv4)\n", addr_str);
    return 2;
  }
  int out = -1;
  if (out_file) {
    out = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
      fprintf(stderr, "tcp_sink: %s: %s\n", out_file, strerror(errno));
      return 1;
    }
  }
  /* The check compares against this reference at offset (i mod 251), so it
   * is one period longer than a read. */
  unsigned char *buf = malloc((size_t)bufsize), *ref = malloc((size_t)bufsize + PATTERN_PERIOD);
  if (!buf || !ref) {
    fprintf(stderr, "tcp_sink: out of memory for %lld-byte buffers\n", bufsize);
    return 1;
  }
  for (long long i = 0; i < bufsize + PATTERN_PERIOD; i++)
    ref[i] = (unsigned char)(i % PATTERN_PERIOD);

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) {
    fprintf(stderr, "tcp_sink: socket: %s\n", strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&local, sizeof local) < 0) {
    fprintf(stderr, "tcp_sink: bind %s:%ld: %s\n", addr_str, port, strerror(errno));
    return 1;
  }
  if (listen(lfd, 1) < 0) {
    fprintf(stderr, "tcp_sink: listen: %s\n", strerror(errno));
    return 1;
  }
  socklen_t local_len = sizeof local;
  if (getsockname(lfd, (struct sockaddr *)&local, &local_len) < 0) {
    fprintf(stderr, "tcp_sink: getsockname: %s\n", strerror(errno));
    return 1;
  }
  char name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &local.sin_addr, name, sizeof name);
  printf("listening on %s:%u\n", name, ntohs(local.sin_port));

  struct sockaddr_in peer;
  socklen_t peer_len = sizeof peer;
  int fd;
  do
    fd = accept(lfd, (struct sockaddr *)&peer, &peer_len);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    fprintf(stderr, "tcp_sink: accept: %s\n", strerror(errno));
    return 1;
  }
  close(lfd);
  inet_ntop(AF_INET, &peer.sin_addr, name, sizeof name);
  printf("connection from %s:%u\n", name, ntohs(peer.sin_port));

  double start = now_seconds();
  long long received = 0, bad_offset = -1;
  for (;;) {
    ssize_t n = read(fd, buf, (size_t)bufsize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fprintf(stderr, "tcp_sink: read after %lld bytes: %s\n", received, strerror(errno));
      return 1;
    }
    if (n == 0) break;
    if (check && bad_offset < 0 && memcmp(buf, ref + received % PATTERN_PERIOD, (size_t)n) != 0) {
      const unsigned char *want = ref + received % PATTERN_PERIOD;
      ssize_t i = 0;
      while (buf[i] == want[i])
        i++;
      bad_offset = received + i;
    }
    if (out >= 0 && write_all(out, buf, (size_t)n) < 0) {
      fprintf(stderr, "tcp_sink: write %s: %s\n", out_file, strerror(errno));
      return 1;
    }
    received += n;
  }
  double elapsed = now_seconds() - start;
  close(fd);
  if (out >= 0 && close(out) < 0) {
    fprintf(stderr, "tcp_sink: close %s: %s\n", out_file, strerror(errno));
    return 1;
  }
  printf("received %lld bytes in %.3f s (%.1f MB/s)\n", received, elapsed,
         elapsed > 0 ? (double)received / elapsed / 1e6 : 0.0);
  int status = 0;
  if (check) {
    if (bad_offset >= 0) {
      printf("pattern MISMATCH at offset %lld\n", bad_offset);
      status = 1;
    } else {
      printf("pattern ok\n");
    }
  }
  if (expect >= 0 && received != expect) {
    printf("expected %lld bytes, got %lld\n", expect, received);
    status = 1;
  }
  free(buf);
  free(ref);
  return status;
}
