/* The preload library's descriptors, epoll, bulk calls, signals and
 * threads, seen from a program over the stack's loopback (the test
 * re-executes itself with libmynet.so preloaded, see helpers/preload.h):
 * what Linux gives the same calls over 127.0.0.1. */
#include "helpers/lo.h"
#include "helpers/preload.h"
#include "helpers/run.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* More static thread-local storage than the library's driver thread asks
 * of a stack: glibc takes it out of every thread's stack. */
__thread char mn_test_big_tls[512 * 1024];

/* Waits (bounded) for fd to have one of events. */
static short wait_events(int fd, short events)
{
  struct pollfd p = {.fd = fd, .events = events};
  ck_assert_int_eq(poll(&p, 1, 5000), 1);
  return p.revents;
}

/* --- descriptors -------------------------------------------------------- */

START_TEST(test_a_dup_is_the_same_socket_and_the_last_close_ends_the_stream)
{
  int c, s;
  tcp_pair(9401, &c, &s);
  int d = dup(c);
  ck_assert(d >= 0 && d != c && is_stack_socket(d));
  ck_assert_int_eq(write(d, "via-dup", 7), 7);
  char buf[16];
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 7);
  ck_assert_int_eq(close(c), 0);
  /* the copy still holds the connection open: no end of stream yet */
  ck_assert_int_eq(recv(s, buf, sizeof buf, MSG_DONTWAIT), -1);
  ck_assert_int_eq(errno, EAGAIN);
  ck_assert_int_eq(send(d, "x", 1, 0), 1);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 1);
  ck_assert_int_eq(close(d), 0);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 0);
  close(s);
}
END_TEST

START_TEST(test_dup2_dup3_and_f_dupfd_copy_sockets_and_dup2_over_one_drops_it)
{
  int c, s;
  tcp_pair(9402, &c, &s);
  int hi = fcntl(c, F_DUPFD_CLOEXEC, 200);
  ck_assert_int_ge(hi, 200);
  ck_assert_int_eq(fcntl(hi, F_GETFD), FD_CLOEXEC);
  ck_assert_int_eq(dup3(c, 201, O_CLOEXEC), 201);
  ck_assert_int_eq(fcntl(201, F_GETFD), FD_CLOEXEC);
  errno = 0;
  ck_assert_int_eq(dup3(c, c, 0), -1);
  ck_assert_int_eq(errno, EINVAL);
  ck_assert_int_eq(dup2(c, c), c);
  /* non-blocking is the open file's: all copies see it */
  ck_assert_int_eq(fcntl(hi, F_SETFL, O_NONBLOCK), 0);
  ck_assert_int_eq(fcntl(201, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  char buf[8];
  ck_assert_int_eq(recv(c, buf, 1, 0), -1);
  ck_assert_int_eq(errno, EAGAIN);
  /* a pipe dup2()ed over three of the four numbers, then the last closed */
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  ck_assert_int_eq(dup2(p[0], c), c);
  ck_assert(!is_stack_socket(c));
  ck_assert_int_eq(dup2(p[0], hi), hi);
  ck_assert_int_eq(recv(s, buf, sizeof buf, MSG_DONTWAIT), -1); /* 201 still holds it */
  ck_assert_int_eq(errno, EAGAIN);
  ck_assert_int_eq(close_range(201, 201, 0), 0);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 0);
  close(c);
  close(hi);
  close(p[0]);
  close(p[1]);
  close(s);
}
END_TEST

static int find_kind(const char *kind)
{
  DIR *d = opendir("/proc/self/fd");
  int found = -1;
  for (struct dirent *e; found < 0 && (e = readdir(d)) != NULL;) {
    char path[300], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n < 0 ? 0 : n] = '\0';
    if (e->d_name[0] != '.' && strcmp(link, kind) == 0)
      found = atoi(e->d_name);
  }
  closedir(d);
  return found;
}

/* A round trip over a fresh loopback pair; false if anything failed.
 * For the child below, which cannot use Check (its files are closed). */
