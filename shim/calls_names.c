/* Interposed resolver calls: getaddrinfo, gethostbyname, gethostbyname_r,
 * gethostbyname2, gethostbyname2_r, gethostbyaddr, gethostbyaddr_r and
 * getnameinfo.
 *
 * glibc's own versions ask the DNS through libc-internal socket calls,
 * which no preload can interpose: their queries would leave through the
 * kernel's stack.  These look names up through ours (resolver.c) and
 * answer as glibc 2.36 does: the same hint checks and error codes in the
 * same order, the same h_errno values and _r return codes, one result
 * entry per socket type, and results that glibc's freeaddrinfo() frees.
 * What needs no name service (numeric addresses, a NULL node, service
 * names, numeric output) is handed to glibc's own function.
 *
 * The stack has no IPv6: AI_ADDRCONFIG means IPv4 only (and nothing for
 * AF_INET6), and IPv4 results come before IPv6 ones, as glibc's RFC 6724
 * sort orders them when IPv6 cannot be reached. */
#include "shim.h"

#include "resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* glibc's accepted ai_flags (the two IDN ones deprecated: 0x0100,
 * 0x0200). */
#define KNOWN_AI_FLAGS                                                                             \
  (AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG | AI_IDN |    \
   AI_CANONIDN | AI_NUMERICSERV | 0x0100 | 0x0200)

/* What glibc's getaddrinfo takes as an address without any lookup:
 * inet_aton's forms for the whole string, or an IPv6 address with an
 * optional %scope. */
static bool numeric_host(const char *name)
{
  struct in_addr a4;
  if (inet_aton(name, &a4) && !strpbrk(name, " \t\n\v\f\r"))
    return true;
  char buf[INET6_ADDRSTRLEN];
  size_t n = strcspn(name, "%");
  if (n >= sizeof buf)
    return false;
  memcpy(buf, name, n);
  buf[n] = 0;
  struct in6_addr a6;
  return inet_pton(AF_INET6, buf, &a6) == 1;
}

/* What glibc's gethostbyname* answer from the string itself, without any
 * lookup (__nss_hostname_digits_dots): digits and dots not ending in a
 * dot, or hex digits, colons and dots with a colon. */
static bool digits_dots(const char *name)
{
  const char *p;
  if (!name)
    return false;
  if (isdigit((unsigned char)name[0])) {
    for (p = name; isdigit((unsigned char)*p) || *p == '.'; p++)
      ;
    if (!*p && p[-1] != '.')
      return true;
  }
  if ((isxdigit((unsigned char)name[0]) && strchr(name, ':')) || name[0] == ':') {
    for (p = name; isxdigit((unsigned char)*p) || *p == ':' || *p == '.'; p++)
      ;
    if (!*p && p[-1] != '.')
      return true;
  }
  return false;
}

/* --- getaddrinfo ------------------------------------------------------- */

#define MAX_TEMPLATES 8

struct tmpl {
  int socktype, protocol;
  uint16_t port; /* network order */
};

/* The socket types, protocols and port the service and hints give, and
 * glibc's errors for them (EAI_SERVICE, EAI_SOCKTYPE, EAI_NONAME for a
 * named service with AI_NUMERICSERV): glibc's own getaddrinfo on a
 * numeric address works them out, reading /etc/services and nothing from
 * the network.  glibc checks the service before looking the name up, so
 * these errors come first here too. */
