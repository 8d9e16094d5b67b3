/* Duplicated descriptors: a copy is the same socket (data written on it
 * arrives, flags are shared), closing one copy keeps the connection open
 * and closing the last one closes it (the peer sees end of stream only
 * then); dup2 over a socket drops that reference; the error cases. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The peer waits briefly when nothing should come (a FIN would be sent at
 * once), and up to 3 s when end of stream should come. */
#define QUIET_MS 300
#define EOF_MS 3000

static void say(const char *label, int fd, const char *text)
{
  char l[128];
  snprintf(l, sizeof l, "%s.write", label);
  ssize_t n = write(fd, text, strlen(text));
  out_val(l, n);
  snprintf(l, sizeof l, "%s.peer_read", label);
  peer_show(l, "read %zu", strlen(text));
}

static void peer_eof(const char *label, int ms)
{
  peer_show(label, "waiteof %d", ms);
}

static int devnull(void)
{
  return open("/dev/null", O_RDWR);
}

static bool same_socket_name(int a, int b)
{
  struct sockaddr_storage x, y;
  socklen_t lx = sizeof x, ly = sizeof y;
  memset(&x, 0, sizeof x);
  memset(&y, 0, sizeof y);
  if (getsockname(a, (struct sockaddr *)&x, &lx) < 0 ||
      getsockname(b, (struct sockaddr *)&y, &ly) < 0)
    return false;
  return lx == ly && memcmp(&x, &y, lx) == 0;
}

static void dup_basic(void)
{
  int d = data_conn("dup");
  if (d < 0)
    return;
  int e = dup(d);
  out_rc("dup.dup", e);
  out("dup.distinct_number %d", e != d);
  out("dup.same_sockname %d", same_socket_name(d, e));
  say("dup.via_copy", e, "via-copy");
  set_nonblock(d, true);
  out("dup.nonblock_shared %d", (fcntl(e, F_GETFL) & O_NONBLOCK) != 0);
  set_nonblock(d, false);
  out("dup.nonblock_cleared %d", (fcntl(e, F_GETFL) & O_NONBLOCK) != 0);
  out_val("dup.copy_cloexec", fcntl(e, F_GETFD));
  out_val("dup.close_original", close(d));
  peer_eof("dup.peer_after_first_close", QUIET_MS);
  say("dup.after_close", e, "still");
  out_val("dup.close_copy", close(e));
  peer_eof("dup.peer_after_last_close", EOF_MS);
  peer_cmd("close");
}

static void dup2_basic(void)
{
  int d = data_conn("dup2");
  if (d < 0)
    return;
  int target = devnull();
  int r = dup2(d, target);
  out_rc("dup2.dup2", r);
  out("dup2.returns_target %d", r == target);
  out("dup2.same_sockname %d", same_socket_name(d, target));
  say("dup2.via_copy", target, "dup2-copy");
  out_val("dup2.close_original", close(d));
  peer_eof("dup2.peer_after_first_close", QUIET_MS);
  out_val("dup2.close_copy", close(target));
  peer_eof("dup2.peer_after_last_close", EOF_MS);
  peer_cmd("close");
}

static void dup3_cloexec(void)
{
  int d = data_conn("dup3");
  if (d < 0)
    return;
  int target = devnull();
  int r = dup3(d, target, O_CLOEXEC);
  out_rc("dup3.dup3", r);
  out("dup3.returns_target %d", r == target);
  out_val("dup3.copy_fd_flags", fcntl(target, F_GETFD));
  out_val("dup3.original_fd_flags", fcntl(d, F_GETFD));
  say("dup3.via_copy", target, "dup3-copy");
  out_val("dup3.close_copy", close(target));
  peer_eof("dup3.peer_after_first_close", QUIET_MS);
  say("dup3.via_original", d, "original");
  out_val("dup3.close_original", close(d));
  peer_eof("dup3.peer_after_last_close", EOF_MS);
  peer_cmd("close");
}

static void fcntl_dupfd(void)
{
  int d = data_conn("dupfd");
  if (d < 0)
    return;
  int a = fcntl(d, F_DUPFD, 100);
  out_rc("dupfd.f_dupfd", a);
  out("dupfd.f_dupfd_at_least_100 %d", a >= 100);
  out_val("dupfd.f_dupfd_fd_flags", fcntl(a, F_GETFD));
  int b = fcntl(d, F_DUPFD_CLOEXEC, 100);
  out_rc("dupfd.f_dupfd_cloexec", b);
  out("dupfd.f_dupfd_cloexec_at_least_100 %d", b >= 100 && b != a);
  out_val("dupfd.f_dupfd_cloexec_fd_flags", fcntl(b, F_GETFD));
  say("dupfd.via_dupfd_cloexec", b, "cloexec-copy");
  out_val("dupfd.close_original", close(d));
  out_val("dupfd.close_first_copy", close(a));
  peer_eof("dupfd.peer_after_two_closes", QUIET_MS);
  out_val("dupfd.close_last_copy", close(b));
  peer_eof("dupfd.peer_after_last_close", EOF_MS);
  peer_cmd("close");
}

