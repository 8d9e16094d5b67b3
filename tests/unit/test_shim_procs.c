/* Processes sharing the preload library's stack, over its loopback (the
 * test re-executes itself with libmynet.so preloaded, see
 * helpers/preload.h): what Linux gives processes that share sockets
 * through fork and exec.  Each socket is held by the processes that have
 * a descriptor for it: a child that exits, however it exits or whatever
 * it closes first, lets go of its own holds only; a program exec()ed
 * takes up what it inherited and loses what was close-on-exec; a process
 * killed, even while inside the stack, is let go of, and what it alone
 * held closes as the kernel closes a dead process's sockets. */
#include "helpers/lo.h"
#include "helpers/preload.h"
#include "helpers/run.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int tcp_connect(int port)
{
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
  return c;
}

/* A bound on every blocking receive, so that a failure is reported, not
 * a hang; no test depends on how long anything takes. */
static void bound_recv(int fd)
{
  struct timeval tv = {.tv_sec = 10};
  ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
}

static void expect_text(int fd, const char *want)
{
  char buf[128];
  size_t n = strlen(want), got = 0;
  bound_recv(fd);
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    ck_assert_msg(r > 0, "recv: %zd (%s) after %zu of '%s'", r, strerror(errno), got, want);
    got += (size_t)r;
  }
  ck_assert_mem_eq(buf, want, n);
}

