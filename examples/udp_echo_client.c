/* udp_echo_client: send datagrams to a UDP echo server and time the echoes.
 *
 *   udp_echo_client HOST PORT [-c COUNT] [-t TIMEOUT_MS] [MESSAGE]
 *
 * A plain BSD-socket program with no mynet headers: it runs unchanged on
 * the kernel's stack and under the mynet shim.  It uses the connected calls
 * (connect, send, recv) and waits with poll(), so under the shim it
 * exercises readiness and timeouts, and an ICMP port unreachable shows up as
 * ECONNREFUSED instead of a silent timeout.
 *
 * Datagram i (from 1) carries "MESSAGE #i", so a late echo of an earlier
 * datagram is recognised and skipped rather than counted for the wrong one.
 * Exits 0 if every echo arrived, 1 if any was lost, 2 on a usage error. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_COUNT 1
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_MESSAGE "hello from udp_echo_client"
#define MAX_DATAGRAM 65507

static void usage(FILE *out)
{
  fprintf(out,
          "usage: udp_echo_client HOST PORT [-c COUNT] [-t TIMEOUT_MS] [MESSAGE]\n"
          "  -c COUNT       datagrams to send, one at a time (default %d)\n"
          "  -t TIMEOUT_MS  how long to wait for each echo (default %d)\n"
          "  MESSAGE        payload; datagram i carries \"MESSAGE #i\" (default \"%s\")\n",
          DEFAULT_COUNT, DEFAULT_TIMEOUT_MS, DEFAULT_MESSAGE);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Resolve HOST and PORT to an IPv4 UDP address and connect a socket to it.
 * Returns the socket, or -1 after printing why. */
static int open_connected(const char *host, const char *port, char *name, size_t namelen)
{
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
  struct addrinfo *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "udp_echo_client: %s port %s: %s\n", host, port,
            rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return -1;
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0) {
    fprintf(stderr, "udp_echo_client: socket: %s\n", strerror(errno));
    freeaddrinfo(res);
    return -1;
  }
  if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
    fprintf(stderr, "udp_echo_client: connect %s port %s: %s\n", host, port, strerror(errno));
    close(fd);
    freeaddrinfo(res);
    return -1;
  }
  char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
  if (getnameinfo(res->ai_addr, res->ai_addrlen, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                  NI_NUMERICHOST | NI_NUMERICSERV) == 0)
    snprintf(name, namelen, "%s:%s", hbuf, sbuf);
  else
    snprintf(name, namelen, "%s:%s", host, port);
  freeaddrinfo(res);
  return fd;
}

/* Wait up to timeout_ms for the echo of payload.  Returns 1 if it arrived,
 * 0 on timeout, -1 on a socket error (already reported). */
static int await_echo(int fd, const char *payload, size_t len, int timeout_ms, double sent_at,
                      long seq)
{
  static char buf[MAX_DATAGRAM + 1];
  double deadline = sent_at + timeout_ms;

  for (;;) {
    double left = deadline - now_ms();
    if (left <= 0)
      return 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, (int)left + 1);
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "udp_echo_client: poll: %s\n", strerror(errno));
      return -1;
    }
    if (ready == 0)
      continue; /* the loop head decides whether time is really up */

    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      if (errno == ECONNREFUSED)
        fprintf(stderr, "udp_echo_client: #%ld: %s (ICMP port unreachable: no server?)\n", seq,
                strerror(errno));
      else
        fprintf(stderr, "udp_echo_client: recv: %s\n", strerror(errno));
      return -1;
    }
    if ((size_t)n == len && memcmp(buf, payload, len) == 0)
      return 1;
    fprintf(stderr, "udp_echo_client: #%ld: ignoring unexpected %zd-byte datagram\n", seq, n);
  }
}

int main(int argc, char **argv)
{
  long count = DEFAULT_COUNT, timeout_ms = DEFAULT_TIMEOUT_MS;
  int opt;

  /* GNU getopt permutes, so options may follow HOST PORT. */
  while ((opt = getopt(argc, argv, "c:t:h")) != -1) {
    switch (opt) {
    case 'c':
      if (parse_long(optarg, 1, 1000000, &count) < 0) {
        fprintf(stderr, "udp_echo_client: bad count '%s' (expected 1-1000000)\n", optarg);
        return 2;
      }
      break;
    case 't':
      if (parse_long(optarg, 1, INT_MAX / 2, &timeout_ms) < 0) {
        fprintf(stderr, "udp_echo_client: bad timeout '%s' (expected milliseconds > 0)\n", optarg);
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
  int nargs = argc - optind;
  if (nargs < 2 || nargs > 3) {
    fprintf(stderr, "udp_echo_client: %s\n",
            nargs < 2 ? "HOST and PORT are required" : "too many arguments (quote the MESSAGE)");
    usage(stderr);
    return 2;
  }
  const char *host = argv[optind], *port = argv[optind + 1];
  const char *message = nargs == 3 ? argv[optind + 2] : DEFAULT_MESSAGE;

  setvbuf(stdout, NULL, _IOLBF, 0);

  char peer[NI_MAXHOST + NI_MAXSERV + 2];
  int fd = open_connected(host, port, peer, sizeof peer);
  if (fd < 0)
    return 1;

  static char payload[MAX_DATAGRAM + 1];
  long received = 0;
  for (long seq = 1; seq <= count; seq++) {
    int len = snprintf(payload, sizeof payload, "%s #%ld", message, seq);
    if (len < 0 || len > MAX_DATAGRAM) {
      fprintf(stderr, "udp_echo_client: message too long (at most %d bytes with its number)\n",
              MAX_DATAGRAM);
      close(fd);
      return 2;
    }
    double sent_at = now_ms();
    if (send(fd, payload, (size_t)len, 0) < 0) {
      fprintf(stderr, "udp_echo_client: send to %s: %s\n", peer, strerror(errno));
      continue;
    }
    int got = await_echo(fd, payload, (size_t)len, (int)timeout_ms, sent_at, seq);
    if (got == 1) {
      received++;
      printf("reply from %s: %d bytes \"%s\" time=%.3f ms\n", peer, len, payload,
             now_ms() - sent_at);
    } else if (got == 0) {
      printf("no reply from %s to #%ld within %ld ms\n", peer, seq, timeout_ms);
    }
  }
  printf("%ld sent, %ld received\n", count, received);
  close(fd);
  return received == count ? 0 : 1;
}
