/* The stack's shared region: creation, and the lock at its root. */
#include "shim.h"

#include "fdtable.h"
#include "runtime.h"
#include "shared.h"

#include <errno.h>
#include <fcntl.h>
#include <mynet/region.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARED_MAGIC UINT64_C(0x6d796e6574736872) /* "mynetshr" */

static mynet_region *region;

mynet_region *shim_shared_region(void)
{
  return region;
}

void shim_shared_keep_across_exec(int fd)
{
  if (SHIM_REGION_ADDR)
    REAL(fcntl)(fd, F_SETFD, 0);
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
  /* A memfd is made 0777; the stack is its maker's alone, as a file of
   * its would be (what a process of another user holds by inheritance it
   * has open already). */
  if (fchmod(fd, 0600) < 0) {
    int e = errno;
    snprintf(err, errlen, "cannot make the stack's shared memory private (fchmod): %s",
             strerror(e));
    REAL(close)(fd);
    return -e;
  }
  fd = shim_fd_internalize(fd);
  if (fd < 0) {
    snprintf(err, errlen, "cannot keep the stack's shared memory descriptor: %s", strerror(-fd));
    return fd;
  }
  /* The program exec()ed finds its stack by it. */
  shim_shared_keep_across_exec(fd);
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
  mynet_region_shared_by_processes();
  r = mynet_region_format(base, bound, &reg);
  if (r == 0) {
    sh = mynet_region_zalloc(reg, sizeof *sh);
    r = sh ? mynet_plock_init(&sh->lock) : -ENOMEM;
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
  /* No stdio: a vfork() child calls this, and must not allocate from
   * the heap it shares with its parent. */
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = REAL(read)(fd, buf, sizeof buf - 1);
  REAL(close)(fd);
  buf[n > 0 ? n : 0] = 0;
  /* Field 22, counted after the command name (which may hold spaces). */
  char *p = strrchr(buf, ')');
  unsigned long long start = 0;
  for (int field = 2; p && field < 22; field++)
    p = strchr(p + 1, ' ');
  if (p)
    sscanf(p + 1, "%llu", &start);
  return start;
}

bool shim_proc_alive(pid_t pid, uint64_t start_time)
{
  /* /proc says: no such process (ENOENT), or one that started at another
   * time (the pid was reused).  Where /proc is out of reach (a chroot, a
   * seccomp sandbox that allows little more than read and write) the
   * process is taken to be there: the others will tell. */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (access("/proc/self/stat", R_OK) < 0)
    return true;
  if (access(path, F_OK) < 0)
    return errno != ENOENT;
  uint64_t now = shim_proc_start_time(pid);
  return now == 0 || start_time == 0 || now == start_time;
}

int shim_shared_take_slot(struct shim_shared *sh, pid_t pid)
{
  for (int i = 0; i < SHIM_MAX_PROCS; i++) {
    struct shim_proc *p = &sh->procs[i];
    if (p->pid)
      continue;
    p->pid = (int32_t)pid;
    sh->nprocs++;
    p->start_time = pid > 0 ? shim_proc_start_time(pid) : 0;
    p->tap_fd = -1;
    p->q_head = p->q_tail = 0;
    p->q_overflow = false;
    return i;
  }
  return -EAGAIN;
}

void shim_shared_free_slot(struct shim_shared *sh, int slot)
{
  shim_proc_fd_clear_all(sh, slot);
  if (sh->procs[slot].pid)
    sh->nprocs--;
  sh->procs[slot].pid = 0;
  sh->procs[slot].tap_fd = -1;
}

/* ---- a process's descriptors that are stack sockets ---- */

#define FD_EMPTY (-1)
#define FD_DELETED (-2)

static struct shim_fdrec *fd_find(struct shim_fdrec *t, uint32_t cap, int fd)
{
  struct shim_fdrec *tomb = NULL;
  for (uint32_t i = (uint32_t)fd * 2654435761u & (cap - 1);; i = (i + 1) & (cap - 1)) {
    if (t[i].fd == fd)
      return &t[i];
    if (t[i].fd == FD_DELETED && !tomb)
      tomb = &t[i];
    if (t[i].fd == FD_EMPTY)
      return tomb ? tomb : &t[i];
  }
}

static int fd_grow(struct shim_proc *p, uint32_t cap)
{
  struct shim_fdrec *t = mynet_region_zalloc(region, cap * sizeof *t);
  if (!t)
    return -ENOMEM;
  for (uint32_t i = 0; i < cap; i++)
    t[i].fd = FD_EMPTY;
  uint32_t used = 0;
  for (uint32_t i = 0; i < p->fd_cap; i++) {
    if (p->fds[i].fd >= 0) {
      *fd_find(t, cap, p->fds[i].fd) = p->fds[i];
      used++;
    }
  }
  mynet_region_free(region, p->fds);
  p->fds = t;
  p->fd_cap = cap;
  p->fd_used = used;
  return 0;
}

int shim_proc_fd_set(struct shim_shared *sh, int slot, int fd, uint32_t evid, mynet_sock *s)
{
  struct shim_proc *p = &sh->procs[slot];
  if (!s) {
    if (p->fd_cap) {
      struct shim_fdrec *e = fd_find(p->fds, p->fd_cap, fd);
      if (e->fd == fd)
        e->fd = FD_DELETED;
    }
    return 0;
  }
  struct shim_fdrec *e = p->fd_cap ? fd_find(p->fds, p->fd_cap, fd) : NULL;
  if (!e || e->fd != fd) { /* a new entry; an update never allocates */
    if ((p->fd_used + 1) * 2 > p->fd_cap) {
      int r = fd_grow(p, p->fd_cap ? p->fd_cap * 2 : 64);
      if (r < 0)
        return r;
    }
    e = fd_find(p->fds, p->fd_cap, fd);
    if (e->fd == FD_EMPTY)
      p->fd_used++;
  }
  e->fd = fd;
  e->evid = evid;
  e->s = s;
  return 0;
}

int shim_proc_fd_copy(struct shim_shared *sh, int from, int to)
{
  struct shim_proc *f = &sh->procs[from];
  for (uint32_t i = 0; i < f->fd_cap; i++)
    if (f->fds[i].fd >= 0 &&
        shim_proc_fd_set(sh, to, f->fds[i].fd, f->fds[i].evid, f->fds[i].s) < 0)
      return -ENOMEM;
  return 0;
}

void shim_proc_fd_clear_all(struct shim_shared *sh, int slot)
{
  struct shim_proc *p = &sh->procs[slot];
  mynet_region_free(region, p->fds);
  p->fds = NULL;
  p->fd_cap = p->fd_used = 0;
}

uint32_t shim_eventfd_id(int fd)
{
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0)
    return 0;
  ssize_t n = REAL(read)(f, buf, sizeof buf - 1);
  REAL(close)(f);
  buf[n > 0 ? n : 0] = 0;
  const char *id = strstr(buf, "eventfd-id:");
  return id ? (uint32_t)strtoul(id + 11, NULL, 10) : 0;
}

int shim_shared_attach(int memfd, struct shim_shared **out)
{
  struct stat st;
  if (fstat(memfd, &st) < 0)
    return -errno;
  void *base =
      mmap(SHIM_REGION_ADDR, (size_t)st.st_size, PROT_READ | PROT_WRITE,
           MAP_SHARED | (SHIM_REGION_ADDR ? MAP_FIXED_NOREPLACE : 0) | MAP_NORESERVE, memfd, 0);
  if (base == MAP_FAILED)
    return -errno;
  mynet_region_shared_by_processes();
  mynet_region *reg = mynet_region_attach(base);
  struct shim_shared *sh = reg ? mynet_region_root_get(reg) : NULL;
  if (!sh || sh->magic != SHARED_MAGIC) {
    munmap(base, (size_t)st.st_size);
    return -EINVAL;
  }
  region = reg;
  *out = sh;
  return 0;
}

void shim_shared_lock(struct shim_shared *sh)
{
  if (mynet_plock_lock(&sh->lock) == 1)
    shim_log(MYNET_LOG_WARN, "a process died holding the stack lock; going on (pid %d)",
             (int)getpid());
}

void shim_shared_unlock(struct shim_shared *sh)
{
  mynet_plock_unlock(&sh->lock);
}
