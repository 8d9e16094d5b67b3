/* The fd table: two levels of slots, chunks allocated on first use and
 * never freed, so a lock-free reader never sees freed memory.  4096
 * pointers (32 KiB) cover SHIM_FD_LIMIT fds; a process that never opens a
 * stack socket allocates no chunk. */
#include "shim.h"

#include "fdtable.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS (SHIM_FD_LIMIT / CHUNK_SIZE)

/* A slot holds 0 (not ours), SLOT_INTERNAL or a struct shim_file pointer. */
#define SLOT_INTERNAL ((uintptr_t)1)

struct chunk {
  uintptr_t slot[CHUNK_SIZE];
};

static struct chunk *chunks[NCHUNKS];
static long nsocks;

static uintptr_t slot_load(int fd)
{
  if (fd < 0 || fd >= SHIM_FD_LIMIT)
    return 0;
  struct chunk *c = __atomic_load_n(&chunks[fd >> CHUNK_BITS], __ATOMIC_ACQUIRE);
  return c ? __atomic_load_n(&c->slot[fd & (CHUNK_SIZE - 1)], __ATOMIC_ACQUIRE) : 0;
}

static bool is_sock(uintptr_t v)
{
  return v > SLOT_INTERNAL && ((struct shim_file *)v)->kind == SHIM_FILE_SOCK;
}

static int slot_store(int fd, uintptr_t v)
{
  if (fd < 0 || fd >= SHIM_FD_LIMIT)
    return -EMFILE;
  struct chunk *c = chunks[fd >> CHUNK_BITS];
  if (!c) {
    if (!v)
      return 0;
    c = calloc(1, sizeof *c);
    if (!c)
      return -ENOMEM;
    __atomic_store_n(&chunks[fd >> CHUNK_BITS], c, __ATOMIC_RELEASE);
  }
  uintptr_t old = c->slot[fd & (CHUNK_SIZE - 1)];
  if (is_sock(old))
    __atomic_fetch_sub(&nsocks, 1, __ATOMIC_RELAXED);
  if (is_sock(v))
    __atomic_fetch_add(&nsocks, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&c->slot[fd & (CHUNK_SIZE - 1)], v, __ATOMIC_RELEASE);
  return 0;
}

struct shim_file *shim_fd_file(int fd)
{
  uintptr_t v = slot_load(fd);
  return v > SLOT_INTERNAL ? (struct shim_file *)v : NULL;
}

struct shim_sock *shim_fd_sock(int fd)
{
  uintptr_t v = slot_load(fd);
  return is_sock(v) ? (struct shim_sock *)v : NULL;
}

struct shim_epoll *shim_fd_epoll(int fd)
{
  struct shim_file *f = shim_fd_file(fd);
  return f && f->kind == SHIM_FILE_EPOLL ? (struct shim_epoll *)f : NULL;
}

bool shim_fd_internal(int fd)
{
  return slot_load(fd) == SLOT_INTERNAL;
}

bool shim_fd_any_socks(void)
{
  return __atomic_load_n(&nsocks, __ATOMIC_RELAXED) > 0;
}

int shim_fd_attach(int fd, struct shim_file *f)
{
  return slot_store(fd, (uintptr_t)f);
}

int shim_fd_mark_internal(int fd)
{
  return slot_store(fd, SLOT_INTERNAL);
}

void shim_fd_forget(int fd)
{
  slot_store(fd, 0);
}

/* Calls v(slot) for slots from *fd on until it returns true. */
static int scan(int from, bool (*want)(uintptr_t))
{
  for (int i = from < 0 ? 0 : from; i < SHIM_FD_LIMIT; i++) {
    struct chunk *c = chunks[i >> CHUNK_BITS];
    if (!c) {
      i |= CHUNK_SIZE - 1; /* skip the whole chunk */
      continue;
    }
    if (want(c->slot[i & (CHUNK_SIZE - 1)]))
      return i;
  }
  return -1;
}

static bool want_file(uintptr_t v)
{
  return v > SLOT_INTERNAL;
}

static bool want_internal(uintptr_t v)
{
  return v == SLOT_INTERNAL;
}

struct shim_file *shim_fd_next_file(int *fd)
{
  int i = scan(*fd, want_file);
  if (i < 0)
    return NULL;
  *fd = i;
  return shim_fd_file(i);
}

int shim_fd_next_internal(int from)
{
  return scan(from, want_internal);
}

/* Above select()'s range (FD_SETSIZE) when the descriptor limit leaves
 * room, so a program's own numbers stay as they would be without us;
 * below the limit otherwise, with room for the few the library needs. */
static int floor_value;
static pthread_once_t floor_once = PTHREAD_ONCE_INIT;

static void compute_floor(void)
{
  struct rlimit rl;
  rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
  if (soft >= 1024 + 128)
    floor_value = 1024;
  else if (soft >= 256)
    floor_value = (int)soft - 64;
  else
    floor_value = soft / 2 > 3 ? (int)(soft / 2) : 3;
}

int shim_fd_internal_floor(void)
{
  pthread_once(&floor_once, compute_floor);
  return floor_value;
}

int shim_fd_internalize(int fd)
{
  if (fd < 0)
    return -EBADF;
  int moved = fd;
  if (fd < shim_fd_internal_floor()) {
    moved = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, shim_fd_internal_floor());
    /* Out of high numbers (a low limit): anywhere but 0-2, which a
     * program that closed them reopens with dup2(/dev/null). */
    if (moved < 0)
      moved = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    int err = errno;
    REAL(close)(fd);
    if (moved < 0)
      return -err;
  } else {
    REAL(fcntl)(fd, F_SETFD, FD_CLOEXEC);
  }
  int r = shim_fd_mark_internal(moved);
  if (r < 0) {
    REAL(close)(moved);
    return r;
  }
  return moved;
}
