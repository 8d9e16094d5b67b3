/* Threads blocked in socket calls: a thread blocked in recv(), accept()
 * or poll() is cancelled (pthread_cancel) and joined, and the program
 * carries on: other sockets make a full round trip and the cancelled
 * thread's socket can still be used and closed.  Two threads blocked at
 * once each get their own data. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum call { CALL_RECV, CALL_ACCEPT, CALL_POLL };

struct blocked {
  int fd;
  enum call call;
  volatile pid_t tid;
  ssize_t ret;
};

static void *blocked_main(void *arg)
{
  struct blocked *b = arg;
  char buf[64];
  b->tid = gettid();
  switch (b->call) {
  case CALL_RECV:
    b->ret = recv(b->fd, buf, sizeof buf, 0);
    break;
  case CALL_ACCEPT:
    b->ret = accept(b->fd, NULL, NULL);
    break;
  case CALL_POLL: {
    struct pollfd p = {b->fd, POLLIN, 0};
    b->ret = poll(&p, 1, -1);
    break;
  }
  }
  return NULL;
}

/* Start a thread blocked in the call; true once it sleeps there. */
static bool start_blocked(struct blocked *b, pthread_t *t)
{
  b->tid = 0;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int rc = pthread_create(t, NULL, blocked_main, b);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return false;
  for (int i = 0; i < 300 && b->tid == 0; i++)
    sleep_ms(10);
  return b->tid != 0 && wait_blocked(b->tid, 5000);
}

static void cancel_and_join(const char *label, pthread_t t)
{
  char l[96];
  snprintf(l, sizeof l, "%s.cancel", label);
  errno = pthread_cancel(t);
  out_rc(l, errno ? -1 : 0);
  void *ret = NULL;
  int rc = pthread_join(t, &ret);
  out("%s.joined %s", label, rc ? errname(rc) : ret == PTHREAD_CANCELED ? "canceled" : "returned");
}

/* A round trip on a new connection: the stack still works. */
static void echo_round_trip(const char *label)
{
  char l[96], buf[8];
  int e = data_conn(label);
  if (e < 0)
    return;
  snprintf(l, sizeof l, "%s.echo_peer", label);
  write(e, "ping", 4);
  peer_show(l, "echo 4");
  ssize_t n = read_full(e, buf, 4);
  out("%s.echo %.*s", label, n > 0 ? (int)n : 0, buf);
  close(e);
  peer_cmd("close");
}

static void cancel_recv(void)
{
  int d = data_conn("cancel_recv");
  if (d < 0)
    return;
  int slot = P.last_slot;
  struct blocked b = {.fd = d, .call = CALL_RECV};
  pthread_t t;
  out("cancel_recv.blocked %d", start_blocked(&b, &t));
  cancel_and_join("cancel_recv", t);
  echo_round_trip("cancel_recv");
  /* The cancelled thread's socket still works, and closes. */
  peer_cmd("use %d", slot);
  peer_cmd("sendstr abc");
  char buf[8];
  wait_inq(d, 3, 3000);
  ssize_t n = read(d, buf, sizeof buf);
  out("cancel_recv.socket_after %.*s", n > 0 ? (int)n : 0, buf);
  out_val("cancel_recv.close", close(d));
  peer_show("cancel_recv.peer_after_close", "waiteof 3000");
  peer_cmd("close");
}

static void cancel_accept(void)
{
  int l = tcp_socket();
  struct sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 4);
  getsockname(l, (struct sockaddr *)&a, &len);
  struct blocked b = {.fd = l, .call = CALL_ACCEPT};
  pthread_t t;
  out("cancel_accept.blocked %d", start_blocked(&b, &t));
  cancel_and_join("cancel_accept", t);
  echo_round_trip("cancel_accept");
  peer_show("cancel_accept.peer_connect", "connectback %d", ntohs(a.sin_port));
  int c = accept(l, NULL, NULL);
  out_rc("cancel_accept.accept_after", c);
  write(c, "hi", 2);
  peer_show("cancel_accept.peer", "read 2");
  close(c);
  peer_cmd("close");
  out_val("cancel_accept.close", close(l));
}

static void cancel_poll(void)
{
  int d = data_conn("cancel_poll");
  if (d < 0)
    return;
  struct blocked b = {.fd = d, .call = CALL_POLL};
  pthread_t t;
  out("cancel_poll.blocked %d", start_blocked(&b, &t));
  cancel_and_join("cancel_poll", t);
  peer_cmd("send 3");
  char m[MASKBUF];
  out("cancel_poll.poll_after %s", mask_str((uint16_t)wait_events(d, POLLIN, 3000), m));
  out_val("cancel_poll.close", close(d));
  peer_show("cancel_poll.peer_after_close", "waiteof 3000");
  peer_cmd("close");
}

static void two_blocked(void)
{
  int d1 = data_conn("two_blocked");
  int s1 = P.last_slot;
  int d2 = data_conn("two_blocked");
  int s2 = P.last_slot;
  if (d1 < 0 || d2 < 0)
    return;
  struct blocked b1 = {.fd = d1, .call = CALL_RECV}, b2 = {.fd = d2, .call = CALL_RECV};
  pthread_t t1, t2;
  out("two_blocked.first_blocked %d", start_blocked(&b1, &t1));
  out("two_blocked.second_blocked %d", start_blocked(&b2, &t2));
  peer_cmd("use %d", s2);
  peer_cmd("send 4");
  pthread_join(t2, NULL);
  out_val("two_blocked.second_recv", b2.ret);
  peer_cmd("use %d", s1);
  peer_cmd("send 3");
  pthread_join(t1, NULL);
  out_val("two_blocked.first_recv", b1.ret);
  close(d1);
  close(d2);
  peer_cmd("close");
  peer_cmd("use %d", s2);
  peer_cmd("close");
}

const struct scenario thread_scenarios[] = {
    {"cancel_recv", cancel_recv, ON_BOTH, 0},
    {"cancel_accept", cancel_accept, ON_BOTH, 0},
    {"cancel_poll", cancel_poll, ON_BOTH, 0},
    {"two_blocked", two_blocked, ON_BOTH, 0},
    {NULL, NULL, 0, 0},
};