static int templates(const char *service, const struct addrinfo *hints, struct tmpl *t, int *nt)
{
  struct addrinfo h = {
      .ai_flags = (hints->ai_flags & AI_NUMERICSERV) | AI_NUMERICHOST,
      .ai_family = hints->ai_family == AF_INET6 ? AF_INET6 : AF_INET,
      .ai_socktype = hints->ai_socktype,
      .ai_protocol = hints->ai_protocol,
  };
  struct addrinfo *res = NULL;
  int rc = REAL(getaddrinfo)(h.ai_family == AF_INET6 ? "::1" : "127.0.0.1", service, &h, &res);
  if (rc)
    return rc;
  *nt = 0;
  for (struct addrinfo *ai = res; ai && *nt < MAX_TEMPLATES; ai = ai->ai_next) {
    uint16_t port = ai->ai_family == AF_INET6 ? ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port
                                              : ((struct sockaddr_in *)ai->ai_addr)->sin_port;
    t[(*nt)++] = (struct tmpl){ai->ai_socktype, ai->ai_protocol, port};
  }
  freeaddrinfo(res);
  return 0;
}

/* One result entry and its address in one block, as glibc allocates
 * them: its freeaddrinfo() frees each entry and its ai_canonname, and
 * nothing else. */
static struct addrinfo *new_entry(const struct mynet_host_addr *a, const struct tmpl *t)
{
  size_t salen = a->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  struct addrinfo *ai = calloc(1, sizeof(*ai) + salen);
  if (!ai)
    return NULL;
  ai->ai_family = a->family;
  ai->ai_socktype = t->socktype;
  ai->ai_protocol = t->protocol;
  ai->ai_addrlen = (socklen_t)salen;
  ai->ai_addr = (struct sockaddr *)(ai + 1);
  if (a->family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
    sin->sin_family = AF_INET;
    sin->sin_port = t->port;
    memcpy(&sin->sin_addr, a->bytes, 4);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = t->port;
    memcpy(&sin6->sin6_addr, a->bytes, 16);
  }
  return ai;
}

static bool v4_like(const struct mynet_host_addr *a)
{
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a->family == AF_INET || memcmp(a->bytes, mapped, 12) == 0;
}

/* The addresses getaddrinfo returns, in its order: IPv4 (and IPv4-mapped)
 * before IPv6, each group as found.  For AF_INET6 with AI_V4MAPPED the
 * IPv4 addresses are mapped, and used only if there is no IPv6 one or
 * with AI_ALL. */
static int pick_addrs(const struct mynet_host *h, const struct addrinfo *hints,
                      struct mynet_host_addr *out)
{
  struct mynet_host_addr v4[MYNET_HOST_MAX_ADDRS] = {0}, v6[MYNET_HOST_MAX_ADDRS] = {0};
  int n4 = 0, n6 = 0;
  bool map = hints->ai_family == AF_INET6;
  for (int i = 0; i < h->naddrs; i++) {
    struct mynet_host_addr a = h->addrs[i];
    if (a.family == AF_INET && map) {
      uint8_t b[4];
      memcpy(b, a.bytes, 4);
      memset(a.bytes, 0, 16);
      a.bytes[10] = a.bytes[11] = 0xff;
      memcpy(a.bytes + 12, b, 4);
      a.family = AF_INET6;
      v4[n4++] = a;
    } else if (v4_like(&a)) {
      v4[n4++] = a;
    } else {
      v6[n6++] = a;
    }
  }
  if (map && n6 > 0 && !(hints->ai_flags & AI_ALL))
    n4 = 0;
  memcpy(out, v4, (size_t)n4 * sizeof(*out));
  memcpy(out + n4, v6, (size_t)n6 * sizeof(*out));
  return n4 + n6;
}

static int build(const struct mynet_host *h, const struct addrinfo *hints, const struct tmpl *t,
                 int nt, struct addrinfo **res)
{
  struct mynet_host_addr addrs[MYNET_HOST_MAX_ADDRS];
  int n = pick_addrs(h, hints, addrs);
  if (n == 0)
    return EAI_NODATA;
  struct addrinfo *head = NULL, **tail = &head;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < nt; k++) {
      struct addrinfo *ai = new_entry(&addrs[i], &t[k]);
      if (!ai) {
        freeaddrinfo(head);
        return EAI_MEMORY;
      }
      *tail = ai;
      tail = &ai->ai_next;
    }
  }
  if ((hints->ai_flags & AI_CANONNAME) && head) {
    head->ai_canonname = strdup(h->name);
    if (!head->ai_canonname) {
      freeaddrinfo(head);
      return EAI_MEMORY;
    }
  }
  *res = head;
  return 0;
}

