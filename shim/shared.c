/* The stack's shared region: creation, and the lock at its root. */
#include "shim.h"

#include "fdtable.h"
#include "runtime.h"
#include "shared.h"

#include <errno.h>
#include <mynet/region.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SHARED_MAGIC UINT64_C(0x6d796e6574736872) /* "mynetshr" */

static mynet_region *region;

mynet_region *shim_shared_region(void)
{
  return region;
}

static int init_lock(pthread_mutex_t *m)
{
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (r == 0)
    r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (r == 0)
    r = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  return -r;
}

int shim_shared_create(uint64_t bound, struct shim_shared **out, int *memfd, char *err,
                       size_t errlen)
{
  int fd = memfd_create("mynet-stack", MFD_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create the stack's shared memory (memfd_create): %s",
             strerror(errno));
    return -errno;
  }
  fd = shim_fd_internalize(fd);
  if (fd < 0) {
    snprintf(err, errlen, "cannot keep the stack's shared memory descriptor: %s", strerror(-fd));
    return fd;
  }
  /* Sparse: only what the stack touches takes memory.  MAP_FIXED_NOREPLACE
   * fails rather than replace a mapping the program has there. */
  void *base = MAP_FAILED;
  int fixed = SHIM_REGION_ADDR ? MAP_FIXED_NOREPLACE : 0;
  if (ftruncate(fd, (off_t)bound) == 0)
    base = mmap(SHIM_REGION_ADDR, bound, PROT_READ | PROT_WRITE, MAP_SHARED | fixed | MAP_NORESERVE,
                fd, 0);
  int r = base == MAP_FAILED ? -errno : 0;
  /* A kernel without MAP_FIXED_NOREPLACE takes it as a hint. */
  if (r == 0 && SHIM_REGION_ADDR && base != SHIM_REGION_ADDR) {
    munmap(base, bound);
    r = -EEXIST;
  }
  if (r < 0) {
    snprintf(err, errlen, "cannot map %llu bytes of shared memory at %p (MYNET_MEM): %s",
             (unsigned long long)bound, SHIM_REGION_ADDR, strerror(-r));
    shim_fd_forget(fd);
    REAL(close)(fd);
    return r;
  }
  mynet_region *reg;
  struct shim_shared *sh = NULL;
  r = mynet_region_format(base, bound, &reg);
  if (r == 0) {
    sh = mynet_region_zalloc(reg, sizeof *sh);
    r = sh ? init_lock(&sh->lock) : -ENOMEM;
  }
  if (r == 0)
    r = mynet_region_root_set(reg, sh);
  if (r < 0) {
    snprintf(err, errlen, "cannot lay out the stack's shared memory: %s", strerror(-r));
    munmap(base, bound);
    shim_fd_forget(fd);
    REAL(close)(fd);
    return r;
  }
  sh->magic = SHARED_MAGIC;
  sh->owner_uid = (uint32_t)getuid();
  region = reg;
  *out = sh;
  *memfd = fd;
  return 0;
}

uint64_t shim_proc_start_time(pid_t pid)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  /* Field 22, counted after the command name (which may hold spaces). */
  char *p = strrchr(buf, ')');
  unsigned long long start = 0;
  for (int field = 2; p && field < 22; field++)
    p = strchr(p + 1, ' ');
  if (p)
    sscanf(p + 1, "%llu", &start);
  return start;
}

int shim_shared_take_slot(struct shim_shared *sh, pid_t pid)
{
  for (int i = 0; i < SHIM_MAX_PROCS; i++) {
    struct shim_proc *p = &sh->procs[i];
    if (p->pid)
      continue;
    p->pid = (int32_t)pid;
    p->start_time = shim_proc_start_time(pid);
    p->q_head = p->q_tail = 0;
    p->q_overflow = false;
    return i;
  }
  return -EAGAIN;
}

void shim_shared_free_slot(struct shim_shared *sh, int slot)
{
  sh->procs[slot].pid = 0;
}

void shim_shared_lock(struct shim_shared *sh)
{
  int r = pthread_mutex_lock(&sh->lock);
  if (r == EOWNERDEAD) {
    pthread_mutex_consistent(&sh->lock);
    shim_log(MYNET_LOG_WARN, "a process died holding the stack lock; going on (pid %d)",
             (int)getpid());
  }
}

void shim_shared_unlock(struct shim_shared *sh)
{
  pthread_mutex_unlock(&sh->lock);
}
