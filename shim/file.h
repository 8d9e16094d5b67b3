/* What the library keeps behind a descriptor number: an open file of its
 * own (a stack socket, or an epoll instance that may watch stack sockets).
 *
 * As in the kernel, several numbers may refer to one open file (dup, dup2,
 * fcntl F_DUPFD): each number holds one of its nfds references, and the
 * file is released when the last number goes.  Every kind starts with
 * this header so that the fd table can hold any of them. */
#ifndef SHIM_FILE_H
#define SHIM_FILE_H

enum shim_file_kind {
  SHIM_FILE_SOCK = 1,
  SHIM_FILE_EPOLL,
  /* A stack socket whose numbers are a kernel socket relayed to it
   * (bridge.h): data and readiness are the kernel's, addresses and
   * options the stack socket's. */
  SHIM_FILE_BRIDGED,
};

struct shim_file {
  enum shim_file_kind kind;
  unsigned nfds; /* descriptor numbers referring to it */
};

#endif