/* h_errno to getaddrinfo's error (glibc 2.36: a timeout is EAI_AGAIN, a
 * name without such records EAI_NODATA, everything else EAI_NONAME). */
static int eai_from_herr(int herr)
{
  switch (herr) {
  case TRY_AGAIN:
    return EAI_AGAIN;
  case NO_DATA:
    return EAI_NODATA;
  case NETDB_INTERNAL:
    return errno == ENOMEM ? EAI_MEMORY : EAI_SYSTEM;
  default:
    return EAI_NONAME;
  }
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
  /* glibc's defaults without hints (AI_DEFAULT). */
  static const struct addrinfo defaults = {.ai_flags = AI_V4MAPPED | AI_ADDRCONFIG};
  const struct addrinfo *h = hints ? hints : &defaults;
  if (!node || (h->ai_flags & AI_NUMERICHOST) || numeric_host(node))
    return REAL(getaddrinfo)(node, service, hints, res);
  if (h->ai_flags & ~KNOWN_AI_FLAGS)
    return EAI_BADFLAGS;
  if (h->ai_family != AF_UNSPEC && h->ai_family != AF_INET && h->ai_family != AF_INET6)
    return EAI_FAMILY;
  /* glibc decides this before it looks at the service: with no IPv6
   * address configured (the stack has none), nothing could be used. */
  bool addrconfig = h->ai_flags & AI_ADDRCONFIG;
  if (h->ai_family == AF_INET6 && addrconfig)
    return EAI_NONAME;
  struct tmpl t[MAX_TEMPLATES];
  int nt;
  int rc = templates(service, h, t, &nt);
  if (rc)
    return rc;
  enum shim_lookup_kind kind;
  if (h->ai_family == AF_INET || (h->ai_family == AF_UNSPEC && addrconfig))
    kind = SHIM_LOOKUP_V4;
  else if (h->ai_family == AF_INET6 && !(h->ai_flags & AI_V4MAPPED))
    kind = SHIM_LOOKUP_V6;
  else
    kind = SHIM_LOOKUP_BOTH;
  struct mynet_host *host = malloc(sizeof(*host));
  if (!host)
    return EAI_MEMORY;
  int herr = shim_lookup_name(node, kind, host);
  rc = herr ? eai_from_herr(herr) : build(host, h, t, nt, res);
  free(host);
  return rc;
}

/* --- gethostbyname and gethostbyaddr ----------------------------------- */

/* Lays host out in buf as glibc's _r functions do: the pointer arrays,
 * the addresses of family af, the names.  -ERANGE if buf is too small. */
static int fill_hostent(const struct mynet_host *h, int af, struct hostent *he, char *buf,
                        size_t buflen)
{
  size_t alen = af == AF_INET ? 4 : 16;
  int naddrs = 0;
  for (int i = 0; i < h->naddrs; i++)
    naddrs += h->addrs[i].family == af;
  size_t strings = strlen(h->name) + 1;
  for (int i = 0; i < h->naliases; i++)
    strings += strlen(h->aliases[i]) + 1;
  size_t pad = (sizeof(char *) - (uintptr_t)buf % sizeof(char *)) % sizeof(char *);
  size_t need = pad + ((size_t)naddrs + 1 + (size_t)h->naliases + 1) * sizeof(char *) +
                (size_t)naddrs * alen + strings;
  if (need > buflen)
    return -ERANGE;
  char **addr_list = (char **)(void *)(buf + pad);
  char **aliases = addr_list + naddrs + 1;
  char *p = (char *)(aliases + h->naliases + 1);
  int k = 0;
  for (int i = 0; i < h->naddrs; i++) {
    if (h->addrs[i].family != af)
      continue;
    memcpy(p, h->addrs[i].bytes, alen);
    addr_list[k++] = p;
    p += alen;
  }
  addr_list[k] = NULL;
  he->h_name = p;
  p = stpcpy(p, h->name) + 1;
  for (int i = 0; i < h->naliases; i++) {
    aliases[i] = p;
    p = stpcpy(p, h->aliases[i]) + 1;
  }
  aliases[h->naliases] = NULL;
  he->h_aliases = aliases;
  he->h_addrtype = af;
  he->h_length = (int)alen;
  he->h_addr_list = addr_list;
  return 0;
}

