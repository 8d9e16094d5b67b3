/* Doorbells between the processes of a stack (bell.h). */
#include "shim.h"

#include "bell.h"
#include "runtime.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

void shim_bell_ring(struct shim_shared *sh, int slot)
{
  uint32_t *word = &sh->procs[slot].bell;
  __atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
  /* Shared (not _PRIVATE): the word is in memory the processes share. */
  REAL(syscall)(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

struct bell {
  uint32_t *word;
  int wakefd;
};

static void *bell_main(void *arg)
{
  struct bell *b = arg;
  uint32_t seen = __atomic_load_n(b->word, __ATOMIC_ACQUIRE);
  for (;;) {
    REAL(syscall)(SYS_futex, b->word, FUTEX_WAIT, seen, NULL, NULL, 0);
    uint32_t now = __atomic_load_n(b->word, __ATOMIC_ACQUIRE);
    if (now == seen)
      continue; /* spurious, or a signal */
    seen = now;
    uint64_t one = 1;
    ssize_t r = REAL(write)(b->wakefd, &one, sizeof one);
    (void)r; /* a full counter has rung already */
  }
  return NULL;
}

int shim_bell_start(struct shim_shared *sh, int slot, int wakefd)
{
  struct bell *b = malloc(sizeof *b); /* the thread's, for its life */
  if (!b)
    return -ENOMEM;
  b->word = &sh->procs[slot].bell;
  b->wakefd = wakefd;
  int r = shim_start_thread(bell_main, b, 64 * 1024);
  if (r < 0)
    free(b);
  return r;
}
