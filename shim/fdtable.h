/* Which file descriptors belong to the library: the one place that knows.
 *
 * Indexed by fd number.  An entry is empty (the program's own fd, passed
 * to libc untouched), one of the library's open files (a stack socket or
 * an epoll instance, see file.h; several numbers may share one), or
 * internal (the TAP, the timerfd, the log and pcap files, epoll signal
 * eventfds: the program never sees them, and its close() of one is
 * pretended).
 *
 * Reads are lock-free, for the check every read() and write() of the
 * process makes; the answer is authoritative only under the stack lock.
 * Changes are made under the stack lock. */
#ifndef SHIM_FDTABLE_H
#define SHIM_FDTABLE_H

#include "file.h"

#include <stdbool.h>

struct shim_sock;
struct shim_epoll;

/* The library's open file at fd, or NULL (the program's own, or internal). */
struct shim_file *shim_fd_file(int fd);
/* The same, when it is of that kind. */
struct shim_sock *shim_fd_sock(int fd);
struct shim_epoll *shim_fd_epoll(int fd);
bool shim_fd_internal(int fd);

/* Lock-free: true if at least one stack socket exists, so that poll() and
 * select() of a process that has none skip the scan. */
bool shim_fd_any_socks(void);

/* Under the stack lock.  shim_fd_attach() enters fd as one more number of
 * f (f->nfds is the caller's business) and returns 0, -EMFILE (the table
 * covers fds below SHIM_FD_LIMIT) or -ENOMEM. */
#define SHIM_FD_LIMIT (1 << 22)
int shim_fd_attach(int fd, struct shim_file *f);
int shim_fd_mark_internal(int fd);
void shim_fd_forget(int fd);

/* Under the stack lock: the first entry at or above *fd that is a file of
 * ours (or, for next_internal, internal), or NULL/-1; *fd is set to its
 * number. */
struct shim_file *shim_fd_next_file(int *fd);
int shim_fd_next_internal(int from);

/* Moves a descriptor the library opened for itself out of the program's
 * way: to a high number (programs take the lowest free ones, and some
 * close or dup2 over numbers they do not know), close-on-exec, marked
 * internal.  Returns the new number, or a negative errno after closing
 * fd. */
int shim_fd_internalize(int fd);

/* The lowest number shim_fd_internalize() uses. */
int shim_fd_internal_floor(void);

#endif
