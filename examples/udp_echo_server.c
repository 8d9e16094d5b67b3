/* udp_echo_server: echo every UDP datagram back to its sender.
 *
 *   udp_echo_server [-p PORT] [-a ADDR] [-n COUNT]
 *
 * A plain BSD-socket program with no mynet headers: it runs unchanged on
 * the kernel's stack and under the mynet shim, which is what makes it a
 * fair comparison and a useful end-to-end probe.  It uses the unconnected
 * calls (bind, recvfrom, sendto); udp_echo_client covers the connected ones.
 *
 * Prints "listening on ADDR:PORT" once bound (tests wait for that line),
 * then one line per datagram.  stdout is line-buffered even into a file so
 * that a test reading the log sees each line as it happens. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 7000
/* Largest UDP payload over IPv4: 65535 - 20 (IPv4) - 8 (UDP). */
#define MAX_DATAGRAM 65507
/* How much of a payload the log line shows. */
#define SHOW_BYTES 64

static void usage(FILE *out)
{
  fprintf(out,
          "usage: udp_echo_server [-p PORT] [-a ADDR] [-n COUNT]\n"
          "  -p PORT   UDP port to bind (default %d; 0 picks one)\n"
          "  -a ADDR   IPv4 address to bind (default 0.0.0.0)\n"
          "  -n COUNT  exit after echoing COUNT datagrams (default: never)\n",
          DEFAULT_PORT);
}

/* Parse a decimal number in [lo, hi]; 0 on success, -1 otherwise. */
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

/* Print a payload as a quoted string, escaping anything unprintable, so a
 * binary datagram cannot garble the log. */
static void print_payload(const unsigned char *p, size_t len)
{
  putchar('"');
  for (size_t i = 0; i < len && i < SHOW_BYTES; i++) {
    if (p[i] == '"' || p[i] == '\\')
      printf("\\%c", p[i]);
    else if (p[i] >= 0x20 && p[i] < 0x7f)
      putchar(p[i]);
    else
      printf("\\x%02x", p[i]);
  }
  putchar('"');
  if (len > SHOW_BYTES)
    printf("...");
}

int main(int argc, char **argv)
{
  long port = DEFAULT_PORT, count = 0;
  const char *addr_str = "0.0.0.0";
  int opt;

  while ((opt = getopt(argc, argv, "p:a:n:h")) != -1) {
    switch (opt) {
    case 'p':
      if (parse_long(optarg, 0, 65535, &port) < 0) {
        fprintf(stderr, "udp_echo_server: bad port '%s' (expected 0-65535)\n", optarg);
        return 2;
      }
      break;
    case 'a':
      addr_str = optarg;
      break;
    case 'n':
      if (parse_long(optarg, 1, LONG_MAX, &count) < 0) {
        fprintf(stderr, "udp_echo_server: bad count '%s' (expected a positive number)\n", optarg);
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
    fprintf(stderr, "udp_echo_server: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }

  setvbuf(stdout, NULL, _IOLBF, 0);

  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr_str, &local.sin_addr) != 1) {
    fprintf(stderr, "udp_echo_server: bad address '%s' (expected dotted IPv4)\n", addr_str);
    return 2;
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    fprintf(stderr, "udp_echo_server: socket: %s\n", strerror(errno));
    return 1;
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    fprintf(stderr, "udp_echo_server: bind %s:%ld: %s\n", addr_str, port, strerror(errno));
    close(fd);
    return 1;
  }
  socklen_t local_len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0) {
    fprintf(stderr, "udp_echo_server: getsockname: %s\n", strerror(errno));
    close(fd);
    return 1;
  }
  char local_name[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &local.sin_addr, local_name, sizeof local_name);
  printf("listening on %s:%u\n", local_name, ntohs(local.sin_port));

  static unsigned char buf[MAX_DATAGRAM];
  long echoed = 0;
  while (count == 0 || echoed < count) {
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof peer;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &peer_len);
    if (n < 0) {
      /* An ICMP error for an earlier reply may surface here on some
       * stacks; it concerns that peer, not this socket, so keep serving. */
      if (errno == EINTR || errno == ECONNREFUSED)
        continue;
      fprintf(stderr, "udp_echo_server: recvfrom: %s\n", strerror(errno));
      close(fd);
      return 1;
    }
    char peer_name[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &peer.sin_addr, peer_name, sizeof peer_name);
    printf("%zd bytes from %s:%u: ", n, peer_name, ntohs(peer.sin_port));
    print_payload(buf, (size_t)n);
    putchar('\n');

    if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len) < 0)
      fprintf(stderr, "udp_echo_server: sendto %s:%u: %s\n", peer_name, ntohs(peer.sin_port),
              strerror(errno));
    echoed++;
  }
  printf("echoed %ld datagrams, exiting\n", echoed);
  close(fd);
  return 0;
}
