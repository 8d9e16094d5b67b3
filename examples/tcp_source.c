/* tcp_source: connect to a TCP server, send bytes, close, exit.
 *
 *   tcp_source HOST PORT [-n BYTES | -f FILE] [-b BUFSIZE]
 *
 * A plain BSD-socket program with no mynet headers: it runs unchanged on
 * the kernel's stack and under the mynet shim, so the same binary measures
 * both (tools/mynet-bench) and sends files in the end-to-end tests.
 *
 * Without -f it sends BYTES of a fixed pattern, byte i of the stream being
 * i mod 251 (a prime, so the pattern never lines up with segment or buffer
 * sizes and a misplaced segment shows); tcp_sink -c checks it.  With -f it
 * sends the file's contents.  Then it closes the socket and returns from
 * main at once: like any program, it relies on the stack to deliver what
 * close() left queued (the kernel does; under the shim the library keeps
 * the stack running at exit, for at most MYNET_LINGER).
 *
 * Prints "sent N bytes in T s" when close() has returned; that time says
 * how fast the socket took the data, not when it arrived (the sink's time
 * does).  Exits 0 on success, 1 on a network or file error, 2 on a usage
 * error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BUFSIZE (128 * 1024)
#define DEFAULT_BYTES (1024L * 1024)
#define PATTERN_PERIOD 251

static void usage(FILE *out)
{
  fprintf(out,
          "usage: tcp_source HOST PORT [-n BYTES | -f FILE] [-b BUFSIZE]\n"
          "  HOST       dotted IPv4 address of the server\n"
          "  -n BYTES   send BYTES of the pattern i mod 251 (default %ld); suffixes K, M, G\n"
          "             are powers of 1024, as in head -c\n"
          "  -f FILE    send FILE's contents instead\n"
          "  -b BUFSIZE bytes per write() (default %d)\n",
          DEFAULT_BYTES, DEFAULT_BUFSIZE);
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

/* Write all of buf, resuming after signals and short writes; 0 or -1. */
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
  long long bytes = DEFAULT_BYTES, bufsize = DEFAULT_BUFSIZE;
  const char *file = NULL;
  int opt;

  while ((opt = getopt(argc, argv, "n:f:b:h")) != -1) {
    switch (opt) {
    case 'n':
      if (parse_size(optarg, 0, &bytes) < 0) {
        fprintf(stderr, "tcp_source: bad byte count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'f':
      file = optarg;
      break;
    case 'b':
      if (parse_size(optarg, 1, &bufsize) < 0 || bufsize > (1LL << 30)) {
        fprintf(stderr, "tcp_source: bad buffer size '%s' (1 to 1G)\n", optarg);
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
  if (argc - optind != 2) {
    usage(stderr);
    return 2;
  }
  const char *host = argv[optind];
  char *end;
  long port = strtol(argv[optind + 1], &end, 10);
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (*end != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "tcp_source: bad port '%s' (expected 1-65535)\n", argv[optind + 1]);
    return 2;
  }
  if (inet_pton(AF_INET, host, &peer.sin_addr) != 1) {
    fprintf(stderr, "tcp_source: bad address '%s' (expected dotted IPv4)\n", host);
    return 2;
  }

  int in = -1;
  if (file) {
    in = open(file, O_RDONLY);
    if (in < 0) {
      fprintf(stderr, "tcp_source: %s: %s\n", file, strerror(errno));
      return 1;
    }
  }
  /* Pattern mode writes straight out of this buffer at offset (i mod 251),
   * so it is one period longer than a write. */
  unsigned char *buf = malloc((size_t)bufsize + PATTERN_PERIOD);
  if (!buf) {
    fprintf(stderr, "tcp_source: out of memory for a %lld-byte buffer\n", bufsize);
    return 1;
  }
  for (long long i = 0; i < bufsize + PATTERN_PERIOD; i++)
    buf[i] = (unsigned char)(i % PATTERN_PERIOD);

  /* A sink that goes away should be an error message, not a silent death. */
  signal(SIGPIPE, SIG_IGN);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    fprintf(stderr, "tcp_source: socket: %s\n", strerror(errno));
    return 1;
  }
  if (connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0) {
    fprintf(stderr, "tcp_source: connect %s:%ld: %s\n", host, port, strerror(errno));
    return 1;
  }

  double start = now_seconds();
  long long sent = 0;
  if (file) {
    for (;;) {
      ssize_t n = read(in, buf, (size_t)bufsize);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fprintf(stderr, "tcp_source: read %s: %s\n", file, strerror(errno));
        return 1;
      }
      if (n == 0) break;
      if (write_all(fd, buf, (size_t)n) < 0) {
        fprintf(stderr, "tcp_source: write after %lld bytes: %s\n", sent, strerror(errno));
        return 1;
      }
      sent += n;
    }
    close(in);
  } else {
    while (sent < bytes) {
      long long chunk = bytes - sent < bufsize ? bytes - sent : bufsize;
      if (write_all(fd, buf + sent % PATTERN_PERIOD, (size_t)chunk) < 0) {
        fprintf(stderr, "tcp_source: write after %lld bytes: %s\n", sent, strerror(errno));
        return 1;
      }
      sent += chunk;
    }
  }
  if (close(fd) < 0) {
    fprintf(stderr, "tcp_source: close: %s\n", strerror(errno));
    return 1;
  }
  double elapsed = now_seconds() - start;
  printf("sent %lld bytes in %.3f s\n", sent, elapsed);
  free(buf);
  return 0;
}
