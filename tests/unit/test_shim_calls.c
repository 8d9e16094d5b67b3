/* The preload library seen from a program: this test re-executes itself
 * with libmynet.so in LD_PRELOAD and the stack on loopback only
 * (MYNET_TAP=none), then checks that socket calls answer as the kernel's
 * would: blocking and its interruptions, poll and select over mixed sets,
 * fcntl/ioctl flags, address lengths, the library's own descriptors, a
 * bad configuration and a forked child.  No device, no privileges. */
#include "helpers/lo.h"
#include "helpers/preload.h"
#include "helpers/run.h"
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A UDP socket of the stack bound to 127.0.0.1:port. */
static int udp_bound(int port, int flags)
{
  int fd = socket(AF_INET, SOCK_DGRAM | flags, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static void send_to_port(int fd, int port, const char *msg)
{
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof a),
                   (ssize_t)strlen(msg));
}

static int count_threads(void)
{
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void fd_kind(int fd, char *out, size_t len)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, out, len - 1);
  out[n < 0 ? 0 : n] = '\0';
}

/* The first open descriptor whose /proc/self/fd link reads kind, or -1. */
static int find_fd_of_kind(const char *kind)
{
  DIR *d = opendir("/proc/self/fd");
  int found = -1;
  for (struct dirent *e; found < 0 && (e = readdir(d)) != NULL;) {
    char k[64];
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd == dirfd(d))
      continue;
    fd_kind(fd, k, sizeof k);
    if (strcmp(k, kind) == 0)
      found = fd;
  }
  closedir(d);
  return found;
}

/* --- helpers running in another thread -------------------------------- */

struct delayed {
  int fd, port, delay_ms;
  const char *msg;
  bool close_instead;
};

static void *delayed_main(void *arg)
{
  struct delayed *d = arg;
  usleep((useconds_t)d->delay_ms * 1000);
  if (d->close_instead) {
    close(d->fd);
  } else {
    struct sockaddr_in a = lo_addr(d->port);
    sendto(d->fd, d->msg, strlen(d->msg), 0, (struct sockaddr *)&a, sizeof a);
  }
  return NULL;
}

static void on_alarm(int sig)
{
}

static void *connect_later_main(void *arg)
{
  usleep(100000);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr((int)(long)arg);
  connect(c, (struct sockaddr *)&a, sizeof a);
  return (void *)(long)c;
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_a_process_starts_no_stack_before_its_first_inet_socket)
{
  /* Must run first: nothing has opened an AF_INET socket yet.  (A
   * sanitizer may have a thread of its own.) */
  int before = count_threads();
  int sv[2];
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  char kind[64];
  fd_kind(sv[0], kind, sizeof kind);
  ck_assert_msg(strncmp(kind, "socket:", 7) == 0, "AF_UNIX went elsewhere: %s", kind);
  ck_assert_int_eq(write(sv[0], "x", 1), 1);
  char c;
  ck_assert_int_eq(read(sv[1], &c, 1), 1);
  close(sv[0]);
  close(sv[1]);
  ck_assert_int_eq(count_threads(), before);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_gt(count_threads(), before); /* the driver thread */
  close(fd);
}
END_TEST

START_TEST(test_a_stack_socket_is_a_kernel_eventfd_with_the_lowest_free_number)
{
  int probe = dup(0);
  close(probe);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert_int_eq(fd, probe);
  char kind[64];
  fd_kind(fd, kind, sizeof kind);
  ck_assert_str_eq(kind, "anon_inode:[eventfd]");
  ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
  int type = 0;
  socklen_t len = sizeof type;
  ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  ck_assert_int_eq(type, SOCK_DGRAM);
  close(fd);
}
END_TEST

