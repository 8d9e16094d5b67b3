/* Doorbells between the processes of a stack (bell.h). */
#include "shim.h"

#include "bell.h"
#include "fdtable.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t bell_addr(uint64_t id, int slot, struct sockaddr_un *a)
{
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  /* sun_path[0] = 0: an abstract name, gone with its socket. */
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "mynet-%016llx-bell-%d",
                   (unsigned long long)id, slot);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int shim_bell_open(uint64_t id, int slot)
{
  int fd = REAL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  fd = shim_fd_internalize(fd);
  if (fd < 0)
    return fd;
  struct sockaddr_un a;
  socklen_t len = bell_addr(id, slot, &a);
  if (REAL(bind)(fd, (struct sockaddr *)&a, len) < 0) {
    int err = errno;
    shim_fd_forget(fd);
    REAL(close)(fd);
    return -err;
  }
  return fd;
}

/* One unbound socket per process to ring with, made on first use. */
static int ringer = -1;

void shim_bell_ring(uint64_t id, int slot)
{
  if (ringer < 0) {
    int fd = REAL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || (fd = shim_fd_internalize(fd)) < 0)
      return;
    ringer = fd;
  }
  struct sockaddr_un a;
  socklen_t len = bell_addr(id, slot, &a);
  char one = 1;
  /* EAGAIN: its queue is full, so it will look anyway; ECONNREFUSED:
   * the process is gone, and the next liveness check frees its slot. */
  ssize_t r = REAL(sendto)(ringer, &one, 1, MSG_DONTWAIT, (struct sockaddr *)&a, len);
  (void)r;
}

void shim_bell_drain(int fd)
{
  char buf[64];
  while (REAL(recv)(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
    ;
}
