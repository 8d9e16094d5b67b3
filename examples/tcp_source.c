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
#include "example_util.h"
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

struct source {
  struct sockaddr_in peer;
  const char *file;
  long long bytes, bufsize;
  unsigned char *buf; /* a write, plus one period of the pattern */
};

/* Send the file or the pattern to fd; the byte count, or -1 on error. */
static long long send_all(const struct source *s, int fd)
{
  long long sent = 0;
  if (!s->file) {
    while (sent < s->bytes) {
      long long chunk = s->bytes - sent < s->bufsize ? s->bytes - sent : s->bufsize;
      if (write_all(fd, s->buf + sent % PATTERN_PERIOD, (size_t)chunk) < 0) {
        fprintf(stderr, "tcp_source: write after %lld bytes: %s\n", sent, strerror(errno));
        return -1;
      }
      sent += chunk;
    }
    return sent;
  }
  int in = open(s->file, O_RDONLY);
  if (in < 0) {
    fprintf(stderr, "tcp_source: %s: %s\n", s->file, strerror(errno));
    return -1;
  }
  for (;;) {
    ssize_t n = read(in, s->buf, (size_t)s->bufsize);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "tcp_source: read %s: %s\n", s->file, strerror(errno));
      sent = -1;
      break;
    }
    if (n == 0)
      break;
    if (write_all(fd, s->buf, (size_t)n) < 0) {
      fprintf(stderr, "tcp_source: write after %lld bytes: %s\n", sent, strerror(errno));
      sent = -1;
      break;
    }
    sent += n;
  }
  close(in);
  return sent;
}

/* Connect, send, close; the exit status. */
static int run(const struct source *s)
{
  char name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &s->peer.sin_addr, name, sizeof name);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    fprintf(stderr, "tcp_source: socket: %s\n", strerror(errno));
    return 1;
  }
  if (connect(fd, (const struct sockaddr *)&s->peer, sizeof s->peer) < 0) {
    fprintf(stderr, "tcp_source: connect %s:%u: %s\n", name, ntohs(s->peer.sin_port),
            strerror(errno));
    close(fd);
    return 1;
  }
  double start = now_seconds();
  long long sent = send_all(s, fd);
  if (sent < 0) {
    close(fd);
    return 1;
  }
  if (close(fd) < 0) {
    fprintf(stderr, "tcp_source: close: %s\n", strerror(errno));
    return 1;
  }
  printf("sent %lld bytes in %.3f s\n", sent, now_seconds() - start);
  return 0;
}

int main(int argc, char **argv)
{
  struct source s = {.bytes = DEFAULT_BYTES, .bufsize = DEFAULT_BUFSIZE};
  int opt;

  while ((opt = getopt(argc, argv, "n:f:b:h")) != -1) {
    switch (opt) {
    case 'n':
      if (parse_size(optarg, 0, &s.bytes) < 0) {
        fprintf(stderr, "tcp_source: bad byte count '%s'\n", optarg);
        return 2;
      }
      break;
    case 'f':
      s.file = optarg;
      break;
    case 'b':
      if (parse_size(optarg, 1, &s.bufsize) < 0 || s.bufsize > (1LL << 30)) {
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
  const char *host = argv[optind], *port_str = argv[optind + 1];
  char *end;
  long port = strtol(port_str, &end, 10);
  if (*end != '\0' || end == port_str || port < 1 || port > 65535) {
    fprintf(stderr, "tcp_source: bad port '%s' (expected 1-65535)\n", port_str);
    return 2;
  }
  s.peer = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &s.peer.sin_addr) != 1) {
    fprintf(stderr, "tcp_source: bad address '%s' (expected dotted IPv4)\n", host);
    return 2;
  }
  /* A sink that goes away should be an error message, not a silent death. */
  signal(SIGPIPE, SIG_IGN);

  /* Pattern mode writes straight out of this buffer at offset (i mod 251). */
  s.buf = malloc((size_t)s.bufsize + PATTERN_PERIOD);
  if (!s.buf) {
    fprintf(stderr, "tcp_source: out of memory for a %lld-byte buffer\n", s.bufsize);
    return 1;
  }
  for (long long i = 0; i < s.bufsize + PATTERN_PERIOD; i++)
    s.buf[i] = (unsigned char)(i % PATTERN_PERIOD);
  int status = run(&s);
  free(s.buf);
  return status;
}
