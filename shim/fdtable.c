/* The fd table: two levels of slots, chunks allocated on first use and
 * never freed, so a lock-free reader never sees freed memory.  4096
 * pointers (32 KiB) cover SHIM_FD_LIMIT fds; a process that never opens a
 * stack socket allocates no chunk. */
#include "shim.h"

#include "fdtable.h"

#include <stdint.h>
#include <stdlib.h>

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS (SHIM_FD_LIMIT / CHUNK_SIZE)

/* A slot holds 0 (not ours), SLOT_INTERNAL or a struct shim_sock pointer. */
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
  if (old > SLOT_INTERNAL)
    __atomic_fetch_sub(&nsocks, 1, __ATOMIC_RELAXED);
  if (v > SLOT_INTERNAL)
    __atomic_fetch_add(&nsocks, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&c->slot[fd & (CHUNK_SIZE - 1)], v, __ATOMIC_RELEASE);
  return 0;
}

struct shim_sock *shim_fd_sock(int fd)
{
  uintptr_t v = slot_load(fd);
  return v > SLOT_INTERNAL ? (struct shim_sock *)v : NULL;
}

bool shim_fd_internal(int fd)
{
  return slot_load(fd) == SLOT_INTERNAL;
}

bool shim_fd_any_socks(void)
{
  return __atomic_load_n(&nsocks, __ATOMIC_RELAXED) > 0;
}

int shim_fd_attach(int fd, struct shim_sock *ss)
{
  return slot_store(fd, (uintptr_t)ss);
}

int shim_fd_mark_internal(int fd)
{
  return slot_store(fd, SLOT_INTERNAL);
}

void shim_fd_forget(int fd)
{
  slot_store(fd, 0);
}

struct shim_sock *shim_fd_next_sock(int *fd)
{
  for (int i = *fd < 0 ? 0 : *fd; i < SHIM_FD_LIMIT; i++) {
    struct chunk *c = chunks[i >> CHUNK_BITS];
    if (!c) {
      i |= CHUNK_SIZE - 1; /* skip the whole chunk */
      continue;
    }
    uintptr_t v = c->slot[i & (CHUNK_SIZE - 1)];
    if (v > SLOT_INTERNAL) {
      *fd = i;
      return (struct shim_sock *)v;
    }
  }
  return NULL;
}