START_TEST(test_udp_datagrams_cross_loopback_with_their_source_address)
{
  int a = udp_bound(9101, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  send_to_port(b, 9101, "hello");
  char buf[16];
  struct sockaddr_in from;
  socklen_t len = sizeof from;
  ck_assert_int_eq(recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 5);
  ck_assert_mem_eq(buf, "hello", 5);
  ck_assert_uint_eq(len, sizeof from);
  struct sockaddr_in bname;
  socklen_t blen = sizeof bname;
  ck_assert_int_eq(getsockname(b, (struct sockaddr *)&bname, &blen), 0);
  ck_assert_uint_eq(from.sin_port, bname.sin_port);
  ck_assert_uint_ne(from.sin_port, 0);
  ck_assert_uint_eq(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  close(a);
  close(b);
}
END_TEST

START_TEST(test_addresses_are_truncated_to_the_callers_length_which_reports_the_full_one)
{
  int a = udp_bound(9102, 0);
  unsigned char out[sizeof(struct sockaddr_in)];
  memset(out, 0xee, sizeof out);
  socklen_t len = 4;
  ck_assert_int_eq(getsockname(a, (struct sockaddr *)out, &len), 0);
  ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
  ck_assert_uint_eq(out[4], 0xee); /* nothing written past the 4 bytes given */
  ck_assert_uint_eq(out[2], 9102 >> 8);
  ck_assert_uint_eq(out[3], 9102 & 0xff);
  /* recvfrom on the same rule */
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  send_to_port(b, 9102, "x");
  len = 2;
  memset(out, 0xee, sizeof out);
  char c;
  ck_assert_int_eq(recvfrom(a, &c, 1, 0, (struct sockaddr *)out, &len), 1);
  ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
  ck_assert_uint_eq(out[2], 0xee);
  close(a);
  close(b);
}
END_TEST

START_TEST(test_bind_rejects_a_short_address_with_EINVAL)
{
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = lo_addr(9103);
  errno = 0;
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a - 1), -1);
  ck_assert_int_eq(errno, EINVAL);
  close(fd);
}
END_TEST

START_TEST(test_a_blocking_recv_waits_for_a_datagram_from_another_thread)
{
  int a = udp_bound(9104, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  struct delayed d = {.fd = b, .port = 9104, .delay_ms = 100, .msg = "late"};
  pthread_t t;
  double t0 = now_s();
  pthread_create(&t, NULL, delayed_main, &d);
  char buf[16];
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), 4);
  ck_assert_double_ge(now_s() - t0, 0.09);
  pthread_join(t, NULL);
  close(a);
  close(b);
}
END_TEST

START_TEST(test_a_signal_interrupts_a_blocking_recv_with_EINTR)
{
  int a = udp_bound(9105, 0);
  struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {.it_value = {.tv_usec = 100000}};
  setitimer(ITIMER_REAL, &it, NULL);
  char buf[4];
  errno = 0;
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), -1);
  ck_assert_int_eq(errno, EINTR);
  signal(SIGALRM, SIG_DFL);
  close(a);
}
END_TEST

START_TEST(test_so_rcvtimeo_ends_a_blocking_recv_with_EAGAIN)
{
  int a = udp_bound(9106, 0);
  struct timeval tv = {.tv_usec = 150000};
  ck_assert_int_eq(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  struct timeval got;
  socklen_t len = sizeof got;
  ck_assert_int_eq(getsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
  ck_assert_int_eq(got.tv_usec, 150000);
  char buf[4];
  double t0 = now_s();
  errno = 0;
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), -1);
  ck_assert_int_eq(errno, EAGAIN);
  double dt = now_s() - t0;
  ck_assert_msg(dt >= 0.14 && dt < 1.0, "waited %.3f s", dt);
  tv.tv_usec = 1000000;
  errno = 0;
  ck_assert_int_eq(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), -1);
  ck_assert_int_eq(errno, EDOM);
  close(a);
}
END_TEST

START_TEST(test_every_way_of_asking_for_non_blocking_gives_EAGAIN_at_once)
{
  char buf[4];
  int a = udp_bound(9107, SOCK_NONBLOCK);
  ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  errno = 0;
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), -1);
  ck_assert_int_eq(errno, EAGAIN);

  ck_assert_int_eq(fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_NONBLOCK), 0);
  ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, 0);
  errno = 0;
  ck_assert_int_eq(recv(a, buf, sizeof buf, MSG_DONTWAIT), -1);
  ck_assert_int_eq(errno, EAGAIN);

  int on = 1;
  ck_assert_int_eq(ioctl(a, FIONBIO, &on), 0);
  ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  errno = 0;
  ck_assert_int_eq(read(a, buf, sizeof buf), -1);
  ck_assert_int_eq(errno, EAGAIN);
  close(a);
}
END_TEST