/* Both directions still work and no end of stream has been seen. */
static void assert_open(int c, int s, const char *tag)
{
  char buf[8];
  ck_assert_msg(recv(c, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN,
                "%s: the client sees an end or data", tag);
  ck_assert_msg(recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN,
                "%s: the server side sees an end or data", tag);
  ck_assert_int_eq(send(c, "ping", 4, 0), 4);
  expect_text(s, "ping");
  ck_assert_int_eq(send(s, "pong", 4, 0), 4);
  expect_text(c, "pong");
}

static int wait_status(pid_t pid)
{
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return status;
}

static void wait_ok(pid_t pid)
{
  int status = wait_status(pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

/* --- fork ---------------------------------------------------------------- */

START_TEST(test_parent_and_child_accept_on_one_listener_and_share_a_connection)
{
  int c, s;
  tcp_pair(9601, &c, &s);
  int l = tcp_listener(9602);
  pid_t pid = fork();
  if (pid == 0) {
    int a = accept(l, NULL, NULL);
    bool ok = a >= 0 && send(a, "child", 5, 0) == 5 && close(a) == 0;
    ok = ok && send(s, "from the child", 14, 0) == 14;
    _exit(ok ? 0 : 1);
  }
  /* Two clients: the child accepts one, the parent the other. */
  int k1 = tcp_connect(9602), k2 = tcp_connect(9602);
  int a = accept(l, NULL, NULL);
  ck_assert_int_ge(a, 0);
  ck_assert_int_eq(send(a, "paren", 5, 0), 5);
  char b1[5], b2[5];
  bound_recv(k1);
  bound_recv(k2);
  ck_assert_int_eq(recv(k1, b1, 5, MSG_WAITALL), 5);
  ck_assert_int_eq(recv(k2, b2, 5, MSG_WAITALL), 5);
  ck_assert_msg((memcmp(b1, "child", 5) == 0 && memcmp(b2, "paren", 5) == 0) ||
                    (memcmp(b1, "paren", 5) == 0 && memcmp(b2, "child", 5) == 0),
                "answers '%.5s' and '%.5s'", b1, b2);
  expect_text(c, "from the child");
  wait_ok(pid);
  assert_open(c, s, "after the child's exit");
  close(a);
  close(k1);
  close(k2);
  close(l);
  close(c);
  close(s);
}
END_TEST

enum child_end { END_EXIT_, END_EXIT, END_CLOSE_RANGE, END_CLOSE_LOOP, END_RETURN_FROM_MAIN };

static void end_child(enum child_end how, int s)
{
  char buf[4];
  /* The child uses the socket first: a hold that is in use. */
  if (send(s, "x", 1, 0) != 1 || recv(s, buf, 1, 0) != 1)
    _exit(2);
  switch (how) {
  case END_EXIT_:
    _exit(0);
  case END_EXIT:
    exit(0);
  case END_CLOSE_RANGE:
    close_range(3, ~0U, 0);
    exit(0);
  case END_CLOSE_LOOP:
    for (int fd = 3; fd < 1024; fd++)
      close(fd);
    _exit(0);
  case END_RETURN_FROM_MAIN: {
    /* A shell's subshell: the image ends by exec'ing something else. */
    char *argv[] = {"/bin/true", NULL};
    execv(argv[0], argv);
    _exit(3);
  }
  }
}

START_TEST(test_a_child_however_it_ends_leaves_the_parents_connection_open)
{
  int c, s;
  tcp_pair(9611, &c, &s);
  static const char *const names[] = {"_exit", "exit", "close_range then exit",
                                      "close every fd then _exit", "exec of /bin/true"};
  for (int how = END_EXIT_; how <= END_RETURN_FROM_MAIN; how++) {
    pid_t pid = fork();
    if (pid == 0)
      end_child((enum child_end)how, s);
    char buf[1];
    bound_recv(c);
    ck_assert_int_eq(recv(c, buf, 1, 0), 1);
    ck_assert_int_eq(send(c, "y", 1, 0), 1);
    wait_ok(pid);
    assert_open(c, s, names[how]);
  }
  close(c);
  close(s);
}
END_TEST

/* --- exec ---------------------------------------------------------------- */

/* The program exec()ed: argv[2] an inherited socket, argv[3] one that was
 * close-on-exec.  Exit status: the step that failed. */
static int exec_child(char **argv)
{
  int s = atoi(argv[2]), gone = atoi(argv[3]);
  if (!is_stack_socket(s))
    return 10;
  if (fcntl(gone, F_GETFD) != -1 || errno != EBADF)
    return 11;
  char buf[32];
  struct timeval tv = {.tv_sec = 10};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (recv(s, buf, 11, MSG_WAITALL) != 11 || memcmp(buf, "from parent", 11) != 0)
    return 12;
  if (send(s, "from exec", 9, 0) != 9)
    return 13;
  /* The stack is the parent's: a listener there is reachable. */
  int k = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr(9622);
  if (connect(k, (struct sockaddr *)&a, sizeof a) != 0 || send(k, "new", 3, 0) != 3)
    return 14;
  close(k);
  return 0;
}

/* Spawned with a socket as its standard input and output, as inetd and
 * socat's EXEC do: it answers what it reads with read() and write(). */
static int stdio_child(void)
{
  char buf[32];
  ssize_t n = read(0, buf, 5);
  if (n != 5 || memcmp(buf, "hello", 5) != 0)
    return 20;
  if (write(1, "HELLO", 5) != 5)
    return 21;
  return 0;
}

/* Spawned the same way, a program of the usual kind: stdio (whose reads
 * and writes are libc's own calls), its answer left for exit to flush,
 * the peer's address asked of its standard input.  argv[2]: the peer's
 * port.  Exit status: the step that failed. */
static int stdio_libc_child(char **argv)
{
  char line[64];
  if (!fgets(line, sizeof line, stdin) || strcmp(line, "question\n") != 0)
    return 30;
  struct sockaddr_in peer;
  socklen_t len = sizeof peer;
  if (getpeername(0, (struct sockaddr *)&peer, &len) != 0 || peer.sin_family != AF_INET ||
      peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK) || ntohs(peer.sin_port) != atoi(argv[2]))
    return 31;
  int on = 1;
  if (setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    return 32;
  struct stat st;
  if (fstat(1, &st) != 0 || !S_ISSOCK(st.st_mode))
    return 33;
  printf("answer to the %s", line); /* no fflush: exit writes it */
  return 0;
}

/* The local port of socket fd, as text for a child's argv. */
static void local_port_text(int fd, char *text, size_t size)
{
  struct sockaddr_in me;
  socklen_t len = sizeof me;
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &len), 0);
  snprintf(text, size, "%d", ntohs(me.sin_port));
}

/* The exchange with stdio-libc-child, peer c: its answer (which waits in
 * the stack while the program exits), then the end its exit made. */
static void expect_stdio_answer(int c, pid_t pid)
{
  ck_assert_int_eq(send(c, "question\n", 9, 0), 9);
  wait_ok(pid);
  expect_text(c, "answer to the question\n");
  char buf[8];
  ck_assert_int_eq(recv(c, buf, sizeof buf, 0), 0);
  close(c);
}

START_TEST(test_a_program_execd_on_a_socket_as_stdio_may_use_stdio)
{
#if defined(__SANITIZE_THREAD__)
  return; /* exec cannot share the region there (see above) */
#endif
  int c, s;
  tcp_pair(9661, &c, &s);
  char port[16];
  local_port_text(c, port, sizeof port);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, s, 0);
  posix_spawn_file_actions_adddup2(&fa, s, 1);
  char *argv[] = {"test_shim_procs", "stdio-libc-child", port, NULL};
  pid_t pid;
  ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(s); /* the program is the socket's last holder */
  expect_stdio_answer(c, pid);
}
END_TEST