static void dup2_over_socket(void)
{
  /* The only reference replaced: the connection closes. */
  int d = data_conn("dup2_over");
  if (d < 0)
    return;
  int n = devnull();
  out("dup2_over.only_ref_returns_fd %d", dup2(n, d) == d);
  out_val("dup2_over.write_goes_to_devnull", write(d, "xyz", 3));
  out_val("dup2_over.send_on_devnull", send(d, "xyz", 3, 0));
  peer_eof("dup2_over.peer_after_only_ref_replaced", EOF_MS);
  peer_cmd("close");
  close(d);
  /* One of two references replaced: still open through the other. */
  d = data_conn("dup2_over");
  if (d < 0)
    return;
  int e = dup(d);
  out("dup2_over.one_of_two_returns_fd %d", dup2(n, d) == d);
  peer_eof("dup2_over.peer_after_one_of_two_replaced", QUIET_MS);
  say("dup2_over.via_other", e, "other");
  out("dup2_over.last_returns_fd %d", dup2(n, e) == e);
  peer_eof("dup2_over.peer_after_last_replaced", EOF_MS);
  peer_cmd("close");
  close(d);
  close(e);
  close(n);
}

static void dup_self_and_errors(void)
{
  int d = data_conn("dup_errors");
  if (d < 0)
    return;
  out("dup_errors.dup2_self_returns_fd %d", dup2(d, d) == d);
  say("dup_errors.after_dup2_self", d, "self");
  int target = devnull();
  out_rc("dup_errors.dup3_same_fd", dup3(d, d, 0));
  out_rc("dup_errors.dup3_bad_flags", dup3(d, target, 0x4000));
  out_rc("dup_errors.dup3_cloexec_same_fd", dup3(d, d, O_CLOEXEC));
  int unused = devnull();
  close(unused);
  out_rc("dup_errors.dup_minus_one", dup(-1));
  out_rc("dup_errors.dup_unused", dup(unused));
  out_rc("dup_errors.dup2_unused_old", dup2(unused, target));
  out_rc("dup_errors.dup2_self_unused", dup2(unused, unused));
  out_rc("dup_errors.dup2_negative_new", dup2(d, -1));
  out_rc("dup_errors.dup2_new_beyond_limit", dup2(d, 1 << 30));
  out_rc("dup_errors.dup3_negative_new", dup3(d, -1, 0));
  out_rc("dup_errors.f_dupfd_unused", fcntl(unused, F_DUPFD, 0));
  out_rc("dup_errors.f_dupfd_negative_min", fcntl(d, F_DUPFD, -1));
  out_rc("dup_errors.f_dupfd_min_beyond_limit", fcntl(d, F_DUPFD, 1 << 30));
  /* The socket still works after all the failed calls. */
  say("dup_errors.after_errors", d, "alive");
  out_val("dup_errors.close", close(d));
  out_rc("dup_errors.close_again", close(d));
  out_rc("dup_errors.send_closed", send(d, "x", 1, 0));
  out_rc("dup_errors.dup_closed", dup(d));
  out_rc("dup_errors.dup2_closed_self", dup2(d, d));
  out_rc("dup_errors.f_getfd_closed", fcntl(d, F_GETFD));
  peer_eof("dup_errors.peer_after_close", EOF_MS);
  peer_cmd("close");
  close(target);
}

static void close_range_socket(void)
{
  int d = data_conn("close_range");
  if (d < 0)
    return;
  int e = fcntl(d, F_DUPFD, 200);
  out_rc("close_range.f_dupfd", e);
  out_rc("close_range.close_copy", close_range((unsigned)e, (unsigned)e, 0));
  out_rc("close_range.f_getfd_closed_copy", fcntl(e, F_GETFD));
  peer_eof("close_range.peer_after_copy_closed", QUIET_MS);
  out_rc("close_range.first_after_last", close_range(5, 4, 0));
  out_rc("close_range.bad_flags", close_range(0, ~0U, 0x100));
  out_rc("close_range.cloexec", close_range((unsigned)d, (unsigned)d, CLOSE_RANGE_CLOEXEC));
  out_val("close_range.fd_flags_after_cloexec", fcntl(d, F_GETFD));
  peer_eof("close_range.peer_after_cloexec", QUIET_MS);
  say("close_range.still_works", d, "range");
  out_rc("close_range.close_socket", close_range((unsigned)d, (unsigned)d, 0));
  out_rc("close_range.f_getfd_closed", fcntl(d, F_GETFD));
  peer_eof("close_range.peer_after_close", EOF_MS);
  peer_cmd("close");
}

static void closefrom_socket(void)
{
  int d = data_conn("closefrom");
  if (d < 0)
    return;
  int e = fcntl(d, F_DUPFD, 300);
  out_rc("closefrom.f_dupfd", e);
  out_val("closefrom.close_original", close(d));
  peer_eof("closefrom.peer_after_original_closed", QUIET_MS);
  closefrom(e);
  out_rc("closefrom.f_getfd_after", fcntl(e, F_GETFD));
  peer_eof("closefrom.peer_after_closefrom", EOF_MS);
  peer_cmd("close");
}

const struct scenario dup_scenarios[] = {
    {"dup", dup_basic, ON_BOTH, 0},
    {"dup2", dup2_basic, ON_BOTH, 0},
    {"dup3", dup3_cloexec, ON_BOTH, 0},
    {"dupfd", fcntl_dupfd, ON_BOTH, 0},
    {"dup2_over", dup2_over_socket, ON_BOTH, 0},
    {"dup_errors", dup_self_and_errors, ON_BOTH, 0},
    {"close_range", close_range_socket, ON_BOTH, 0},
    {"closefrom", closefrom_socket, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