START_TEST(test_fionread_reports_the_bytes_waiting)
{
  int a = udp_bound(9108, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  int n = -1;
  ck_assert_int_eq(ioctl(a, FIONREAD, &n), 0);
  ck_assert_int_eq(n, 0);
  send_to_port(b, 9108, "12345");
  ck_assert_int_eq(ioctl(a, FIONREAD, &n), 0);
  ck_assert_int_eq(n, 5);
  close(a);
  close(b);
}
END_TEST

START_TEST(test_read_write_readv_writev_act_as_recv_and_send)
{
  int a = udp_bound(9109, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = lo_addr(9109);
  ck_assert_int_eq(connect(b, (struct sockaddr *)&to, sizeof to), 0);
  ck_assert_int_eq(write(b, "abc", 3), 3);
  struct iovec v[2] = {{.iov_base = "de", .iov_len = 2}, {.iov_base = "fgh", .iov_len = 3}};
  ck_assert_int_eq(writev(b, v, 2), 5);
  char buf[16];
  ck_assert_int_eq(read(a, buf, sizeof buf), 3);
  ck_assert_mem_eq(buf, "abc", 3);
  char x[3], y[8];
  struct iovec r[2] = {{.iov_base = x, .iov_len = 3}, {.iov_base = y, .iov_len = 8}};
  ck_assert_int_eq(readv(a, r, 2), 5);
  ck_assert_mem_eq(x, "def", 3);
  ck_assert_mem_eq(y, "gh", 2);
  close(a);
  close(b);
}
END_TEST

START_TEST(test_recvmsg_reports_truncation_and_the_source)
{
  int a = udp_bound(9110, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  send_to_port(b, 9110, "0123456789");
  char buf[4];
  struct sockaddr_in from;
  struct iovec v = {.iov_base = buf, .iov_len = sizeof buf};
  char cbuf[64];
  struct msghdr m = {.msg_name = &from,
                     .msg_namelen = sizeof from,
                     .msg_iov = &v,
                     .msg_iovlen = 1,
                     .msg_control = cbuf,
                     .msg_controllen = sizeof cbuf};
  ck_assert_int_eq(recvmsg(a, &m, 0), 4);
  ck_assert_int_ne(m.msg_flags & MSG_TRUNC, 0);
  ck_assert_uint_eq(m.msg_namelen, sizeof from);
  ck_assert_uint_eq(m.msg_controllen, 0);
  ck_assert_uint_eq(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  close(a);
  close(b);
}
END_TEST

START_TEST(test_close_wakes_a_thread_blocked_in_recv_with_EBADF)
{
  int a = udp_bound(9111, 0);
  struct delayed d = {.fd = a, .delay_ms = 100, .close_instead = true};
  pthread_t t;
  pthread_create(&t, NULL, delayed_main, &d);
  char buf[4];
  errno = 0;
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), -1);
  ck_assert_int_eq(errno, EBADF);
  pthread_join(t, NULL);
  /* The number is free again, as after any close. */
  errno = 0;
  ck_assert_int_eq(fcntl(a, F_GETFD), -1);
  ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_poll_answers_for_stack_sockets_and_pipes_together)
{
  int a = udp_bound(9112, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  struct pollfd fds[3] = {
      {.fd = a, .events = POLLIN}, {.fd = p[0], .events = POLLIN}, {.fd = -1, .events = POLLIN}};
  /* nothing ready: a zero and a short timeout */
  ck_assert_int_eq(poll(fds, 3, 0), 0);
  double t0 = now_s();
  ck_assert_int_eq(poll(fds, 3, 100), 0);
  ck_assert_double_ge(now_s() - t0, 0.09);
  /* the pipe only */
  ck_assert_int_eq(write(p[1], "x", 1), 1);
  ck_assert_int_eq(poll(fds, 3, 1000), 1);
  ck_assert_int_eq(fds[0].revents, 0);
  ck_assert_int_eq(fds[1].revents, POLLIN);
  /* both */
  send_to_port(b, 9112, "y");
  ck_assert_int_eq(poll(fds, 3, 1000), 2);
  ck_assert_int_eq(fds[0].revents, POLLIN);
  ck_assert_int_eq(fds[2].revents, 0);
  /* the socket only, arriving while poll waits */
  char c;
  ck_assert_int_eq(read(p[0], &c, 1), 1);
  ck_assert_int_eq(recv(a, &c, 1, 0), 1);
  struct delayed d = {.fd = b, .port = 9112, .delay_ms = 100, .msg = "z"};
  pthread_t t;
  pthread_create(&t, NULL, delayed_main, &d);
  ck_assert_int_eq(poll(fds, 3, -1), 1);
  ck_assert_int_eq(fds[0].revents, POLLIN);
  ck_assert_int_eq(fds[1].revents, 0);
  pthread_join(t, NULL);
  /* POLLOUT of a UDP socket, and a closed kernel fd's POLLNVAL */
  struct pollfd w[2] = {{.fd = b, .events = POLLOUT}, {.fd = 999, .events = POLLIN}};
  ck_assert_int_eq(poll(w, 2, 1000), 2);
  ck_assert_int_eq(w[0].revents, POLLOUT);
  ck_assert_int_eq(w[1].revents, POLLNVAL);
  close(a);
  close(b);
  close(p[0]);
  close(p[1]);
}
END_TEST

START_TEST(test_poll_handles_sets_larger_than_its_stack_buffer)
{
  enum { N = 40 };
  int fds_[N];
  struct pollfd fds[N];
  for (int i = 0; i < N; i++) {
    fds_[i] = udp_bound(9200 + i, 0);
    fds[i] = (struct pollfd){.fd = fds_[i], .events = POLLIN};
  }
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  send_to_port(b, 9200 + 37, "x");
  ck_assert_int_eq(poll(fds, N, 1000), 1);
  ck_assert_int_eq(fds[37].revents, POLLIN);
  for (int i = 0; i < N; i++)
    close(fds_[i]);
  close(b);
}
END_TEST

START_TEST(test_select_counts_each_set_bit_and_returns_the_time_left)
{
  int a = udp_bound(9113, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  int nfds = (a > p[1] ? a : p[1]) + 1;
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(a, &r);
  FD_SET(p[0], &r);
  struct timeval tv = {.tv_usec = 100000};
  ck_assert_int_eq(select(nfds, &r, NULL, NULL, &tv), 0);
  ck_assert_int_eq(tv.tv_sec, 0);
  ck_assert_int_eq(tv.tv_usec, 0);
  ck_assert(!FD_ISSET(a, &r));

  send_to_port(b, 9113, "x");
  FD_ZERO(&r);
  FD_SET(a, &r);
  FD_SET(p[0], &r);
  FD_SET(a, &w);
  FD_SET(p[1], &w);
  tv = (struct timeval){.tv_sec = 5};
  /* a readable and writable, the pipe writable: three bits */
  ck_assert_int_eq(select(nfds, &r, &w, NULL, &tv), 3);
  ck_assert(FD_ISSET(a, &r));
  ck_assert(!FD_ISSET(p[0], &r));
  ck_assert(FD_ISSET(a, &w));
  ck_assert(FD_ISSET(p[1], &w));
  ck_assert_int_gt(tv.tv_sec, 3); /* time left written back */

  /* a bad kernel fd beside a socket of ours: EBADF */
  int bad = dup(0);
  close(bad);
  FD_ZERO(&r);
  FD_SET(a, &r);
  FD_SET(bad, &r);
  errno = 0;
  ck_assert_int_eq(select(bad + 1, &r, NULL, NULL, NULL), -1);
  ck_assert_int_eq(errno, EBADF);

  /* pselect leaves its timeout alone */
  FD_ZERO(&r);
  FD_SET(a, &r);
  struct timespec ts = {.tv_sec = 5};
  ck_assert_int_eq(pselect(a + 1, &r, NULL, NULL, &ts, NULL), 1);
  ck_assert_int_eq(ts.tv_sec, 5);
  close(a);
  close(b);
  close(p[0]);
  close(p[1]);
}
END_TEST

/* The library's own descriptors: the stack's shared memory is one. */
START_TEST(test_close_of_the_librarys_own_descriptor_is_pretended)
{
  int s = socket(AF_INET, SOCK_DGRAM, 0); /* the stack is up */
  int found = find_fd_of_kind("/memfd:mynet-stack (deleted)");
  /* Out of the program's way: above the numbers it uses (and 0-2). */
  ck_assert_int_gt(found, 100);
  ck_assert_int_eq(close(found), 0);
  ck_assert_int_ge(fcntl(found, F_GETFD), 0); /* still open */
  close(s);
}
END_TEST

/* As on the kernel: parent and child share the stack and every socket;
 * the child's close and exit leave what the parent holds alone. */
START_TEST(test_a_forked_child_shares_the_parents_sockets_and_leaves_them_alone)
{
  int a = udp_bound(9114, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  send_to_port(b, 9114, "to-child");
  pid_t pid = fork();
  if (pid == 0) {
    char buf[16];
    int ok = recv(a, buf, sizeof buf, 0) == 8 && memcmp(buf, "to-child", 8) == 0;
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = lo_addr(9114);
    ok = ok && c >= 0 && sendto(c, "from-child", 10, 0, (struct sockaddr *)&to, sizeof to) == 10;
    ok = ok && close(a) == 0;
    _exit(ok ? 0 : 1);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
  char buf[16];
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), 10);
  ck_assert_mem_eq(buf, "from-child", 10);
  send_to_port(b, 9114, "still");
  ck_assert_int_eq(recv(a, buf, sizeof buf, 0), 5);
  close(a);
  close(b);
}
END_TEST

START_TEST(test_a_vfork_child_closing_a_socket_leaves_the_parents_open)
{
  int a = udp_bound(9115, 0);
  int b = socket(AF_INET, SOCK_DGRAM, 0);
  pid_t pid = vfork();
  if (pid == 0) {
    close(a);
    _exit(0);
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  send_to_port(b, 9115, "still");
  char buf[8];
  ck_assert_int_eq(recv(a, buf, sizeof buf, MSG_DONTWAIT), 5);
  close(a);
  close(b);
}
END_TEST

/* Every symbol libmynet.so exports must be a libc name it interposes:
 * anything else (a stack function, a helper) could clash with the
 * program's own symbols. */
START_TEST(test_the_library_exports_only_names_that_libc_defines)
{
  const char *path = getenv("LD_PRELOAD");
  int fd = open(path, O_RDONLY);
  ck_assert_int_ge(fd, 0);
  struct stat st;
  fstat(fd, &st);
  const unsigned char *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ck_assert_ptr_ne(img, MAP_FAILED);
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
  void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ck_assert_ptr_nonnull(libc);
  int exported = 0;
  bool saw_socket = false, saw_read_chk = false;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_DYNSYM)
      continue;
    const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
    const char *names = (const char *)(img + sh[sh[i].sh_link].sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof *sym; k++) {
      if (sym[k].st_shndx == SHN_UNDEF || ELF64_ST_BIND(sym[k].st_info) == STB_LOCAL)
        continue;
      const char *name = names + sym[k].st_name;
      ck_assert_msg(dlsym(libc, name) != NULL, "libmynet.so exports '%s', not a libc name", name);
      saw_socket = saw_socket || strcmp(name, "socket") == 0;
      saw_read_chk = saw_read_chk || strcmp(name, "__read_chk") == 0;
      exported++;
    }
  }
  ck_assert(saw_socket && saw_read_chk);
  ck_assert_int_ge(exported, 30);
  munmap((void *)img, (size_t)st.st_size);
  close(fd);
}
END_TEST

/* --- TCP ---------------------------------------------------------------- */

static int tcp_connected(int port)
{
  int c = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(c, 0);
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  return c;
}

START_TEST(test_blocking_connect_and_accept_give_a_stream_both_ways)
{
  int l = tcp_listener(9301);
  int c = tcp_connected(9301);
  struct sockaddr_in peer, name;
  socklen_t plen = sizeof peer, nlen = sizeof name;
  int s = accept(l, (struct sockaddr *)&peer, &plen);
  ck_assert_int_ge(s, 0);
  ck_assert_uint_eq(plen, sizeof peer);
  ck_assert_int_eq(getsockname(c, (struct sockaddr *)&name, &nlen), 0);
  ck_assert_uint_eq(peer.sin_port, name.sin_port);
  ck_assert_int_eq(send(c, "ping", 4, 0), 4);
  char buf[8];
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 4);
  ck_assert_int_eq(write(s, "pong", 4), 4);
  ck_assert_int_eq(read(c, buf, sizeof buf), 4);
  ck_assert_mem_eq(buf, "pong", 4);
  /* a second connect on a connected socket */
  struct sockaddr_in a = lo_addr(9301);
  errno = 0;
  ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), -1);
  ck_assert_int_eq(errno, EISCONN);
  /* end of stream after the peer's shutdown */
  ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
  ck_assert_int_eq(recv(s, buf, sizeof buf, 0), 0);
  close(c);
  close(s);
  close(l);
}
END_TEST

