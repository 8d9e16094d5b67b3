/* Zero-copy sending into a TCP socket: sendfile of a 10 MB file with and
 * without an offset pointer (the count returned, the offset or the file
 * position afterwards), splice from a pipe into the socket and from the
 * socket into a pipe.  The peer counts and checksums what arrives. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILE_BYTES (10L << 20)

static int make_file(uint64_t *fnv)
{
  char tmpl[] = "/tmp/sockapi_probe.XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0)
    return -1;
  unlink(tmpl);
  static unsigned char buf[65536];
  uint64_t h = FNV_INIT;
  for (long off = 0; off < FILE_BYTES; off += (long)sizeof buf) {
    pattern_fill(buf, (uint64_t)off, sizeof buf);
    h = fnv1a(h, buf, sizeof buf);
    if (write_full(fd, buf, sizeof buf) < 0) {
      close(fd);
      return -1;
    }
  }
  *fnv = h;
  return fd;
}

static uint64_t file_fnv(int fd, off_t from, off_t to)
{
  static unsigned char buf[65536];
  uint64_t h = FNV_INIT;
  while (from < to) {
    size_t k = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
    ssize_t r = pread(fd, buf, k, from);
    if (r <= 0)
      break;
    h = fnv1a(h, buf, (size_t)r);
    from += r;
  }
  return h;
}

/* Start "recvall" at the peer, then the caller sends; peer_result ends
 * the stream and compares the peer's count and checksum with ours. */
static void peer_recvall(void)
{
  line_write(P.ctl, "recvall");
}

static void peer_result(const char *label, int d, long count, uint64_t fnv)
{
  char line[256], want[128];
  shutdown(d, SHUT_WR);
  if (line_read(&P.lb, line, sizeof line) < 0)
    strcpy(line, "control connection lost");
  snprintf(want, sizeof want, "count %ld fnv %016llx", count, (unsigned long long)fnv);
  out("%s.peer %s", label, line);
  out("%s.peer_matches %s", label, strcmp(line, want) == 0 ? "yes" : "no");
  close(d);
  peer_cmd("close");
}

static void sendfile_no_offset(void)
{
  uint64_t fnv;
  int f = make_file(&fnv);
  if (f < 0) {
    out("sendfile file err %s", errname(errno));
    return;
  }
  int d = data_conn("sendfile");
  if (d < 0)
    return;
  lseek(f, 0, SEEK_SET);
  peer_recvall();
  long total = 0;
  ssize_t r = 0;
  while (total < FILE_BYTES) {
    r = sendfile(d, f, NULL, (size_t)(FILE_BYTES - total));
    if (r <= 0)
      break;
    total += r;
  }
  if (r < 0)
    out("sendfile.error %s", errname(errno));
  out("sendfile.total %ld", total);
  out("sendfile.file_position %ld", (long)lseek(f, 0, SEEK_CUR));
  out_val("sendfile.at_eof", sendfile(d, f, NULL, 4096));
  peer_result("sendfile", d, total, file_fnv(f, 0, total));
  close(f);
}

static void sendfile_offset(void)
{
  uint64_t fnv;
  int f = make_file(&fnv);
  if (f < 0)
    return;
  int d = data_conn("sendfile_offset");
  if (d < 0)
    return;
  lseek(f, 12345, SEEK_SET);
  off_t off = 1L << 20;
  peer_recvall();
  long total = 0;
  ssize_t r = 0;
  while (off < FILE_BYTES) {
    r = sendfile(d, f, &off, (size_t)(FILE_BYTES - off));
    if (r <= 0)
      break;
    total += r;
  }
  if (r < 0)
    out("sendfile_offset.error %s", errname(errno));
  out("sendfile_offset.total %ld", total);
  out("sendfile_offset.offset_after %ld", (long)off);
  out("sendfile_offset.file_position_unchanged %ld", (long)lseek(f, 0, SEEK_CUR));
  off_t past = FILE_BYTES + 10;
  out_val("sendfile_offset.past_eof", sendfile(d, f, &past, 4096));
  out("sendfile_offset.past_eof_offset %ld", (long)past);
  out_val("sendfile_offset.count_zero", sendfile(d, f, NULL, 0));
  peer_result("sendfile_offset", d, total, file_fnv(f, 1L << 20, FILE_BYTES));
  close(f);
}

