/* Host lookups through the stack: the files, the choice of server, and
 * the exchange with it (glibc's res_send: tries, timeouts, matching, TCP
 * when an answer is truncated).  What the files and the replies mean is
 * decided by the stack's names module (mynet/names.h); this file only
 * moves bytes and keeps time.
 *
 * Each lookup opens its own sockets and closes them before returning, so
 * lookups in several threads share nothing but the configuration read
 * once at load time (MYNET_DNS). */
#include "shim.h"

#include "resolver.h"
#include "runtime.h"

#include <fcntl.h>
#include <mynet/config.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DNS_PORT 53
/* The largest DNS message (a TCP answer); UDP ones are read into the same
 * buffer so that an oversized datagram is never silently cut. */
#define MSG_MAX 65536

/* --- configuration ----------------------------------------------------- */

static struct {
  pthread_once_t once;
  bool set; /* MYNET_DNS was given (in a valid configuration) */
  struct sockaddr_in server;
  int unreachable_logged;
} cfg = {.once = PTHREAD_ONCE_INIT};

/* The same parse as the runtime's, at the same moment (load time, before
 * the program can change its environment).  A bad configuration stops the
 * stack, which reports it; here it only means that no server is set. */
static void load_config(void)
{
  static char *empty[] = {NULL};
  struct mynet_config c;
  mynet_config_defaults(&c);
  char err[MYNET_PATH_MAX + 256];
  if (mynet_config_from_env(&c, environ ? environ : empty, err, sizeof err) == 0 && c.dns) {
    cfg.set = true;
    cfg.server.sin_family = AF_INET;
    cfg.server.sin_port = htons(c.dns_port);
    cfg.server.sin_addr.s_addr = htonl(c.dns);
  }
}

__attribute__((constructor)) static void resolver_init(void)
{
  pthread_once(&cfg.once, load_config);
}

/* A whole file, NUL-terminated, or NULL (missing, unreadable, no memory:
 * glibc carries on without the file in each case). */
static char *read_file(const char *path, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      char *bigger = realloc(buf, 2 * cap + 1);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r > 0) {
      n += (size_t)r;
    } else if (r == 0) {
      break;
    } else if (errno != EINTR) {
      free(buf);
      buf = NULL;
    }
  }
  close(fd);
  if (buf) {
    buf[n] = 0;
    *len = n;
  }
  return buf;
}

static void load_resolv_conf(struct mynet_resolv_conf *rc)
{
  size_t len = 0;
  char *text = read_file(_PATH_RESCONF, &len);
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) < 0)
    host[0] = 0;
  mynet_resolv_conf_parse(text, len, getenv("LOCALDOMAIN"), getenv("RES_OPTIONS"), host, rc);
  free(text);
}

void shim_local_domain(char out[MYNET_NAME_MAX])
{
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) < 0)
    host[0] = 0;
  const char *dot = strchr(host, '.');
  snprintf(out, MYNET_NAME_MAX, "%s", dot ? dot + 1 : "");
}

/* Where queries go: MYNET_DNS, else resolv.conf's first IPv4 nameserver.
 * A loopback nameserver (or none: glibc then asks 127.0.0.1) is on the
 * kernel's side, which the stack cannot reach (its own loopback is inside
 * this process); other servers are tried, and the stack's routing decides
 * (connect() fails with ENETUNREACH without a route). */