/* The end of every _r call: glibc returns 0 for "no such host" and "no
 * such record" (with *result NULL), EAGAIN for a failure (TRY_AGAIN, and
 * NO_RECOVERY too), ERANGE for a buffer too small.  It sets the thread's
 * h_errno as well as *h_errnop, and programs read either (Python's
 * socket.gethostbyaddr reads h_errno). */
static int finish_r(int herr, const struct mynet_host *h, int af, struct hostent *ret, char *buf,
                    size_t buflen, struct hostent **result, int *h_errnop)
{
  *result = NULL;
  if (herr == 0) {
    if (fill_hostent(h, af, ret, buf, buflen) < 0) {
      *h_errnop = h_errno = NETDB_INTERNAL;
      errno = ERANGE;
      return ERANGE;
    }
    *result = ret;
    return 0;
  }
  *h_errnop = h_errno = herr;
  if (herr == NETDB_INTERNAL)
    return errno;
  if (herr == TRY_AGAIN || herr == NO_RECOVERY) {
    errno = EAGAIN;
    return EAGAIN;
  }
  return 0;
}

static int byname_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop)
{
  if (!name) {
    *result = NULL;
    *h_errnop = h_errno = HOST_NOT_FOUND;
    return 0;
  }
  if (af != AF_INET && af != AF_INET6) {
    *result = NULL;
    *h_errnop = h_errno = NETDB_INTERNAL;
    errno = EAFNOSUPPORT;
    return EAFNOSUPPORT;
  }
  struct mynet_host *h = malloc(sizeof(*h));
  if (!h) {
    *result = NULL;
    *h_errnop = h_errno = NETDB_INTERNAL;
    return errno = ENOMEM;
  }
  int herr = shim_lookup_name(name, af == AF_INET ? SHIM_LOOKUP_V4 : SHIM_LOOKUP_V6, h);
  int rc = finish_r(herr, h, af, ret, buf, buflen, result, h_errnop);
  free(h);
  return rc;
}

static int byaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret, char *buf,
                    size_t buflen, struct hostent **result, int *h_errnop)
{
  *result = NULL;
  /* glibc's dns backend: a known family and at least its address's
   * length; the unspecified IPv6 address has no name. */
  if ((type != AF_INET && type != AF_INET6) || len < (type == AF_INET ? 4u : 16u)) {
    *h_errnop = h_errno = NETDB_INTERNAL;
    errno = EAFNOSUPPORT;
    return EAFNOSUPPORT;
  }
  if (type == AF_INET6 && memcmp(addr, &in6addr_any, 16) == 0) {
    *h_errnop = h_errno = HOST_NOT_FOUND;
    return 0;
  }
  struct mynet_host *h = malloc(sizeof(*h));
  if (!h) {
    *h_errnop = h_errno = NETDB_INTERNAL;
    return errno = ENOMEM;
  }
  int herr = shim_lookup_addr(type, addr, h);
  int rc = finish_r(herr, h, type, ret, buf, buflen, result, h_errnop);
  free(h);
  return rc;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
                     struct hostent **result, int *h_errnop)
{
  if (digits_dots(name))
    return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
  return byname_r(name, af, ret, buf, buflen, result, h_errnop);
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop)
{
  if (digits_dots(name))
    return REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
  return byname_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret, char *buf,
                    size_t buflen, struct hostent **result, int *h_errnop)
{
  return byaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
}

