/* Descriptor operations shared by the interposed calls. */
#ifndef SHIM_FDOPS_H
#define SHIM_FDOPS_H

#include "file.h"

#include <stdbool.h>

/* dup() and fcntl(F_DUPFD, F_DUPFD_CLOEXEC): the lowest free number >= min
 * for fd's open file, ours or the program's.  -1 with errno on failure. */
int shim_fd_dup(int fd, int min, bool cloexec);

/* Under the lock: fd no longer refers to f (see shim_sock_drop_fd). */
int shim_file_drop_fd(struct shim_file *f, int fd, bool close_fd);

#endif