START_TEST(test_a_non_blocking_connect_completes_with_pollout_and_so_error_0)
{
  int l = tcp_listener(9302);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = lo_addr(9302);
  errno = 0;
  ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), -1);
  ck_assert_int_eq(errno, EINPROGRESS);
  struct pollfd p = {.fd = c, .events = POLLOUT};
  ck_assert_int_eq(poll(&p, 1, 2000), 1);
  ck_assert_int_eq(p.revents & (POLLOUT | POLLERR), POLLOUT);
  int err = -1;
  socklen_t len = sizeof err;
  ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  ck_assert_int_eq(err, 0);
  int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(fcntl(s, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  close(s);
  close(c);
  close(l);
}
END_TEST

START_TEST(test_connect_to_a_port_without_listener_fails_with_ECONNREFUSED)
{
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr(9303);
  errno = 0;
  ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), -1);
  ck_assert_int_eq(errno, ECONNREFUSED);
  close(c);
}
END_TEST

START_TEST(test_a_blocking_accept_wakes_for_a_connection_from_another_thread)
{
  int l = tcp_listener(9304);
  struct pollfd p = {.fd = l, .events = POLLIN};
  ck_assert_int_eq(poll(&p, 1, 0), 0);
  pthread_t t;
  pthread_create(&t, NULL, connect_later_main, (void *)(long)9304);
  double t0 = now_s();
  int s = accept(l, NULL, NULL);
  ck_assert_int_ge(s, 0);
  ck_assert_double_ge(now_s() - t0, 0.09);
  void *c;
  pthread_join(t, &c);
  close((int)(long)c);
  close(s);
  close(l);
}
END_TEST

