/* sockapi_probe: the socket API as a program sees it, printed one
 * observation a line, to compare the kernel with the mynet shim.
 *
 *   sockapi_probe serve ADDR PORT
 *       the peer: control connections on ADDR:PORT (probe_server.c)
 *   sockapi_probe run GROUP lo [--from N] [--resume-file F]
 *   sockapi_probe run GROUP tap ADDR PORT [--from N] [--resume-file F]
 *       run a group of scenarios against a peer thread over 127.0.0.1, or
 *       against "serve" at ADDR:PORT over the TAP; scenario N onwards
 *   sockapi_probe fds OUTFILE ADDR PORT
 *       close every descriptor first, then round trips (lo and tap); the
 *       transcript goes to OUTFILE
 *   sockapi_probe list
 *       the groups, one a line
 *
 * A scenario that does not finish within its time prints "NAME TIMEOUT"
 * and ends the process (exit 3); with --resume-file the index of the next
 * scenario is written there, so the caller can go on with --from. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct group groups[] = {
    {"dup", dup_scenarios},         {"states", states_scenarios},     {"epoll", epoll_scenarios},
    {"poll", poll_scenarios},       {"sendfile", sendfile_scenarios}, {"mmsg", mmsg_scenarios},
    {"tcpinfo", tcpinfo_scenarios}, {"signals", signal_scenarios},    {"threads", thread_scenarios},
};

static int usage(void)
{
  fprintf(stderr, "usage: sockapi_probe serve ADDR PORT\n"
                  "       sockapi_probe run GROUP lo|tap [ADDR PORT] [--from N] "
                  "[--resume-file F]\n"
                  "       sockapi_probe fds OUTFILE ADDR PORT\n"
                  "       sockapi_probe list\n");
  return 2;
}

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *a)
{
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)atoi(port));
  return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

static int serve(const char *ip, const char *port)
{
  struct sockaddr_in a;
  if (parse_addr(ip, port, &a) < 0)
    return usage();
  int l = tcp_socket();
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 16) < 0) {
    perror("sockapi_probe serve");
    return 1;
  }
  printf("listening on %s:%s\n", ip, port);
  fflush(stdout);
  serve_forever(l);
  return 0;
}

static int run_group(const struct group *g, bool tap, const struct sockaddr_in *tap_addr, int from,
                     const char *resume)
{
  struct sockaddr_in a;
  if (tap) {
    a = *tap_addr;
  } else {
    int port = serve_loopback_thread();
    if (port < 0) {
      out("%s peer thread err %s", g->name, errname(errno));
      return 1;
    }
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  watchdog_arm("peer", 10, from, resume);
  if (peer_open(&a, tap) < 0)
    return 1;
  int where = tap ? ON_TAP : ON_LO;
  for (int i = from; g->scenarios[i].name; i++) {
    const struct scenario *sc = &g->scenarios[i];
    if (!(sc->where & where))
      continue;
    watchdog_arm(sc->name, sc->timeout_s ? sc->timeout_s : 10, i + 1, resume);
    sc->run();
    watchdog_disarm();
  }
  return 0;
}

int main(int argc, char **argv)
{
  signal(SIGPIPE, SIG_IGN);
  watchdog_install();
  if (argc >= 2 && strcmp(argv[1], "list") == 0) {
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
      printf("%s\n", groups[i].name);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "serve") == 0)
    return serve(argv[2], argv[3]);
  if (argc == 5 && strcmp(argv[1], "fds") == 0) {
    struct sockaddr_in a;
    if (parse_addr(argv[3], argv[4], &a) < 0)
      return usage();
    return fds_mode(argv[2], &a);
  }
  if (argc < 4 || strcmp(argv[1], "run") != 0)
    return usage();
  const struct group *g = NULL;
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
    if (strcmp(groups[i].name, argv[2]) == 0)
      g = &groups[i];
  if (!g)
    return usage();
  bool tap = strcmp(argv[3], "tap") == 0;
  if (!tap && strcmp(argv[3], "lo") != 0)
    return usage();
  struct sockaddr_in a;
  int i = 4;
  if (tap) {
    if (argc < 6 || parse_addr(argv[4], argv[5], &a) < 0)
      return usage();
    i = 6;
  }
  int from = 0;
  const char *resume = NULL;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
      from = atoi(argv[++i]);
    else if (strcmp(argv[i], "--resume-file") == 0 && i + 1 < argc)
      resume = argv[++i];
    else
      return usage();
  }
  return run_group(g, tap, &a, from, resume);
}