/* python's subprocess: a vfork() child moves the socket onto its
 * standard input and output with its own dup2, closes every other
 * descriptor (the library's own among them, as far as it knows), then
 * exec()s; the parent closes its copy as soon as vfork() returns, before
 * the program has loaded the library. */
START_TEST(test_a_program_execd_from_a_vfork_child_keeps_its_socket)
{
#if defined(__SANITIZE_THREAD__)
  return; /* exec cannot share the region there (see above) */
#endif
  int c, s;
  tcp_pair(9671, &c, &s);
  char port[16];
  local_port_text(c, port, sizeof port);
  char *argv[] = {"test_shim_procs", "stdio-libc-child", port, NULL};
  pid_t pid = vfork();
  if (pid == 0) {
    if (dup2(s, 0) != 0 || dup2(s, 1) != 1 || close_range(3, ~0u, 0) != 0)
      _exit(98);
    execve("/proc/self/exe", argv, environ);
    _exit(99);
  }
  ck_assert_int_gt(pid, 0);
  close(s); /* the program is the socket's last holder */
  expect_stdio_answer(c, pid);
}
END_TEST

START_TEST(test_a_program_execd_takes_up_its_inherited_sockets_but_not_cloexec_ones)
{
#if defined(__SANITIZE_THREAD__)
  /* ThreadSanitizer keeps the address the region is mapped at everywhere
   * else (shim/shared.h): only fork shares it. */
  return;
#endif
  int c, s;
  tcp_pair(9621, &c, &s);
  int l = tcp_listener(9622);
  int gone = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ck_assert(is_stack_socket(gone));
  char sfd[16], gfd[16];
  snprintf(sfd, sizeof sfd, "%d", s);
  snprintf(gfd, sizeof gfd, "%d", gone);
  /* The environment is scrubbed to what loads the library: the program
   * finds its stack by the descriptors it holds. */
  char preload[4096], asan[512];
  snprintf(preload, sizeof preload, "LD_PRELOAD=%s", getenv("LD_PRELOAD"));
  snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s",
           getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "");
  char *env[] = {preload, asan, "MN_TEST_PRELOADED=1", "CK_FORK=no", NULL};
  char *argv[] = {"test_shim_procs", "exec-child", sfd, gfd, NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", argv, env);
    _exit(99);
  }
  ck_assert_int_eq(send(c, "from parent", 11, 0), 11);
  expect_text(c, "from exec");
  int a = accept(l, NULL, NULL);
  ck_assert_int_ge(a, 0);
  expect_text(a, "new");
  wait_ok(pid);
  assert_open(c, s, "after the exec()ed child's exit");
  /* The close-on-exec socket is still the parent's. */
  struct sockaddr_in any = lo_addr(0);
  ck_assert_int_eq(bind(gone, (struct sockaddr *)&any, sizeof any), 0);

  /* posix_spawn with the socket as stdin and stdout. */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, s, 0);
  posix_spawn_file_actions_adddup2(&fa, s, 1);
  char *sargv[] = {"test_shim_procs", "stdio-child", NULL};
  ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, sargv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  ck_assert_int_eq(send(c, "hello", 5, 0), 5);
  expect_text(c, "HELLO");
  wait_ok(pid);
  assert_open(c, s, "after the spawned child's exit");
  close(a);
  close(l);
  close(gone);
  close(c);
  close(s);
}
END_TEST

/* --- death --------------------------------------------------------------- */

/* A child that holds what it inherited and waits to be killed. */
static pid_t holder(int ready_fd)
{
  pid_t pid = fork();
  if (pid == 0) {
    (void)!write(ready_fd, "r", 1);
    for (;;)
      pause();
  }
  return pid;
}