struct sender {
  int fd;
  size_t chunk;
  int chunks;
  int delay_ms;
};

static void *sender_main(void *arg)
{
  struct sender *sd = arg;
  char *buf = malloc(sd->chunk);
  memset(buf, 'q', sd->chunk);
  for (int i = 0; i < sd->chunks; i++) {
    usleep((useconds_t)sd->delay_ms * 1000);
    send(sd->fd, buf, sd->chunk, 0);
  }
  free(buf);
  return NULL;
}

START_TEST(test_msg_waitall_collects_the_whole_buffer_from_several_sends)
{
  int l = tcp_listener(9305);
  int c = tcp_connected(9305);
  int s = accept(l, NULL, NULL);
  struct sender sd = {.fd = c, .chunk = 1000, .chunks = 3, .delay_ms = 50};
  pthread_t t;
  pthread_create(&t, NULL, sender_main, &sd);
  char buf[3000];
  ck_assert_int_eq(recv(s, buf, sizeof buf, MSG_WAITALL), 3000);
  pthread_join(t, NULL);
  close(c);
  close(s);
  close(l);
}
END_TEST

/* Both directions stuffed: a blocking send waits for the peer to read
 * while unread input sits on its own socket, and must sleep meanwhile
 * rather than spin on an eventfd that is readable for the input. */