static void sendfile_errors(void)
{
  uint64_t fnv;
  int f = make_file(&fnv);
  if (f < 0)
    return;
  int s = tcp_socket();
  off_t off = 0;
  out_rc("sendfile_errors.unconnected", sendfile(s, f, &off, 100));
  out("sendfile_errors.unconnected_offset %ld", (long)off);
  int d = data_conn("sendfile_errors");
  if (d < 0)
    return;
  int w = open("/dev/null", O_WRONLY);
  out_rc("sendfile_errors.from_socket", sendfile(w, d, NULL, 100));
  int wo = open("/dev/null", O_WRONLY);
  out_rc("sendfile_errors.from_write_only", sendfile(d, wo, NULL, 100));
  off_t neg = -1;
  out_rc("sendfile_errors.negative_offset", sendfile(d, f, &neg, 100));
  /* The connection is still fine: nothing was sent. */
  peer_recvall();
  peer_result("sendfile_errors", d, 0, FNV_INIT);
  close(w);
  close(wo);
  close(s);
  close(f);
}

struct pipe_writer {
  int fd;
  long bytes;
};

static void *pipe_writer_main(void *arg)
{
  struct pipe_writer *pw = arg;
  static unsigned char buf[65536];
  for (long off = 0; off < pw->bytes; off += (long)sizeof buf) {
    pattern_fill(buf, (uint64_t)off, sizeof buf);
    if (write_full(pw->fd, buf, sizeof buf) < 0)
      break;
  }
  close(pw->fd);
  return NULL;
}

static pthread_t start_quiet_thread(void *(*fn)(void *), void *arg)
{
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_t t;
  pthread_create(&t, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return t;
}

static void splice_into_socket(void)
{
  int d = data_conn("splice_in");
  if (d < 0)
    return;
  int p[2];
  if (pipe(p) < 0)
    return;
  struct pipe_writer pw = {p[1], FILE_BYTES};
  pthread_t t = start_quiet_thread(pipe_writer_main, &pw);
  peer_recvall();
  long total = 0;
  ssize_t r;
  while ((r = splice(p[0], NULL, d, NULL, 1 << 16, SPLICE_F_MOVE | SPLICE_F_MORE)) > 0)
    total += r;
  if (r < 0)
    out("splice_in.error %s", errname(errno));
  close(p[0]); /* a writer still blocked gets EPIPE */
  pthread_join(t, NULL);
  out("splice_in.total %ld", total);
  uint64_t h = FNV_INIT;
  static unsigned char buf[65536];
  for (long off = 0; off < total; off += (long)sizeof buf) {
    size_t k = (size_t)(total - off) < sizeof buf ? (size_t)(total - off) : sizeof buf;
    pattern_fill(buf, (uint64_t)off, k);
    h = fnv1a(h, buf, k);
  }
  peer_result("splice_in", d, total, h);
}

static void splice_from_socket(void)
{
  int d = data_conn("splice_out");
  if (d < 0)
    return;
  int p[2];
  if (pipe(p) < 0)
    return;
  const long want = 1L << 20;
  if (line_write(P.ctl, "sendasync %ld", want) < 0)
    return;
  char line[64];
  line_read(&P.lb, line, sizeof line);
  long total = 0;
  uint64_t h = FNV_INIT;
  static unsigned char buf[65536];
  ssize_t r = 0;
  while (total < want) {
    r = splice(d, NULL, p[1], NULL, sizeof buf, SPLICE_F_MOVE);
    if (r <= 0)
      break;
    ssize_t k = read_full(p[0], buf, (size_t)r);
    if (k != r)
      break;
    h = fnv1a(h, buf, (size_t)k);
    total += r;
  }
  if (r < 0)
    out("splice_out.error %s", errname(errno));
  out("splice_out.total %ld", total);
  uint64_t w = FNV_INIT;
  for (long off = 0; off < total; off += (long)sizeof buf) {
    size_t k = (size_t)(total - off) < sizeof buf ? (size_t)(total - off) : sizeof buf;
    pattern_fill(buf, (uint64_t)off, k);
    w = fnv1a(w, buf, k);
  }
  out("splice_out.content_matches %s", w == h ? "yes" : "no");
  close(p[0]);
  close(p[1]);
  close(d);
  peer_cmd("close");
}

const struct scenario sendfile_scenarios[] = {
    {"sendfile", sendfile_no_offset, ON_BOTH, 30},
    {"sendfile_offset", sendfile_offset, ON_BOTH, 30},
    {"sendfile_errors", sendfile_errors, ON_BOTH, 0},
    {"splice_in", splice_into_socket, ON_BOTH, 30},
    {"splice_out", splice_from_socket, ON_BOTH, 30},
    {NULL, NULL, 0, 0},
};
