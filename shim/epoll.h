/* epoll over stack sockets.
 *
 * Every epoll instance the program creates is a real kernel epoll, so it
 * can be waited on, nested in poll() or in another epoll, and passed
 * around like any descriptor; kernel fds are registered in it directly.
 * A stack socket cannot be: its eventfd's readiness is shared by every
 * waiter.  So the instance keeps the stack sockets' registrations here, as
 * items with their own ready list, evaluated under the stack lock whenever
 * a socket's events change (level-triggered, EPOLLET, EPOLLONESHOT as the
 * kernel's ep_poll_callback and ep_send_events treat them).  One internal
 * eventfd, registered in the kernel epoll, is readable while that list is
 * not empty: a thread blocked in the kernel's epoll_wait wakes for stack
 * sockets too, and the instance is readable to whoever polls it. */
#ifndef SHIM_EPOLL_H
#define SHIM_EPOLL_H

#include "file.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct shim_sock;
struct shim_epoll;

/* The data of the internal eventfd's registration, filtered out of what
 * the kernel's epoll_wait returns. */
#define SHIM_EPOLL_SIGNAL_DATA UINT64_C(0x6d796e65742d6570)

struct shim_epitem {
  struct shim_epoll *ep;
  struct shim_sock *ss;
  int fd;          /* with ss, the key: the kernel's is (file, fd) */
  uint32_t events; /* as registered, flags included */
  epoll_data_t data;
  uint32_t last;   /* the events seen at the last look, for edges */
  uint32_t rx_gen; /* the socket's input generation at the last look */
  bool ready;      /* on ep's ready list */
  bool disabled;   /* EPOLLONESHOT fired: silent until EPOLL_CTL_MOD */
  struct shim_epitem *ep_next, *ep_prev;
  struct shim_epitem *ss_next, *ss_prev;
  struct shim_epitem *rd_next, *rd_prev;
};

struct shim_epoll {
  struct shim_file file; /* SHIM_FILE_EPOLL; nfds descriptor numbers */
  unsigned refs;         /* numbers + calls in progress */
  int sigfd;             /* internal eventfd, -1 until a stack socket is added */
  bool sig_level;
  bool closed;
  unsigned nitems;
  struct shim_epitem *items;
  struct shim_epitem *ready_head, *ready_tail;
};

/* All under the stack lock. */

/* A new instance for the kernel epoll fd; 0 or a negative errno. */
int shim_epoll_open(int fd);
/* fd (a copy of one of the instance's numbers) becomes one more number. */
int shim_epoll_add_fd(struct shim_epoll *ep, int fd);
/* As shim_sock_drop_fd(): with the last number the instance is released. */
int shim_epoll_drop_fd(struct shim_epoll *ep, int fd, bool close_fd);
void shim_epoll_ref(struct shim_epoll *ep);
void shim_epoll_unref(struct shim_epoll *ep);

/* EPOLL_CTL_ADD/MOD/DEL of stack socket ss under number fd, with the
 * kernel's checks; epfd is a number of ep (to register the internal
 * eventfd on first use).  ev may be NULL for DEL.  0 or a negative errno. */
int shim_epoll_ctl(struct shim_epoll *ep, int epfd, int op, struct shim_sock *ss, int fd,
                   const struct epoll_event *ev);

/* Moves up to max ready events of stack sockets into out, as
 * ep_send_events does: level-triggered items stay ready (behind the
 * others), edge-triggered ones wait for the next edge, one-shot ones are
 * disabled.  Returns how many. */
int shim_epoll_harvest(struct shim_epoll *ep, struct epoll_event *out, int max);

/* Drops the internal eventfd's entries from what the kernel returned;
 * returns how many are left. */
int shim_epoll_filter(struct epoll_event *ev, int n);

/* Called by the socket when its events (poll bits) or its input
 * generation may have changed, and when it is released. */
void shim_epoll_sock_changed(struct shim_sock *ss, unsigned events, uint32_t rx_gen);
void shim_epoll_sock_closed(struct shim_sock *ss);

#endif