START_TEST(test_a_blocking_send_sleeps_until_the_peer_reads)
{
  int l = tcp_listener(9306);
  int c = tcp_connected(9306);
  int s = accept(l, NULL, NULL);
  ck_assert_int_eq(send(s, "unread", 6, 0), 6); /* input waiting at c */
  enum { TOTAL = 8 << 20 };
  struct sender sd = {.fd = c, .chunk = TOTAL, .chunks = 1};
  pthread_t t;
  pthread_create(&t, NULL, sender_main, &sd);
  /* Until c's send buffer and s's receive buffer have filled up (the
   * bytes waiting at s stop growing): a slow build (TSan) takes longer. */
  int queued = -1, before;
  do {
    before = queued;
    usleep(100000);
    ck_assert_int_eq(ioctl(s, FIONREAD, &queued), 0);
  } while (queued != before || queued == 0);
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  usleep(300000);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
  ck_assert_msg(cpu < 0.1, "the blocked sender used %.3f s of CPU in 0.3 s", cpu);
  char *buf = malloc(1 << 16);
  size_t got = 0;
  while (got < TOTAL) {
    ssize_t n = recv(s, buf, 1 << 16, 0);
    ck_assert_int_gt(n, 0);
    got += (size_t)n;
  }
  free(buf);
  pthread_join(t, NULL);
  ck_assert_uint_eq(got, TOTAL);
  close(c);
  close(s);
  close(l);
}
END_TEST

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
  sigpipes++;
}

