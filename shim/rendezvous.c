/* Finding the stack of a TAP (rendezvous.h). */
#include "shim.h"

#include "fdtable.h"
#include "rendezvous.h"
#include "runtime.h"

#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* What a server answers: the memfd with a yes, or a no and why. */
#define ANSWER_YES 'Y'
#define ANSWER_NO 'N'

int shim_rv_key(const char *tap, uint64_t *key)
{
  struct stat st;
  unsigned idx = if_nametoindex(tap);
  if (!idx || stat("/proc/self/ns/net", &st) < 0)
    return -ENODEV;
  *key = (uint64_t)st.st_ino << 20 ^ idx;
  return 0;
}

static socklen_t name(uint64_t key, const char *what, struct sockaddr_un *a)
{
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "mynet-%016llx-%s",
                   (unsigned long long)key, what);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static int unix_socket(int type)
{
  int fd = REAL(socket)(AF_UNIX, type | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

int shim_rv_lock(uint64_t key)
{
  struct sockaddr_un a;
  socklen_t len = name(key, "create", &a);
  /* Two programs starting at once must not both make a stack: the name
   * is theirs in turn (bounded: a holder that hangs is not waited for
   * beyond 5 s). */
  for (int i = 0; i < 500; i++) {
    int fd = unix_socket(SOCK_DGRAM);
    if (fd < 0)
      return fd;
    if (REAL(bind)(fd, (struct sockaddr *)&a, len) == 0)
      return fd;
    REAL(close)(fd);
    if (errno != EADDRINUSE)
      return -errno;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return -ETIMEDOUT;
}

void shim_rv_unlock(int fd)
{
  if (fd >= 0)
    REAL(close)(fd);
}

/* The names of the stack's listeners in /proc/net/unix (abstract names
 * show with a leading @). */
static int try_each(uint64_t key, int *memfd, char *err, size_t errlen)
{
  FILE *f = fopen("/proc/net/unix", "re");
  if (!f)
    return 0;
  char prefix[64], line[512];
  int plen = snprintf(prefix, sizeof prefix, "@mynet-%016llx-pid", (unsigned long long)key);
  int r = 0;
  while (r == 0 && fgets(line, sizeof line, f)) {
    char *p = strstr(line, prefix);
    if (!p)
      continue;
    p[strcspn(p, "\n")] = 0;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(p + 1);
    memcpy(a.sun_path + 1, p + 1, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    int fd = unix_socket(SOCK_STREAM);
    if (fd < 0)
      break;
    if (REAL(connect)(fd, (struct sockaddr *)&a, len) == 0) {
      char buf[256] = {0};
      union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
      } c;
      struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
      struct msghdr m = {
          .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof c};
      ssize_t got = REAL(recvmsg)(fd, &m, MSG_CMSG_CLOEXEC);
      struct cmsghdr *h = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
      if (got > 0 && buf[0] == ANSWER_YES && h && h->cmsg_type == SCM_RIGHTS) {
        memcpy(memfd, CMSG_DATA(h), sizeof(int));
        r = 1;
      } else if (got > 0 && buf[0] == ANSWER_NO) {
        snprintf(err, errlen, "%s", buf + 1);
        r = -EACCES;
      }
    }
    REAL(close)(fd);
    (void)plen;
  }
  fclose(f);
  return r;
}

int shim_rv_find(uint64_t key, int *memfd, char *err, size_t errlen)
{
  return try_each(key, memfd, err, errlen);
}

int shim_rv_listen(uint64_t key)
{
  char what[32];
  snprintf(what, sizeof what, "pid%d", (int)getpid());
  struct sockaddr_un a;
  socklen_t len = name(key, what, &a);
  int fd = unix_socket(SOCK_STREAM | SOCK_NONBLOCK);
  if (fd < 0)
    return fd;
  if (REAL(bind)(fd, (struct sockaddr *)&a, len) < 0 || REAL(listen)(fd, 16) < 0) {
    int e = errno;
    REAL(close)(fd);
    return -e;
  }
  return shim_fd_internalize(fd);
}

void shim_rv_serve(int lfd, int memfd, uint32_t owner_uid, const char *tap)
{
  for (;;) {
    int c = REAL(accept4)(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
      return;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    char msg[256];
    struct iovec iov = {.iov_base = msg};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    union {
      struct cmsghdr h;
      char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    /* Holding an inherited descriptor is permission; attaching by name is
     * for the user who made the stack (its memory is 0600 like its
     * socket would be), or root. */
    if (REAL(getsockopt)(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 &&
        (cred.uid == owner_uid || cred.uid == 0)) {
      msg[0] = ANSWER_YES;
      iov.iov_len = 1;
      memset(&ctl, 0, sizeof ctl);
      m.msg_control = &ctl;
      m.msg_controllen = sizeof ctl;
      struct cmsghdr *h = CMSG_FIRSTHDR(&m);
      h->cmsg_level = SOL_SOCKET;
      h->cmsg_type = SCM_RIGHTS;
      h->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(h), &memfd, sizeof(int));
    } else {
      int n = snprintf(msg, sizeof msg,
                       "%cthe stack on TAP %s belongs to user %u; a process of user %u has no "
                       "permission to attach to it (only to use sockets it inherits)",
                       ANSWER_NO, tap, owner_uid, (unsigned)cred.uid);
      iov.iov_len = (size_t)n < sizeof msg ? (size_t)n + 1 : sizeof msg;
    }
    ssize_t r = REAL(sendmsg)(c, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)r; /* a newcomer that left asks again */
    REAL(close)(c);
  }
}