/* The non-reentrant calls share one static result, as glibc's do (a
 * second call overwrites what the first returned); the lock keeps two
 * threads from filling it at once.  The buffer holds the largest host
 * the lookups produce. */
static struct {
  pthread_mutex_t lock;
  struct hostent he;
  char buf[(MYNET_HOST_MAX_ADDRS + MYNET_HOST_MAX_ALIASES + 3) * (sizeof(char *) + 16) +
           (MYNET_HOST_MAX_ALIASES + 1) * MYNET_NAME_MAX];
} shared = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The non-reentrant calls report failures through h_errno. */
static struct hostent *nonreentrant(struct hostent *result, int herr)
{
  if (!result)
    h_errno = herr;
  return result;
}

struct hostent *gethostbyname2(const char *name, int af)
{
  if (digits_dots(name))
    return REAL(gethostbyname2)(name, af);
  struct hostent *result;
  int herr = 0;
  pthread_mutex_lock(&shared.lock);
  byname_r(name, af, &shared.he, shared.buf, sizeof shared.buf, &result, &herr);
  pthread_mutex_unlock(&shared.lock);
  return nonreentrant(result, herr);
}

struct hostent *gethostbyname(const char *name)
{
  if (digits_dots(name))
    return REAL(gethostbyname)(name);
  struct hostent *result;
  int herr = 0;
  pthread_mutex_lock(&shared.lock);
  byname_r(name, AF_INET, &shared.he, shared.buf, sizeof shared.buf, &result, &herr);
  pthread_mutex_unlock(&shared.lock);
  return nonreentrant(result, herr);
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
  struct hostent *result;
  int herr = 0;
  pthread_mutex_lock(&shared.lock);
  byaddr_r(addr, len, type, &shared.he, shared.buf, sizeof shared.buf, &result, &herr);
  pthread_mutex_unlock(&shared.lock);
  return nonreentrant(result, herr);
}

/* --- getnameinfo ------------------------------------------------------- */

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
  if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || !host || hostlen == 0 ||
      (flags & NI_NUMERICHOST))
    return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
  /* glibc's own checks, the service and the numeric form of the host
   * first: no lookup, and the numeric form is the answer when the name
   * is not found. */
  int rc = REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen,
                             (flags & ~NI_NAMEREQD) | NI_NUMERICHOST);
  if (rc)
    return rc;
  int family = sa->sa_family;
  const void *addr = family == AF_INET
                         ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                         : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
  struct mynet_host *h = malloc(sizeof(*h));
  if (!h)
    return EAI_MEMORY;
  int herr = shim_lookup_addr(family, addr, h);
  if (herr == 0) {
    if (flags & NI_NOFQDN) {
      /* glibc: cut the local domain off the name. */
      char domain[MYNET_NAME_MAX];
      shim_local_domain(domain);
      size_t n = strlen(h->name), d = strlen(domain);
      if (d > 0 && n > d + 1 && h->name[n - d - 1] == '.' && strcmp(h->name + n - d, domain) == 0)
        h->name[n - d - 1] = 0;
    }
    size_t n = strlen(h->name);
    if (n >= hostlen)
      rc = EAI_OVERFLOW;
    else
      memcpy(host, h->name, n + 1);
  } else if (flags & NI_NAMEREQD) {
    rc = herr == TRY_AGAIN ? EAI_AGAIN : EAI_NONAME;
  } else if (herr == TRY_AGAIN) {
    rc = EAI_AGAIN; /* glibc reports the failure rather than the number */
  } else if (herr == NETDB_INTERNAL) {
    rc = errno == ENOMEM ? EAI_MEMORY : EAI_SYSTEM;
  }
  free(h);
  return rc;
}
