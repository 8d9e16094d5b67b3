/* A stack socket as the shim sees it: the stack's socket, its eventfd and
 * the per-open-file state (O_NONBLOCK, timeouts), reference counted so
 * that fd entries (later several, with dup) and calls in progress share
 * it.
 *
 * Readiness: the eventfd is readable ("look at me") iff
 *   events & (POLLERR | POLLHUP | POLLOUT if a thread waits for POLLOUT
 *             | POLLIN | POLLRDHUP unless only POLLOUT waiters exist)
 * where events is mynet_sock_events().  POLLIN counts by default, so a
 * thread waiting in the kernel on the eventfd for input needs no
 * registration; POLLOUT only when asked, since a socket is writable
 * nearly always.  While threads wait for POLLOUT only and nobody of ours
 * for input, POLLIN is left out: otherwise a blocked send() on a socket
 * with unread input would find the eventfd readable at once and spin.
 * Level-triggered, so any number of threads can wait on it. */
#ifndef SHIM_SOCK_H
#define SHIM_SOCK_H

#include <mynet/socket.h>
#include <stdbool.h>

struct shim_sock {
  mynet_sock *s; /* our reference (mynet_sock_ref) */
  /* The eventfd.  While the socket is open this is also its fd number;
   * after close it is a private copy kept for threads still waiting, or
   * -1. */
  int evfd;
  int type;      /* SOCK_STREAM or SOCK_DGRAM */
  unsigned refs; /* fd-table entries + calls in progress + dirty list */
  unsigned waiters_in, waiters_out;
  mynet_time rcvtimeo, sndtimeo; /* SO_RCVTIMEO/SO_SNDTIMEO: 0 none, <0 expired */
  bool nonblock;                 /* O_NONBLOCK of the open file */
  bool level;                    /* the eventfd is readable now */
  bool closed;                   /* the program closed it: calls fail with EBADF */
  bool forked;                   /* inherited by a forked child: unusable there */
  bool dirty;                    /* on the list of deferred notifications */
  struct shim_sock *next_dirty;
};

/* If fd is one of our sockets: takes the stack lock and a reference and
 * returns it.  Otherwise returns NULL without the lock (the caller passes
 * the call on to libc). */
struct shim_sock *shim_sock_lock(int fd);
/* Updates the eventfd, drops the reference and the lock; keeps errno. */
void shim_sock_unlock(struct shim_sock *ss);

/* 0 if calls may proceed; -EBADF once closed (by another thread while
 * this one waited); -ENOTSUP in a forked child. */
int shim_sock_check(const struct shim_sock *ss);

/* Under the lock: wraps a new stack socket (from mynet_socket or
 * mynet_accept) in a fresh eventfd and enters it in the fd table.  flags:
 * SOCK_NONBLOCK, SOCK_CLOEXEC.  Returns the fd, or a negative errno after
 * closing s. */
int shim_sock_open(mynet_sock *s, int type, int flags);

/* Under the lock, with a reference held by the caller: the program's
 * close(fd).  Returns 0 or a negative errno from closing the eventfd. */
int shim_sock_close(int fd, struct shim_sock *ss);

/* Under the lock: waits until the socket may have one of events (POLLIN,
 * POLLOUT) or an error, dropping the lock meanwhile.  Returns 0 (look
 * again), -EINTR (a signal), -ETIMEDOUT (deadline passed), -EBADF (closed
 * meanwhile).  Every blocking call waits here. */
int shim_sock_wait(struct shim_sock *ss, unsigned events, mynet_time deadline);

/* Under the lock: poll(2)'s view of the socket for the requested events
 * (POLLRDNORM/POLLWRNORM included; POLLERR/POLLHUP always; POLLNVAL once
 * closed). */
short shim_sock_revents(const struct shim_sock *ss, short events);

/* Under the lock: register (+1) or drop (-1) a waiter's interest in
 * events, updating the eventfd. */
void shim_sock_interest(struct shim_sock *ss, short events, int delta);

void shim_sock_ref(struct shim_sock *ss);
void shim_sock_unref(struct shim_sock *ss);

/* Under the lock, called by shim_unlock(): deliver the notifications the
 * stack made during the calls just completed. */
void shim_sock_flush(void);

/* Under the lock, at exit: closes every socket still open in the stack
 * (as the kernel does when a process exits) without closing any fd. */
void shim_sock_release_all(void);

/* In a forked child (the stack and its TAP belong to the parent): marks
 * every inherited socket unusable. */
void shim_sock_forked(void);

#endif