static bool pick_server(const struct mynet_resolv_conf *rc, struct sockaddr_in *out)
{
  pthread_once(&cfg.once, load_config);
  if (cfg.set) {
    *out = cfg.server;
    return true;
  }
  uint32_t a = rc->has_nameserver ? rc->nameserver : INADDR_LOOPBACK;
  if ((a >> 24) == 127) {
    if (!__atomic_exchange_n(&cfg.unreachable_logged, 1, __ATOMIC_RELAXED))
      shim_log(MYNET_LOG_INFO,
               "names: resolv.conf's nameserver %u.%u.%u.%u is the kernel's loopback, which the "
               "stack cannot reach; lookups find no server (set MYNET_DNS)",
               a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return false;
  }
  memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  out->sin_port = htons(DNS_PORT);
  out->sin_addr.s_addr = htonl(a);
  return true;
}

/* --- the exchange ------------------------------------------------------ */

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t random_id(void)
{
  uint16_t id;
  if (getrandom(&id, sizeof id, GRND_NONBLOCK) == (ssize_t)sizeof id)
    return id;
  return (uint16_t)(now_ms() * 2654435761u >> 7);
}

enum { Q_PENDING, Q_ANSWERED, Q_FAILED };

struct query {
  const char *name;
  uint16_t qtype, id;
  uint8_t msg[MYNET_DNS_QUERY_MAX];
  int len;
  int state;
  struct mynet_dns_answer ans;
};

struct exchange {
  struct sockaddr_in server;
  int64_t timeout_ms; /* per try */
  int attempts;
  bool tcp_only;
  uint8_t *buf;   /* MSG_MAX bytes */
  bool timed_out; /* some try ran out of time: glibc's "got somewhere" */
};

/* Waits for events on fd until the deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return -ETIMEDOUT;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)left);
    if (r > 0)
      return 0;
    if (r < 0 && errno != EINTR)
      return -errno;
  }
}

/* Exactly n bytes out or in on a non-blocking stream, by the deadline. */
static int stream_io(int fd, bool out, uint8_t *p, size_t n, int64_t deadline)
{
  while (n > 0) {
    ssize_t r = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
    if (r > 0) {
      p += r;
      n -= (size_t)r;
      continue;
    }
    if (r == 0)
      return -ECONNRESET; /* the server closed before the whole answer */
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return -errno;
    int w = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
    if (w < 0)
      return w;
  }
  return 0;
}

/* One query over TCP (RFC 1035 4.2.2: each message after its length in
 * two bytes), within one try's time. */
static void tcp_ask(struct exchange *x, struct query *q)
{
  int64_t deadline = now_ms() + x->timeout_ms;
  q->state = Q_FAILED;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  int rc = 0;
  if (connect(fd, (const struct sockaddr *)&x->server, sizeof x->server) < 0) {
    rc = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : -errno;
    if (rc == 0) {
      int err = 0;
      socklen_t l = sizeof err;
      rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 ? -errno : -err;
    }
  }
  uint8_t len2[2] = {(uint8_t)(q->len >> 8), (uint8_t)q->len};
  if (rc == 0)
    rc = stream_io(fd, true, len2, 2, deadline);
  if (rc == 0)
    rc = stream_io(fd, true, q->msg, (size_t)q->len, deadline);
  while (rc == 0) {
    rc = stream_io(fd, false, len2, 2, deadline);
    size_t n = (size_t)len2[0] << 8 | len2[1];
    if (rc == 0)
      rc = stream_io(fd, false, x->buf, n, deadline);
    if (rc < 0)
      break;
    enum mynet_dns_verdict v = mynet_dns_answer_read(x->buf, n, q->id, q->name, q->qtype, &q->ans);
    if (v == MYNET_DNS_IGNORE)
      continue; /* not ours: the next message on the stream may be */
    if (v == MYNET_DNS_ANSWER)
      q->state = Q_ANSWERED;
    break; /* a failure, or truncated even over TCP */
  }
  if (rc == -ETIMEDOUT)
    x->timed_out = true;
  close(fd);
}

static int count(const struct query *q, int nq, int state)
{
  int n = 0;
  for (int i = 0; i < nq; i++)
    n += q[i].state == state;
  return n;
}

/* One datagram from the server against the queries still waiting. */
static void take_reply(struct exchange *x, struct query *q, int nq, size_t len)
{
  for (int i = 0; i < nq; i++) {
    if (q[i].state != Q_PENDING)
      continue;
    switch (mynet_dns_answer_read(x->buf, len, q[i].id, q[i].name, q[i].qtype, &q[i].ans)) {
    case MYNET_DNS_IGNORE:
      continue;
    case MYNET_DNS_ANSWER:
      q[i].state = Q_ANSWERED;
      return;
    case MYNET_DNS_SERVER_FAIL:
      q[i].state = Q_FAILED; /* asked again at the next try, as glibc does */
      return;
    case MYNET_DNS_TRUNCATED:
      tcp_ask(x, &q[i]);
      return;
    }
  }
}

/* One try over UDP: every query not answered yet goes out, then replies
 * are taken until each query is answered or failed, or the try's time is
 * up. */
static void udp_try(struct exchange *x, int fd, struct query *q, int nq)
{
  for (int i = 0; i < nq; i++) {
    if (q[i].state == Q_ANSWERED)
      continue;
    q[i].state = Q_PENDING;
    if (sendto(fd, q[i].msg, (size_t)q[i].len, 0, (const struct sockaddr *)&x->server,
               sizeof x->server) < 0)
      q[i].state = Q_FAILED;
  }
  int64_t deadline = now_ms() + x->timeout_ms;
  while (count(q, nq, Q_PENDING) > 0) {
    int w = wait_fd(fd, POLLIN, deadline);
    if (w == -ETIMEDOUT) {
      x->timed_out = true;
      return;
    }
    struct sockaddr_in from;
    socklen_t fromlen = sizeof from;
    ssize_t n = w < 0 ? w : recvfrom(fd, x->buf, MSG_MAX, 0, (struct sockaddr *)&from, &fromlen);
    if (n >= 0) {
      /* The socket is connected, so only the server's datagrams arrive;
       * the check costs nothing and guards against a stack that would
       * deliver others. */
      if (fromlen >= sizeof from && from.sin_addr.s_addr == x->server.sin_addr.s_addr &&
          from.sin_port == x->server.sin_port)
        take_reply(x, q, nq, (size_t)n);
      continue;
    }
    if (w == 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
      continue;
    /* ECONNREFUSED (port unreachable), EHOSTUNREACH (no ARP reply): this
     * server will not answer this try. */
    for (int i = 0; i < nq; i++)
      if (q[i].state == Q_PENDING)
        q[i].state = Q_FAILED;
  }
}

/* Asks the server every query, over as many tries as resolv.conf allows
 * (glibc's send_dg loop with one server): a try ends as soon as each
 * query is answered or failed; once any is answered, no further try is
 * made (glibc keeps a lone answer when the other query times out). */
static void run_exchange(struct exchange *x, struct query *q, int nq)
{
  for (int i = 0; i < nq; i++)
    q[i].state = Q_FAILED;
  if (x->tcp_only) {
    for (int t = 0; t < x->attempts && count(q, nq, Q_ANSWERED) == 0; t++)
      for (int i = 0; i < nq; i++)
        if (q[i].state != Q_ANSWERED)
          tcp_ask(x, &q[i]);
    return;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return; /* the stack is not running: no server can be reached */
  /* Connected, as glibc's: ICMP errors reach the socket, and the stack's
   * routing says at once whether the server can be reached at all. */
  if (connect(fd, (const struct sockaddr *)&x->server, sizeof x->server) == 0)
    for (int t = 0; t < x->attempts && count(q, nq, Q_ANSWERED) == 0; t++)
      udp_try(x, fd, q, nq);
  close(fd);
}

/* --- lookups ----------------------------------------------------------- */

struct lookup {
  struct mynet_resolv_conf rc;
  struct exchange x;
  bool have_server;
  struct query q[2];
  int nq;
  char cand[MYNET_NAME_MAX];
};

/* Asks for one candidate name: returns glibc's outcome for it, with
 * *unreachable when no try timed out and nothing was answered. */
static int ask(struct lookup *lk, const char *name, const uint16_t *types, int ntypes,
               bool *unreachable)
{
  *unreachable = false;
  lk->nq = ntypes;
  for (int i = 0; i < ntypes; i++) {
    struct query *q = &lk->q[i];
    q->name = name;
    q->qtype = types[i];
    q->id = random_id();
    q->len = mynet_dns_query(q->msg, sizeof q->msg, q->id, name, types[i]);
    if (q->len < 0)
      return NO_RECOVERY; /* glibc: the query could not be made */
  }
  lk->x.timed_out = false;
  if (lk->have_server) {
    if (lk->rc.options & MYNET_RES_SINGLE_REQUEST) {
      for (int i = 0; i < ntypes; i++)
        run_exchange(&lk->x, &lk->q[i], 1);
    } else {
      run_exchange(&lk->x, lk->q, ntypes);
    }
  } else {
    for (int i = 0; i < ntypes; i++)
      lk->q[i].state = Q_FAILED;
  }
  const struct mynet_dns_answer *a[2] = {NULL, NULL};
  int na = 0;
  for (int i = 0; i < ntypes; i++)
    if (lk->q[i].state == Q_ANSWERED)
      a[na++] = &lk->q[i].ans;
  if (na == 0) {
    *unreachable = !lk->x.timed_out;
    return TRY_AGAIN;
  }
  return mynet_dns_outcome(a[0], a[1]);
}

/* The answers of the candidate that succeeded, as one host: the first
 * answer with addresses names it (A before AAAA, as glibc). */
static int answers_to_host(const struct lookup *lk, struct mynet_host *out)
{
  memset(out, 0, sizeof(*out));
  bool named = false;
  for (int i = 0; i < lk->nq; i++) {
    const struct query *q = &lk->q[i];
    if (q->state != Q_ANSWERED)
      continue;
    const struct mynet_host *h = &q->ans.host;
    if (!named && (h->naddrs > 0 || q->qtype == MYNET_DNS_TYPE_PTR) && h->name[0]) {
      memcpy(out->name, h->name, sizeof out->name);
      out->naliases = h->naliases;
      memcpy(out->aliases, h->aliases, sizeof out->aliases);
      named = true;
    }
    for (int k = 0; k < h->naddrs && out->naddrs < MYNET_HOST_MAX_ADDRS; k++)
      out->addrs[out->naddrs++] = h->addrs[k];
  }
  /* Records, but not one that can be used (a CNAME alone, wrong lengths):
   * glibc's getanswer gives NO_RECOVERY. */
  return named ? 0 : NO_RECOVERY;
}

static struct lookup *lookup_new(void)
{
  struct lookup *lk = calloc(1, sizeof(*lk));
  if (!lk)
    return NULL;
  lk->x.buf = malloc(MSG_MAX);
  if (!lk->x.buf) {
    free(lk);
    return NULL;
  }
  load_resolv_conf(&lk->rc);
  lk->have_server = pick_server(&lk->rc, &lk->x.server);
  /* glibc: a timeout of 0 is still one second; no attempt at all means
   * no query at all. */
  lk->x.timeout_ms = (lk->rc.timeout > 0 ? lk->rc.timeout : 1) * 1000;
  lk->x.attempts = lk->rc.attempts;
  lk->x.tcp_only = (lk->rc.options & MYNET_RES_USE_VC) != 0;
  return lk;
}

static void lookup_free(struct lookup *lk)
{
  free(lk->x.buf);
  free(lk);
}

/* The DNS part of a lookup: the search list, each candidate asked for
 * the given types, until one is answered. */
static int dns_search(struct lookup *lk, const char *name, const uint16_t *types, int ntypes,
                      struct mynet_host *out)
{
  struct mynet_dns_search s;
  mynet_dns_search_start(&s, &lk->rc, name);
  while (mynet_dns_search_next(&s, lk->cand)) {
    bool unreachable;
    int herr = ask(lk, lk->cand, types, ntypes, &unreachable);
    mynet_dns_search_result(&s, herr, unreachable);
  }
  int herr = mynet_dns_search_error(&s);
  return herr ? herr : answers_to_host(lk, out);
}

static int read_hosts(const char *name, int family, struct mynet_host *out)
{
  size_t len = 0;
  char *text = read_file(_PATH_HOSTS, &len);
  int n = mynet_hosts_by_name(text, len, name, family, out);
  free(text);
  return n;
}

int shim_lookup_name(const char *name, enum shim_lookup_kind kind, struct mynet_host *out)
{
  static const int family[] = {AF_INET, AF_INET6, AF_UNSPEC};
  /* nsswitch's "hosts: files dns": the file answers without a query. */
  if (read_hosts(name, family[kind], out) > 0)
    return 0;
  if (!mynet_dns_name_ok(name))
    return HOST_NOT_FOUND; /* glibc asks no server for such a name */
  struct lookup *lk = lookup_new();
  if (!lk) {
    errno = ENOMEM;
    return NETDB_INTERNAL;
  }
  uint16_t types[2];
  int ntypes = 0;
  if (kind != SHIM_LOOKUP_V6)
    types[ntypes++] = MYNET_DNS_TYPE_A;
  /* glibc 2.36's no-aaaa option: AAAA is never asked; alone, the answer
   * is "no such record". */
  if (kind != SHIM_LOOKUP_V4 && !(lk->rc.options & MYNET_RES_NO_AAAA))
    types[ntypes++] = MYNET_DNS_TYPE_AAAA;
  int herr = ntypes ? dns_search(lk, name, types, ntypes, out) : NO_DATA;
  lookup_free(lk);
  return herr;
}

int shim_lookup_addr(int family, const void *addr, struct mynet_host *out)
{
  size_t len = 0;
  char *text = read_file(_PATH_HOSTS, &len);
  int found = mynet_hosts_by_addr(text, len, family, addr, out);
  free(text);
  if (found)
    return 0;
  struct lookup *lk = lookup_new();
  if (!lk) {
    errno = ENOMEM;
    return NETDB_INTERNAL;
  }
  /* A PTR name is complete: asked as is, never through the search list
   * (glibc uses res_query here, not res_search). */
  char ptr[MYNET_NAME_MAX];
  mynet_dns_ptr_name(family, addr, ptr);
  static const uint16_t types[] = {MYNET_DNS_TYPE_PTR};
  bool unreachable;
  int herr = ask(lk, ptr, types, 1, &unreachable);
  if (herr == 0)
    herr = answers_to_host(lk, out);
  lookup_free(lk);
  if (herr)
    return herr;
  out->naddrs = 1;
  out->addrs[0].family = family;
  memset(out->addrs[0].bytes, 0, 16);
  memcpy(out->addrs[0].bytes, addr, family == AF_INET ? 4 : 16);
  return 0;
}