START_TEST(test_send_on_a_reset_stream_gives_EPIPE_and_SIGPIPE_unless_MSG_NOSIGNAL)
{
  int l = tcp_listener(9307);
  int c = tcp_connected(9307);
  int s = accept(l, NULL, NULL);
  struct sigaction sa = {.sa_handler = on_sigpipe};
  sigaction(SIGPIPE, &sa, NULL);
  close(s); /* FIN to c; c's next data draws a RST */
  ck_assert_int_eq(send(c, "a", 1, 0), 1);
  usleep(50000);
  /* The stack's answer to the RST (EPIPE or ECONNRESET first) is not the
   * shim's business; the signal is: one per EPIPE, none otherwise. */
  sigpipes = 0;
  ssize_t r = 0;
  for (int i = 0; i < 10 && !(r == -1 && errno == EPIPE); i++) {
    r = send(c, "b", 1, 0);
    ck_assert_int_eq(sigpipes, r == -1 && errno == EPIPE);
    usleep(20000);
  }
  ck_assert_int_eq(r, -1);
  ck_assert_int_eq(errno, EPIPE);
  ck_assert_int_eq(sigpipes, 1);
  errno = 0;
  ck_assert_int_eq(send(c, "c", 1, MSG_NOSIGNAL), -1);
  ck_assert_int_eq(errno, EPIPE);
  ck_assert_int_eq(sigpipes, 1);
  signal(SIGPIPE, SIG_DFL);
  close(c);
  close(l);
}
END_TEST

/* Runs this program in "bad-config" mode with MYNET_ADDR wrong. */
START_TEST(test_a_bad_configuration_fails_every_inet_socket_after_one_line_on_stderr)
{
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  char *argv[] = {"test_shim_calls", "bad-config", NULL};
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = calloc(n + 2, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "MYNET_ADDR=", 11) != 0)
      env[k++] = environ[i];
  env[k++] = "MYNET_ADDR=300.1.2.3/24";
  pid_t pid;
  ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env), 0);
  posix_spawn_file_actions_destroy(&fa);
  free(env);
  close(p[1]);
  char out[1024] = {0};
  size_t got = 0;
  for (ssize_t r; (r = read(p[0], out + got, sizeof out - 1 - got)) > 0;)
    got += (size_t)r;
  close(p[0]);
  int status;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d, stderr: %s",
                status, out);
  ck_assert_msg(strncmp(out, "mynet[", 6) == 0 && strstr(out, "]: MYNET_ADDR"), "stderr: %s", out);
  ck_assert_msg(strchr(out, '\n') == out + got - 1, "not exactly one line: %s", out);
  ck_assert_ptr_nonnull(strstr(out, "300.1.2.3/24"));
}
END_TEST

