/* A stack socket as the shim sees it: the stack's socket, its eventfd and
 * the per-open-file state (O_NONBLOCK, timeouts), shared by every
 * descriptor number that refers to it (dup) and reference counted so that
 * calls in progress keep it alive.
 *
 * Three kinds of waiting, each woken when the socket's events change:
 * - A blocking call (recv, send, accept, connect) sleeps on a futex, the
 *   stack socket's wake word (mynet_sock_wake_word).  A futex wait without a timeout is restarted
 * by the kernel after a handler installed with SA_RESTART and fails with EINTR otherwise; with a
 * timeout it always fails with EINTR: exactly what signal(7) says of sockets with and without
 * SO_RCVTIMEO/SO_SNDTIMEO.
 * - poll/select wait in the kernel on the eventfd (the fd number itself),
 *   which is readable while the socket has an event that a registered
 *   poller asked for (or POLLERR/POLLHUP): no registered poller, no
 *   system call on the eventfd.
 * - epoll keeps items on the socket (epoll.h), evaluated on every change. */
#ifndef SHIM_SOCK_H
#define SHIM_SOCK_H

#include "file.h"

#include <mynet/socket.h>
#include <stdbool.h>
#include <stdint.h>

struct shim_epitem;

struct shim_sock {
  struct shim_file file; /* SHIM_FILE_SOCK; nfds descriptor numbers */
  mynet_sock *s;         /* our reference (mynet_sock_ref) */
  /* One of the program's numbers for the socket (they all refer to the
   * one eventfd), for updating its level; -1 once none is left. */
  int evfd;
  uint32_t evid; /* the eventfd's kernel id (shim_eventfd_id), 0 if unknown */
  int type;      /* SOCK_STREAM or SOCK_DGRAM */
  unsigned refs; /* descriptor numbers + calls in progress */
  /* poll/select callers registered for each kind of event. */
  unsigned pollers, poll_in, poll_out, poll_pri, poll_rdhup;
  struct shim_epitem *items; /* epoll registrations (epoll.h) */
  bool level;                /* the eventfd is readable now */
  bool closed;               /* the last descriptor is gone: calls fail with EBADF */
};

/* Its numbers are a kernel socket relayed to it (bridge.h). */
static inline bool shim_sock_bridged(const struct shim_sock *ss)
{
  return ss->file.kind == SHIM_FILE_BRIDGED;
}

/* O_NONBLOCK of the open file (kept in the stack's shared memory). */
static inline bool shim_sock_nonblock(const struct shim_sock *ss)
{
  return mynet_sock_driver(ss->s)->nonblock;
}

/* If fd is one of our sockets: takes the stack lock and a reference and
 * returns it.  Otherwise returns NULL without the lock (the caller passes
 * the call on to libc). */
struct shim_sock *shim_sock_lock(int fd);
/* The same for the calls on the socket itself rather than its data
 * (addresses, options): also a bridged socket. */
struct shim_sock *shim_sock_lock_control(int fd);
/* Updates readiness, drops the reference and the lock; keeps errno. */
void shim_sock_unlock(struct shim_sock *ss);

/* 0 if calls may proceed; -EBADF once closed (by another thread while
 * this one waited). */
int shim_sock_check(const struct shim_sock *ss);

/* Under the lock: wraps a new stack socket (from mynet_socket or
 * mynet_accept) in a fresh eventfd and enters it in the fd table.  flags:
 * SOCK_NONBLOCK, SOCK_CLOEXEC.  Returns the fd, or a negative errno after
 * closing s. */
int shim_sock_open(mynet_sock *s, int type, int flags);

/* Under the lock: fd (already open in the kernel, a copy of one of the
 * socket's numbers) becomes one more number of the socket. */
int shim_sock_add_fd(struct shim_sock *ss, int fd);
/* Under the lock: fd stops referring to the socket.  If close_fd, the
 * number is closed here (otherwise the kernel already reused it: dup2,
 * close_range).  With the last number the socket is closed in the stack,
 * as the kernel releases a file.  Returns 0 or a negative errno of the
 * kernel's close(). */
int shim_sock_drop_fd(struct shim_sock *ss, int fd, bool close_fd);

/* Under the lock, called with exactly one reference of the caller's own
 * (shim_sock_lock's): sleeps until the socket's events may have changed in
 * a way that matters for events (POLLIN, POLLOUT), dropping the lock
 * meanwhile.  Returns 0 (look again), -EINTR (a signal whose handler was
 * not installed with SA_RESTART, or any handler when there is a
 * deadline), -ETIMEDOUT (deadline passed), -EBADF (closed meanwhile).  If
 * the thread is cancelled while asleep, the caller's reference is dropped
 * and the lock is not held. */
int shim_sock_wait(struct shim_sock *ss, unsigned events, mynet_time deadline);

/* Under the lock: poll(2)'s view of the socket for the requested events
 * (POLLRDNORM/POLLWRNORM included; POLLERR/POLLHUP always; POLLNVAL once
 * closed). */
short shim_sock_revents(const struct shim_sock *ss, short events);

/* Under the lock: register (+1) or drop (-1) a poll/select caller's
 * interest in events, updating the eventfd. */
void shim_sock_interest(struct shim_sock *ss, short events, int delta);

void shim_sock_ref(struct shim_sock *ss);
void shim_sock_unref(struct shim_sock *ss);

/* Under the lock, called by shim_unlock(): bring the waiters of every
 * socket the stack woke during this hold of the lock up to date. */
void shim_sock_flush(void);

/* Under the lock, at exit: closes every socket still open in the stack
 * (as the kernel does when a process exits) without closing any fd. */
void shim_sock_release_all(void);

/* fork(): under the lock in the parent, the child (process slot
 * child_slot) gets a hold on every socket open here; undone if fork
 * fails.  In the child, each socket gets an eventfd of the child's own. */
void shim_sock_fork_prepare(int child_slot);
void shim_sock_fork_failed(int child_slot);
void shim_sock_fork_child(void);

/* Under the lock: the process in slot lets go of s (the last of its
 * numbers closed, or the process is gone); with no holder left the socket
 * is closed in the stack. */
void shim_sock_let_go(mynet_sock *s, int slot);

/* Under the lock, when this process's bell rang: look again at the
 * sockets other processes queued for it. */
void shim_sock_bell(void);

/* Under the lock, after exec: take up the inherited sockets that the
 * record in from_slot names (shim_sock.c says how). */
struct shim_shared;
void shim_sock_adopt(struct shim_shared *sh, int from_slot, bool fresh);

/* Under the lock: every number of ss becomes a copy of kfd, a kernel
 * socket relayed to it (bridge.h); the wrapper stays, for the socket's
 * hold, addresses and options. */
void shim_sock_bridge(struct shim_sock *ss, int kfd);

/* Under the lock: this process watches ss (poll or epoll) or stopped. */
void shim_sock_watch_update(struct shim_sock *ss);

#endif
