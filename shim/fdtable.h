/* Which file descriptors belong to the library: the one place that knows.
 *
 * Indexed by fd number.  An entry is empty (the program's own fd, passed
 * to libc untouched), a stack socket (the fd is the socket's eventfd and
 * points to a shared struct shim_sock, so that dup can later make two
 * numbers point to one socket), or internal (the TAP, the timerfd, the log
 * and pcap files: a close() by the program is pretended).
 *
 * Reads are lock-free, for the check every read() and write() of the
 * process makes; the answer is authoritative only under the stack lock.
 * Changes are made under the stack lock. */
#ifndef SHIM_FDTABLE_H
#define SHIM_FDTABLE_H

#include <stdbool.h>

struct shim_sock;

/* The socket at fd, or NULL (not a socket of ours, or internal). */
struct shim_sock *shim_fd_sock(int fd);
bool shim_fd_internal(int fd);

/* Lock-free: true if at least one stack socket exists, so that poll() and
 * select() of a process that has none skip the scan. */
bool shim_fd_any_socks(void);

/* Under the stack lock.  shim_fd_attach() returns 0 or -EMFILE (the table
 * covers fds below SHIM_FD_LIMIT) or -ENOMEM. */
#define SHIM_FD_LIMIT (1 << 22)
int shim_fd_attach(int fd, struct shim_sock *ss);
int shim_fd_mark_internal(int fd);
void shim_fd_forget(int fd);

/* Under the stack lock: the first socket entry at or above *fd, or NULL;
 * *fd is set to its number. */
struct shim_sock *shim_fd_next_sock(int *fd);

#endif