static int bad_config_child(void)
{
  for (int i = 0; i < 2; i++) {
    errno = 0;
    if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT)
      return 1;
  }
  /* other families still work */
  int sv[2];
  return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? 0 : 2;
}

static Suite *shim_suite(void)
{
  Suite *s = suite_create("shim_calls");
  TCase *tc = tcase_create("loopback");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_a_process_starts_no_stack_before_its_first_inet_socket);
  tcase_add_test(tc, test_a_stack_socket_is_a_kernel_eventfd_with_the_lowest_free_number);
  tcase_add_test(tc, test_udp_datagrams_cross_loopback_with_their_source_address);
  tcase_add_test(tc, test_addresses_are_truncated_to_the_callers_length_which_reports_the_full_one);
  tcase_add_test(tc, test_bind_rejects_a_short_address_with_EINVAL);
  tcase_add_test(tc, test_a_blocking_recv_waits_for_a_datagram_from_another_thread);
  tcase_add_test(tc, test_a_signal_interrupts_a_blocking_recv_with_EINTR);
  tcase_add_test(tc, test_so_rcvtimeo_ends_a_blocking_recv_with_EAGAIN);
  tcase_add_test(tc, test_every_way_of_asking_for_non_blocking_gives_EAGAIN_at_once);
  tcase_add_test(tc, test_fionread_reports_the_bytes_waiting);
  tcase_add_test(tc, test_read_write_readv_writev_act_as_recv_and_send);
  tcase_add_test(tc, test_recvmsg_reports_truncation_and_the_source);
  tcase_add_test(tc, test_close_wakes_a_thread_blocked_in_recv_with_EBADF);
  tcase_add_test(tc, test_poll_answers_for_stack_sockets_and_pipes_together);
  tcase_add_test(tc, test_poll_handles_sets_larger_than_its_stack_buffer);
  tcase_add_test(tc, test_select_counts_each_set_bit_and_returns_the_time_left);
  tcase_add_test(tc, test_close_of_the_librarys_own_descriptor_is_pretended);
  tcase_add_test(tc, test_a_forked_child_shares_the_parents_sockets_and_leaves_them_alone);
  tcase_add_test(tc, test_a_bad_configuration_fails_every_inet_socket_after_one_line_on_stderr);
  tcase_add_test(tc, test_a_vfork_child_closing_a_socket_leaves_the_parents_open);
  tcase_add_test(tc, test_the_library_exports_only_names_that_libc_defines);
  suite_add_tcase(s, tc);
  TCase *tcp = tcase_create("tcp");
  tcase_set_timeout(tcp, 60);
  tcase_add_test(tcp, test_blocking_connect_and_accept_give_a_stream_both_ways);
  tcase_add_test(tcp, test_a_non_blocking_connect_completes_with_pollout_and_so_error_0);
  tcase_add_test(tcp, test_connect_to_a_port_without_listener_fails_with_ECONNREFUSED);
  tcase_add_test(tcp, test_a_blocking_accept_wakes_for_a_connection_from_another_thread);
  tcase_add_test(tcp, test_msg_waitall_collects_the_whole_buffer_from_several_sends);
  tcase_add_test(tcp, test_a_blocking_send_sleeps_until_the_peer_reads);
  tcase_add_test(tcp, test_send_on_a_reset_stream_gives_EPIPE_and_SIGPIPE_unless_MSG_NOSIGNAL);
  suite_add_tcase(s, tcp);
  return s;
}

int main(int argc, char **argv)
{
  if (!mn_test_preloaded())
    return mn_test_reexec_preloaded(argv);
  if (argc > 1 && strcmp(argv[1], "bad-config") == 0)
    return bad_config_child();
  return mn_test_run_in_process(shim_suite());
}