static void kill_holder(pid_t pid)
{
  kill(pid, SIGKILL);
  int status = wait_status(pid);
  ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(test_what_a_killed_process_alone_held_closes_as_the_kernel_closes_it)
{
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  int c1, s1, c2, s2;
  tcp_pair(9631, &c1, &s1);
  tcp_pair(9632, &c2, &s2);
  int l = tcp_listener(9633);
  ck_assert_int_eq(send(c2, "unread", 6, 0), 6); /* s2 will die with data unread */
  pid_t pid = holder(ready[1]);
  char r;
  ck_assert_int_eq(read(ready[0], &r, 1), 1);
  /* The child is now the only holder of s1, s2 and the listener. */
  close(s1);
  close(s2);
  close(l);
  char buf[8];
  ck_assert_int_eq(recv(c1, buf, sizeof buf, MSG_DONTWAIT), -1);
  ck_assert_int_eq(errno, EAGAIN);
  kill_holder(pid);
  bound_recv(c1);
  ck_assert_int_eq(recv(c1, buf, sizeof buf, 0), 0); /* FIN */
  bound_recv(c2);
  ck_assert_int_eq(recv(c2, buf, sizeof buf, 0), -1); /* RST: data left unread */
  ck_assert_int_eq(errno, ECONNRESET);
  int k = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr(9633);
  ck_assert_int_eq(connect(k, (struct sockaddr *)&a, sizeof a), -1);
  ck_assert_int_eq(errno, ECONNREFUSED);
  close(k);
  close(c1);
  close(c2);
  close(ready[0]);
  close(ready[1]);
}
END_TEST

START_TEST(test_a_killed_process_that_shared_a_socket_leaves_it_to_the_survivor)
{
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  int c, s;
  tcp_pair(9641, &c, &s);
  pid_t pid = holder(ready[1]);
  char r;
  ck_assert_int_eq(read(ready[0], &r, 1), 1);
  kill_holder(pid);
  assert_open(c, s, "after the other holder was killed");
  close(c);
  close(s);
  close(ready[0]);
  close(ready[1]);
}
END_TEST

/* Threads in a tight loop of stack calls, each one taking the stack lock:
 * a SIGKILL lands inside the stack as often as not. */
static void *busy_main(void *arg)
{
  int *pair = arg;
  char b;
  for (;;) {
    if (send(pair[0], "z", 1, 0) == 1)
      (void)!recv(pair[1], &b, 1, 0);
    int v;
    socklen_t len = sizeof v;
    getsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &v, &len);
  }
  return NULL;
}

START_TEST(test_processes_killed_while_busy_in_the_stack_leave_it_working)
{
  int c, s;
  tcp_pair(9651, &c, &s);
  for (int round = 0; round < 10; round++) {
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
      static int pairs[2][2];
      for (int i = 0; i < 2; i++) {
        int l = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = lo_addr(0);
        socklen_t alen = sizeof a;
        if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
            getsockname(l, (struct sockaddr *)&a, &alen))
          _exit(2);
        pairs[i][0] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(pairs[i][0], (struct sockaddr *)&a, sizeof a))
          _exit(3);
        pairs[i][1] = accept(l, NULL, NULL);
        pthread_t t;
        pthread_create(&t, NULL, busy_main, pairs[i]);
      }
      (void)!write(ready[1], "r", 1);
      for (;;)
        pause();
    }
    char r;
    ck_assert_int_eq(read(ready[0], &r, 1), 1);
    usleep(1000 * (unsigned)(round % 5)); /* a different moment each round */
    kill_holder(pid);
    assert_open(c, s, "after a busy process was killed");
    close(ready[0]);
    close(ready[1]);
  }
  close(c);
  close(s);
}
END_TEST

static Suite *procs_suite(void)
{
  Suite *su = suite_create("shim_procs");
  TCase *tc = tcase_create("fork");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_parent_and_child_accept_on_one_listener_and_share_a_connection);
  tcase_add_test(tc, test_a_child_however_it_ends_leaves_the_parents_connection_open);
  suite_add_tcase(su, tc);
  tc = tcase_create("exec");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_a_program_execd_takes_up_its_inherited_sockets_but_not_cloexec_ones);
  tcase_add_test(tc, test_a_program_execd_on_a_socket_as_stdio_may_use_stdio);
  tcase_add_test(tc, test_a_program_execd_from_a_vfork_child_keeps_its_socket);
  suite_add_tcase(su, tc);
  tc = tcase_create("death");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_what_a_killed_process_alone_held_closes_as_the_kernel_closes_it);
  tcase_add_test(tc, test_a_killed_process_that_shared_a_socket_leaves_it_to_the_survivor);
  tcase_add_test(tc, test_processes_killed_while_busy_in_the_stack_leave_it_working);
  suite_add_tcase(su, tc);
  return su;
}

int main(int argc, char **argv)
{
  if (!mn_test_preloaded())
    return mn_test_reexec_preloaded(argv);
  if (argc > 3 && strcmp(argv[1], "exec-child") == 0)
    return exec_child(argv);
  if (argc > 1 && strcmp(argv[1], "stdio-child") == 0)
    return stdio_child();
  if (argc > 2 && strcmp(argv[1], "stdio-libc-child") == 0)
    return stdio_libc_child(argv);
  return mn_test_run_in_process(procs_suite());
}