static bool round_trip(int port)
{
  int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in a = lo_addr(port);
  bool ok = bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
            connect(c, (struct sockaddr *)&a, sizeof a) == 0;
  int s = ok ? accept(l, NULL, NULL) : -1;
  char buf[4];
  ok = ok && s >= 0 && send(c, "ok", 2, 0) == 2 && recv(s, buf, sizeof buf, 0) == 2;
  close(l);
  close(c);
  close(s);
  return ok;
}

/* A program that closes every descriptor it does not know about, then
 * puts /dev/null on 0-2: the library's own (here the stack's memfd) survive,
 * stay invisible, and never take 0-2.  Exit status: the step that failed. */
static int closefds_child(void)
{
  if (!round_trip(9403))
    return 10;
  int own = find_kind("/memfd:mynet-stack (deleted)");
  if (own <= 2)
    return 11;
  for (int fd = 0; fd < 1024; fd++)
    close(fd);
  if (close_range(3, ~0U, 0) != 0)
    return 12;
  if (fcntl(own, F_GETFD) < 0)
    return 13;
  if (dup(own) != -1 || errno != EBADF)
    return 14;
  int s = socket(AF_INET, SOCK_STREAM, 0); /* the lowest free number, as on the kernel */
  if (s != 0)
    return 15;
  close(s);
  if (!round_trip(9404))
    return 16;
  int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(null, fd) != fd)
      return 17;
  if (!round_trip(9405))
    return 18;
  return 0;
}

START_TEST(test_the_librarys_descriptors_survive_close_range_dup2_and_closed_stdio)
{
  pid_t pid;
  char *argv[] = {"test_shim_fds", "closefds", NULL};
  ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ), 0);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}
END_TEST

/* --- epoll -------------------------------------------------------------- */

static int epoll_one(int ep, struct epoll_event *ev, int timeout)
{
  return epoll_wait(ep, ev, 1, timeout);
}

START_TEST(test_epoll_level_triggered_follows_the_socket_state)
{
  int c, s;
  tcp_pair(9411, &c, &s);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u64 = 42};
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), -1);
  ck_assert_int_eq(errno, EEXIST);
  struct epoll_event got;
  ck_assert_int_eq(epoll_one(ep, &got, 0), 1);
  ck_assert_uint_eq(got.events, EPOLLOUT);
  ck_assert_uint_eq(got.data.u64, 42);
  ck_assert_int_eq(send(c, "abc", 3, 0), 3);
  ck_assert_int_eq(epoll_one(ep, &got, 5000), 1);
  ck_assert_uint_eq(got.events, EPOLLIN | EPOLLOUT);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 1); /* level: still there */
  char buf[8];
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 3);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 1);
  ck_assert_uint_eq(got.events, EPOLLOUT);
  ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
  for (int i = 0; i < 50 && !(got.events & EPOLLRDHUP); i++)
    ck_assert_int_eq(epoll_one(ep, &got, 100), 1);
  ck_assert_uint_eq(got.events, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL), 0);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL), -1);
  ck_assert_int_eq(errno, ENOENT);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 0);
  close(ep);
  close(c);
  close(s);
}
END_TEST

START_TEST(test_epoll_edge_triggered_fires_for_each_arrival_and_oneshot_once)
{
  int c, s;
  tcp_pair(9412, &c, &s);
  int ep = epoll_create(1);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = s};
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  struct epoll_event got;
  ck_assert_int_eq(epoll_one(ep, &got, 0), 0);
  ck_assert_int_eq(send(c, "a", 1, 0), 1);
  ck_assert_int_eq(epoll_one(ep, &got, 5000), 1);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 0); /* no new edge */
  /* more data, the first byte not read: a new edge all the same */
  ck_assert_int_eq(send(c, "b", 1, 0), 1);
  ck_assert_int_eq(epoll_one(ep, &got, 5000), 1);
  ck_assert_uint_eq(got.events, EPOLLIN);
  /* one-shot: once, then silent until re-armed */
  ev.events = EPOLLIN | EPOLLONESHOT;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), 0);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 1);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 0);
  ck_assert_int_eq(send(c, "c", 1, 0), 1);
  ck_assert_int_eq(epoll_one(ep, &got, 200), 0);
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), 0);
  ck_assert_int_eq(epoll_one(ep, &got, 0), 1);
  close(ep);
  close(c);
  close(s);
}
END_TEST

