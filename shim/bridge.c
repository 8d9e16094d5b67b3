/* Relays for the standard descriptors of a program exec()ed on a stack
 * socket (bridge.h). */
#include "shim.h"

#include "bridge.h"
#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELAY_BUF (64 * 1024)

/* One direction: bytes read from `from`, not yet all written to `to`. */
struct pump {
  int from, to;
  char *buf;
  size_t len, off;
  bool eof;  /* from has ended: pass the end on once buf is written */
  bool done; /* the end was passed on, or to can take nothing more */
};

/* The end of `from` passed on to `to` as a shutdown.  Except where
 * `from` is the program's end and every copy of it is closed (POLLHUP
 * rather than its shutdown): a process closing its copies of a socket
 * ends nothing for the others that hold it, and the stack closes the
 * socket when its last holder, the program or this relay, lets go. */
static void pump_finish(struct pump *p, int program_end)
{
  struct pollfd hup = {.fd = program_end};
  bool closed = p->from == program_end && poll(&hup, 1, 0) == 1 && (hup.revents & POLLHUP);
  if (!p->done && !closed)
    shutdown(p->to, SHUT_WR);
  p->done = true;
}

/* Moves what it can without blocking. */
static void pump_run(struct pump *p, short from_ev, short to_ev, int program_end)
{
  if (p->done)
    return;
  if (p->len == p->off && !p->eof && (from_ev & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = recv(p->from, p->buf, RELAY_BUF, MSG_DONTWAIT);
    if (n > 0) {
      p->len = (size_t)n;
      p->off = 0;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      p->eof = true; /* an end of file, or a reset: either ends it */
    }
  }
  if (p->off < p->len && (to_ev & (POLLOUT | POLLHUP | POLLERR))) {
    ssize_t n = send(p->to, p->buf + p->off, p->len - p->off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0)
      p->off += (size_t)n;
    else if (n < 0 && errno != EAGAIN && errno != EINTR)
      p->done = true; /* nobody reads on: what remains is dropped */
  }
  if (p->eof && p->off == p->len)
    pump_finish(p, program_end);
}

/* The relay process: every descriptor but the stack socket and its end
 * of the pair is closed (so it holds nothing else of the program's),
 * then bytes move both ways until both have ended. */
static _Noreturn void relay_main(int sock, int end)
{
  setsid(); /* out of the program's process group and its signals */
  prctl(PR_SET_NAME, "mynet-relay");
  signal(SIGPIPE, SIG_IGN);
  if (chdir("/") != 0) {
    /* stays where it was: it keeps nothing open there */
  }
  /* Closed in rounds: closing while reading the directory skips some. */
  for (int n = -1; n != 0;) {
    int fds[64];
    n = 0;
    DIR *d = opendir("/proc/self/fd");
    for (struct dirent *e; d && (e = readdir(d)) != NULL && n < 64;) {
      int fd = atoi(e->d_name);
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd != dirfd(d) && fd != sock && fd != end &&
          !shim_fd_internal(fd))
        fds[n++] = fd;
    }
    if (d)
      closedir(d);
    for (int i = 0; i < n; i++)
      close(fds[i]);
  }
  int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2 && null >= 0; fd++)
    if (fd != sock && fd != end && fcntl(fd, F_GETFD) < 0)
      dup2(null, fd);
  if (null > 2)
    close(null);

  static char in_buf[RELAY_BUF], out_buf[RELAY_BUF];
  struct pump in = {.from = sock, .to = end, .buf = in_buf};
  struct pump out = {.from = end, .to = sock, .buf = out_buf};
  while (!(in.done && out.done)) {
    struct pollfd p[2] = {{.fd = sock}, {.fd = end}};
    if (!in.done)
      p[in.off < in.len ? 1 : 0].events |= in.off < in.len ? POLLOUT : POLLIN;
    if (!out.done)
      p[out.off < out.len ? 0 : 1].events |= out.off < out.len ? POLLOUT : POLLIN;
    if (poll(p, 2, -1) < 0 && errno != EINTR)
      break;
    pump_run(&in, p[0].revents, p[1].revents, end);
    pump_run(&out, p[1].revents, p[0].revents, end);
    /* Every copy of the program's end is closed (its exit, or a close of
     * all its standard descriptors): it reads nothing more, as a socket
     * closed on the kernel takes nothing more. */
    if ((p[1].revents & POLLHUP) && in.off == in.len)
      in.done = true;
  }
  close(end);
  close(sock); /* the program's hold, if it still has one, keeps it open */
  /* Not exit(): forked in the library's constructor, before libc set up
   * the destructors' run, the relay would end without leaving the stack
   * (its driver thread possibly inside it). */
  shim_exit_stack();
  REAL(_exit)(0);
  __builtin_unreachable();
}

static void bridge(struct shim_sock *ss, int number)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    shim_log(MYNET_LOG_ERROR, "fd %d: no socket pair for the relay (%s); stdio on it will fail",
             number, strerror(errno));
    return;
  }
  /* Twice, so that the relay is not the program's child: a program that
   * waits for any child must never see it. */
  pid_t mid = fork();
  if (mid == 0) {
    pid_t relay = fork();
    if (relay == 0)
      relay_main(number, sv[1]);
    _exit(relay < 0);
  }
  int status = 1;
  if (mid > 0)
    waitpid(mid, &status, 0);
  REAL(close)(sv[1]);
  if (mid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    shim_log(MYNET_LOG_ERROR, "fd %d: cannot start the relay process; stdio on it will fail",
             number);
    REAL(close)(sv[0]);
    return;
  }
  shim_lock();
  shim_sock_bridge(ss, sv[0]);
  shim_unlock();
  REAL(close)(sv[0]);
}

void shim_bridge_stdio(void)
{
  for (int fd = 0; fd <= 2; fd++) {
    struct shim_sock *ss = shim_fd_sock(fd);
    if (ss && ss->type == SOCK_STREAM)
      bridge(ss, fd);
  }
}
