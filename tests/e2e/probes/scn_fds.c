/* The fds mode: a program that closes every descriptor it may have
 * inherited (a close() loop over 0-1023, then close_range(3, ~0U, 0)), as
 * daemons do, then opens sockets and makes round trips over 127.0.0.1 and
 * the TAP; then puts /dev/null on 0, 1 and 2 and does it again.  Numbers
 * are printed here: after the loop the kernel hands out the lowest free
 * numbers, 0 first.  A preloaded socket library's own descriptors must
 * survive all this and never take 0-2.  The transcript goes to a file
 * (standard output is closed by then). */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void rc_line(const char *label, const char *what, long rc)
{
  char l[128];
  snprintf(l, sizeof l, "%s.%s", label, what);
  out_rc(l, rc);
}

static void round_trip_lo(const char *label)
{
  char buf[8];
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  watchdog_arm(label, 10, -1, NULL);
  int l = tcp_socket();
  out("%s.lo.listener_fd %d", label, l);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr *)&a, &len) < 0) {
    out("%s.lo.listen err %s", label, errname(errno));
    return;
  }
  int c = tcp_socket();
  out("%s.lo.client_fd %d", label, c);
  rc_line(label, "lo.connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int s = accept(l, NULL, NULL);
  out("%s.lo.accepted_fd %d", label, s);
  rc_line(label, "lo.send", send(c, "ping", 4, 0));
  ssize_t n = read_full(s, buf, 4);
  out("%s.lo.server_got %.*s", label, n > 0 ? (int)n : 0, buf);
  rc_line(label, "lo.reply", send(s, "pong", 4, 0));
  n = read_full(c, buf, 4);
  out("%s.lo.client_got %.*s", label, n > 0 ? (int)n : 0, buf);
  rc_line(label, "lo.close_client", close(c));
  rc_line(label, "lo.close_accepted", close(s));
  rc_line(label, "lo.close_listener", close(l));
  watchdog_disarm();
}

static void round_trip_tap(const char *label, const struct sockaddr_in *tap)
{
  char buf[8], l[96];
  watchdog_arm(label, 10, -1, NULL);
  if (peer_open(tap, true) < 0)
    return;
  out("%s.tap.control_fd %d", label, P.ctl);
  snprintf(l, sizeof l, "%s.tap", label);
  int d = data_conn(l);
  out("%s.tap.data_fd %d", label, d);
  if (d >= 0) {
    rc_line(label, "tap.send", send(d, "ping", 4, 0));
    snprintf(l, sizeof l, "%s.tap.peer", label);
    peer_show(l, "echo 4");
    ssize_t n = read_full(d, buf, 4);
    out("%s.tap.echo %.*s", label, n > 0 ? (int)n : 0, buf);
    rc_line(label, "tap.close_data", close(d));
    snprintf(l, sizeof l, "%s.tap.peer_after_close", label);
    peer_show(l, "waiteof 3000");
  }
  rc_line(label, "tap.close_control", close(P.ctl));
  watchdog_disarm();
}

int fds_mode(const char *outfile, const struct sockaddr_in *tap)
{
  /* Lines are kept until the end: the descriptor they would go to is
   * about to be closed. */
  out_to_memory(outfile);
  watchdog_arm("fds.close", 10, -1, NULL);
  for (int fd = 0; fd < 1024; fd++)
    close(fd);
  out("fds.close_loop done");
  out_rc("fds.close_range", close_range(3, ~0U, 0));
  watchdog_disarm();
  round_trip_lo("fds.first");
  round_trip_tap("fds.first", tap);
  int n = open("/dev/null", O_RDWR);
  out("fds.devnull_fd %d", n);
  for (int fd = 0; fd <= 2; fd++) {
    char l[32];
    snprintf(l, sizeof l, "fds.dup2_devnull_%d", fd);
    out_val(l, dup2(n, fd));
  }
  if (n > 2)
    close(n);
  round_trip_lo("fds.second");
  round_trip_tap("fds.second", tap);
  out("fds.done");
  out_flush_memory();
  return 0;
}