START_TEST(test_epoll_mixes_stack_sockets_with_kernel_fds_and_nests)
{
  int c, s;
  tcp_pair(9413, &c, &s);
  int efd = eventfd(0, EFD_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  ev.data.u32 = 2;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
  /* the instance is readable to poll() and to an outer epoll */
  int outer = epoll_create1(0);
  ev.data.u32 = 3;
  ck_assert_int_eq(epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev), 0);
  struct pollfd p = {.fd = ep, .events = POLLIN};
  ck_assert_int_eq(poll(&p, 1, 0), 0);
  ck_assert_int_eq(send(c, "x", 1, 0), 1);
  ck_assert_int_eq(poll(&p, 1, 5000), 1);
  struct epoll_event got[4];
  ck_assert_int_eq(epoll_wait(outer, got, 4, 5000), 1);
  ck_assert_uint_eq(got[0].data.u32, 3);
  uint64_t one = 1;
  ck_assert_int_eq(write(efd, &one, sizeof one), 8);
  int n = epoll_wait(ep, got, 4, 5000);
  ck_assert_int_eq(n, 2);
  ck_assert_uint_eq(got[0].data.u32 + got[1].data.u32, 3);
  /* a blocked wait wakes for a stack socket alone */
  char buf[4];
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 1);
  ck_assert_int_eq(read(efd, &one, sizeof one), 8);
  ck_assert_int_eq(epoll_wait(ep, got, 4, 0), 0);
  /* closing the socket takes it out of the set */
  close(s);
  ck_assert_int_eq(write(c, "y", 1), 1);
  ck_assert_int_eq(epoll_wait(ep, got, 4, 100), 0);
  close(outer);
  close(ep);
  close(efd);
  close(c);
}
END_TEST

START_TEST(test_epoll_ctl_checks_as_the_kernel_does)
{
  int c, s;
  tcp_pair(9414, &c, &s);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), 0);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), -1);
  ck_assert_int_eq(errno, EINVAL);
  ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev), -1);
  ck_assert_int_eq(errno, EINVAL);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(s, EPOLL_CTL_ADD, c, &ev), -1); /* not an epoll */
  ck_assert_int_eq(errno, EINVAL);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev), -1);
  ck_assert_int_eq(errno, EINVAL);
  ev.events = EPOLLIN;
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev), -1);
  ck_assert_int_eq(errno, ENOENT);
  errno = 0;
  ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, c, NULL), -1);
  ck_assert_int_eq(errno, EFAULT);
  close(ep);
  close(c);
  close(s);
}
END_TEST

/* --- bulk calls --------------------------------------------------------- */

struct sink {
  int fd;
  size_t bytes;
  uint32_t hash;
};

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static void *sink_main(void *arg)
{
  struct sink *k = arg;
  uint8_t buf[65536];
  k->hash = 2166136261u;
  for (ssize_t n; (n = recv(k->fd, buf, sizeof buf, 0)) > 0;) {
    k->hash = fnv(k->hash, buf, (size_t)n);
    k->bytes += (size_t)n;
  }
  return NULL;
}

static int data_file(size_t size, uint32_t *hash)
{
  char path[] = "/tmp/mynet-sendfile-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  uint8_t buf[4096];
  *hash = 2166136261u;
  for (size_t done = 0; done < size; done += sizeof buf) {
    for (size_t i = 0; i < sizeof buf; i++)
      buf[i] = (uint8_t)((done + i) * 2654435761u >> 24);
    ck_assert_int_eq(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    *hash = fnv(*hash, buf, sizeof buf);
  }
  return fd;
}

START_TEST(test_sendfile_moves_a_file_intact_and_keeps_offset_and_position_right)
{
  int c, s;
  tcp_pair(9421, &c, &s);
  uint32_t want;
  size_t size = 4u << 20;
  int f = data_file(size, &want);
  struct sink k = {.fd = s};
  pthread_t t;
  pthread_create(&t, NULL, sink_main, &k);
  /* half with an offset pointer (the file position stays), half without */
  off_t off = 0;
  ck_assert_int_eq(lseek(f, 0, SEEK_SET), 0);
  ck_assert_int_eq(sendfile(c, f, &off, size / 2), (ssize_t)(size / 2));
  ck_assert_int_eq(off, (off_t)(size / 2));
  ck_assert_int_eq(lseek(f, 0, SEEK_CUR), 0);
  ck_assert_int_eq(lseek(f, (off_t)(size / 2), SEEK_SET), (off_t)(size / 2));
  ck_assert_int_eq(sendfile(c, f, NULL, size), (ssize_t)(size / 2)); /* to end of file */
  ck_assert_int_eq(lseek(f, 0, SEEK_CUR), (off_t)size);
  ck_assert_int_eq(sendfile(c, f, NULL, 100), 0);
  close(c);
  pthread_join(t, NULL);
  ck_assert_uint_eq(k.bytes, size);
  ck_assert_uint_eq(k.hash, want);
  close(s);
  close(f);
}
END_TEST

struct feeder {
  int fd;
  size_t size;
};

static void *feeder_main(void *arg)
{
  struct feeder *fd = arg;
  uint8_t buf[4096];
  for (size_t done = 0; done < fd->size; done += sizeof buf) {
    for (size_t i = 0; i < sizeof buf; i++)
      buf[i] = (uint8_t)((done + i) * 2654435761u >> 24);
    if (write(fd->fd, buf, sizeof buf) != (ssize_t)sizeof buf)
      break;
  }
  close(fd->fd);
  return NULL;
}

START_TEST(test_splice_moves_a_pipe_into_a_socket_and_a_socket_into_a_pipe)
{
  int c, s;
  tcp_pair(9422, &c, &s);
  uint32_t want;
  size_t size = 4u << 20;
  close(data_file(size, &want));
  int in[2], out[2];
  ck_assert_int_eq(pipe(in), 0);
  ck_assert_int_eq(pipe(out), 0);
  struct feeder fd = {.fd = in[1], .size = size};
  pthread_t t;
  pthread_create(&t, NULL, feeder_main, &fd);
  /* pipe -> c, then s -> pipe, a chunk at a time */
  size_t moved = 0, back = 0;
  uint32_t hash = 2166136261u;
  uint8_t buf[65536];
  while (back < size) {
    if (moved < size) {
      ssize_t n = splice(in[0], NULL, c, NULL, 65536, 0);
      ck_assert_int_gt(n, 0);
      moved += (size_t)n;
    }
    ssize_t m = splice(s, NULL, out[1], NULL, 65536, SPLICE_F_NONBLOCK);
    if (m < 0) {
      ck_assert_int_eq(errno, EAGAIN);
      continue;
    }
    ssize_t r = read(out[0], buf, (size_t)m);
    ck_assert_int_eq(r, m);
    hash = fnv(hash, buf, (size_t)r);
    back += (size_t)r;
  }
  pthread_join(t, NULL);
  ck_assert_int_eq(splice(in[0], NULL, c, NULL, 65536, 0), 0); /* writer gone */
  ck_assert_uint_eq(hash, want);
  errno = 0;
  ck_assert_int_eq(splice(c, NULL, s, NULL, 10, 0), -1); /* no pipe */
  ck_assert_int_eq(errno, EINVAL);
  close(c);
  close(s);
  for (int i = 0; i < 2; i++) {
    close(in[i]);
    close(out[i]);
  }
}
END_TEST

START_TEST(test_sendmmsg_and_recvmmsg_move_several_datagrams_per_call)
{
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in addr = lo_addr(9423);
  ck_assert_int_eq(bind(b, (struct sockaddr *)&addr, sizeof addr), 0);
  ck_assert_int_eq(connect(a, (struct sockaddr *)&addr, sizeof addr), 0);
  char out[3][8] = {"one", "two!", "three"};
  struct iovec oiov[3];
  struct mmsghdr om[3];
  memset(om, 0, sizeof om);
  for (int i = 0; i < 3; i++) {
    oiov[i] = (struct iovec){.iov_base = out[i], .iov_len = strlen(out[i])};
    om[i].msg_hdr.msg_iov = &oiov[i];
    om[i].msg_hdr.msg_iovlen = 1;
  }
  ck_assert_int_eq(sendmmsg(a, om, 3, 0), 3);
  ck_assert_uint_eq(om[2].msg_len, 5);
  char in[4][8];
  struct iovec iiov[4];
  struct mmsghdr im[4];
  memset(im, 0, sizeof im);
  for (int i = 0; i < 4; i++) {
    iiov[i] = (struct iovec){.iov_base = in[i], .iov_len = sizeof in[i]};
    im[i].msg_hdr.msg_iov = &iiov[i];
    im[i].msg_hdr.msg_iovlen = 1;
  }
  ck_assert_int_eq(recvmmsg(b, im, 4, MSG_WAITFORONE, NULL), 3);
  ck_assert_uint_eq(im[1].msg_len, 4);
  ck_assert_mem_eq(in[2], "three", 5);
  /* through syscall(), as libuv makes some calls */
  ck_assert_int_eq(syscall(SYS_sendmmsg, a, om, 1, 0), 1);
  ck_assert_int_eq(syscall(SYS_recvfrom, b, in[0], sizeof in[0], 0, NULL, NULL), 3);
  close(a);
  close(b);
}
END_TEST

/* --- signals and threads ------------------------------------------------ */

static void on_signal(int sig)
{
}

static void handle(int sig, int flags)
{
  struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

struct later {
  int fd;
  int delay_ms;
};

static void *send_later(void *arg)
{
  struct later *l = arg;
  usleep((useconds_t)l->delay_ms * 1000);
  send(l->fd, "late", 4, 0);
  return NULL;
}

/* A SIGALRM 50 ms into a blocking recv whose data comes at 300 ms. */
static ssize_t interrupted_recv(int c, int s, int flags, bool rcvtimeo)
{
  handle(SIGALRM, flags);
  if (rcvtimeo) {
    struct timeval tv = {.tv_sec = 10};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  struct later l = {.fd = c, .delay_ms = 300};
  pthread_t t;
  pthread_create(&t, NULL, send_later, &l);
  struct itimerval it = {.it_value = {.tv_usec = 50000}};
  setitimer(ITIMER_REAL, &it, NULL);
  char buf[8];
  errno = 0;
  ssize_t n = recv(s, buf, sizeof buf, 0);
  pthread_join(t, NULL);
  signal(SIGALRM, SIG_DFL);
  return n;
}

START_TEST(test_sa_restart_restarts_a_blocking_recv_unless_it_has_a_timeout)
{
  int c, s;
  tcp_pair(9431, &c, &s);
  ck_assert_int_eq(interrupted_recv(c, s, SA_RESTART, false), 4);
  ck_assert_int_eq(interrupted_recv(c, s, 0, false), -1);
  ck_assert_int_eq(errno, EINTR);
  char buf[8];
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 4); /* what came after */
  ck_assert_int_eq(interrupted_recv(c, s, SA_RESTART, true), -1);
  ck_assert_int_eq(errno, EINTR);
  close(c);
  close(s);
}
END_TEST

static void *blocked_recv(void *arg)
{
  char buf[8];
  recv(*(int *)arg, buf, sizeof buf, 0);
  return NULL;
}

START_TEST(test_a_thread_cancelled_in_a_blocking_recv_leaves_the_stack_usable)
{
  int c, s;
  tcp_pair(9432, &c, &s);
  pthread_t t;
  pthread_create(&t, NULL, blocked_recv, &s);
  usleep(100000);
  ck_assert_int_eq(pthread_cancel(t), 0);
  void *res;
  ck_assert_int_eq(pthread_join(t, &res), 0);
  ck_assert_ptr_eq(res, PTHREAD_CANCELED);
  int a, b;
  tcp_pair(9433, &a, &b);
  ck_assert_int_eq(send(a, "ok", 2, 0), 2);
  char buf[4];
  ck_assert_int_eq(recv(b, buf, sizeof buf, 0), 2);
  ck_assert_int_eq(send(c, "ok", 2, 0), 2);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 2);
  close(a);
  close(b);
  close(c);
  close(s);
}
END_TEST

START_TEST(test_poll_for_pollpri_alone_sleeps_on_a_socket_with_unread_data)
{
  int c, s;
  tcp_pair(9434, &c, &s);
  ck_assert_int_eq(send(c, "x", 1, 0), 1);
  ck_assert(wait_events(s, POLLIN) & POLLIN);
  struct rusage r0, r1;
  getrusage(RUSAGE_THREAD, &r0);
  struct pollfd p = {.fd = s, .events = POLLPRI};
  ck_assert_int_eq(poll(&p, 1, 300), 0);
  p.events = POLLRDHUP;
  ck_assert_int_eq(poll(&p, 1, 300), 0);
  getrusage(RUSAGE_THREAD, &r1);
  /* Asleep, not spinning: far less CPU than the 600 ms waited. */
  long us = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000000L +
            (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
            (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000000L +
            (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
  ck_assert_int_lt(us, 300000);
  close(c);
  close(s);
}
END_TEST

START_TEST(test_a_blocking_recv_waits_for_so_rcvlowat_bytes)
{
  int c, s;
  tcp_pair(9436, &c, &s);
  int lowat = 10;
  ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat), 0);
  ck_assert_int_eq(send(c, "1234", 4, 0), 4);
  struct later l = {.fd = c, .delay_ms = 200}; /* "late": 4 more */
  pthread_t t;
  pthread_create(&t, NULL, send_later, &l);
  struct later l2 = {.fd = c, .delay_ms = 400};
  pthread_t t2;
  pthread_create(&t2, NULL, send_later, &l2);
  char buf[64];
  /* not readable below the mark; a blocking recv collects 12 >= 10 */
  struct pollfd p = {.fd = s, .events = POLLIN};
  ck_assert_int_eq(poll(&p, 1, 50), 0);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 12);
  ck_assert_mem_eq(buf, "1234latelate", 12);
  pthread_join(t, NULL);
  pthread_join(t2, NULL);
  close(c);
  close(s);
}
END_TEST

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SO_LINGER with a time: close() waits for the data to be acknowledged,
 * at most that long; a peer that reads nothing keeps it waiting the whole
 * time, and close still returns 0, as on Linux. */
START_TEST(test_close_with_so_linger_waits_for_the_data_to_be_acknowledged)
{
  int c, s;
  tcp_pair(9437, &c, &s);
  struct linger l = {.l_onoff = 1, .l_linger = 1};
  ck_assert_int_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  /* Fill the peer's window and our send buffer: the rest cannot go. */
  int on = 1;
  ck_assert_int_eq(ioctl(c, FIONBIO, &on), 0);
  static char chunk[65536];
  while (send(c, chunk, sizeof chunk, 0) > 0)
    ;
  ck_assert_int_eq(errno, EAGAIN);
  double t0 = now_s();
  ck_assert_int_eq(close(c), 0);
  ck_assert_double_ge(now_s() - t0, 0.9);
  close(s);
}
END_TEST

START_TEST(test_queue_ioctls_report_what_waits)
{
  int c, s;
  tcp_pair(9435, &c, &s);
  ck_assert_int_eq(send(c, "hello", 5, 0), 5);
  ck_assert(wait_events(s, POLLIN) & POLLIN);
  int n = -1;
  ck_assert_int_eq(ioctl(s, SIOCINQ, &n), 0);
  ck_assert_int_eq(n, 5);
  ck_assert_int_eq(ioctl(s, FIONREAD, &n), 0);
  ck_assert_int_eq(n, 5);
  ck_assert_int_eq(ioctl(s, SIOCATMARK, &n), 0);
  ck_assert_int_eq(n, 0);
  ck_assert_int_eq(ioctl(c, SIOCOUTQ, &n), 0);
  ck_assert_int_ge(n, 0);
  errno = 0;
  ck_assert_int_eq(ioctl(c, SIOCGIFFLAGS, &n), -1);
  ck_assert_int_eq(errno, ENOTTY);
  close(c);
  close(s);
}
END_TEST

/* The stack starts (its driver thread among it) in a program whose
 * thread-local storage is larger than the driver's own stack size. */
START_TEST(test_a_program_with_large_thread_local_storage_gets_sockets)
{
  /* (Used, so that the compiler keeps it.) */
  snprintf(mn_test_big_tls, sizeof mn_test_big_tls, "%p", (void *)mn_test_big_tls);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(s, 0);
  ck_assert(is_stack_socket(s));
  close(s);
}
END_TEST

static Suite *fds_suite(void)
{
  Suite *su = suite_create("shim_fds");
  TCase *fd = tcase_create("descriptors");
  tcase_set_timeout(fd, 30);
  tcase_add_test(fd, test_a_program_with_large_thread_local_storage_gets_sockets);
  tcase_add_test(fd, test_a_dup_is_the_same_socket_and_the_last_close_ends_the_stream);
  tcase_add_test(fd, test_dup2_dup3_and_f_dupfd_copy_sockets_and_dup2_over_one_drops_it);
  tcase_add_test(fd, test_the_librarys_descriptors_survive_close_range_dup2_and_closed_stdio);
  suite_add_tcase(su, fd);
  TCase *ep = tcase_create("epoll");
  tcase_set_timeout(ep, 30);
  tcase_add_test(ep, test_epoll_level_triggered_follows_the_socket_state);
  tcase_add_test(ep, test_epoll_edge_triggered_fires_for_each_arrival_and_oneshot_once);
  tcase_add_test(ep, test_epoll_mixes_stack_sockets_with_kernel_fds_and_nests);
  tcase_add_test(ep, test_epoll_ctl_checks_as_the_kernel_does);
  suite_add_tcase(su, ep);
  TCase *bulk = tcase_create("bulk");
  tcase_set_timeout(bulk, 60);
  tcase_add_test(bulk, test_sendfile_moves_a_file_intact_and_keeps_offset_and_position_right);
  tcase_add_test(bulk, test_splice_moves_a_pipe_into_a_socket_and_a_socket_into_a_pipe);
  tcase_add_test(bulk, test_sendmmsg_and_recvmmsg_move_several_datagrams_per_call);
  suite_add_tcase(su, bulk);
  TCase *sig = tcase_create("signals");
  tcase_set_timeout(sig, 30);
  tcase_add_test(sig, test_sa_restart_restarts_a_blocking_recv_unless_it_has_a_timeout);
  tcase_add_test(sig, test_a_thread_cancelled_in_a_blocking_recv_leaves_the_stack_usable);
  tcase_add_test(sig, test_poll_for_pollpri_alone_sleeps_on_a_socket_with_unread_data);
  tcase_add_test(sig, test_a_blocking_recv_waits_for_so_rcvlowat_bytes);
  tcase_add_test(sig, test_queue_ioctls_report_what_waits);
  tcase_add_test(sig, test_close_with_so_linger_waits_for_the_data_to_be_acknowledged);
  suite_add_tcase(su, sig);
  return su;
}

int main(int argc, char **argv)
{
  if (!mn_test_preloaded())
    return mn_test_reexec_preloaded(argv);
  if (argc > 1 && strcmp(argv[1], "closefds") == 0)
    return closefds_child();
  return mn_test_run_in_process(fds_suite());
}
