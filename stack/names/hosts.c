/* /etc/hosts text, read the way glibc's files backend reads it
 * (nss/nss_files/files-hosts.c): one address and its names per line,
 * '#' to the end of the line a comment, fields separated by blanks. */
#include <mynet/names.h>

#include <arpa/inet.h>
#include <string.h>

#define MAX_FIELDS 64

struct line {
  struct mynet_host_addr addr;
  const char *names[MAX_FIELDS]; /* not terminated: see lens */
  size_t lens[MAX_FIELDS];
  int nnames;
};

static bool blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Splits one line (without its newline); false if it holds no entry. */
static bool parse_line(const char *p, const char *end, struct line *l)
{
  const char *hash = memchr(p, '#', (size_t)(end - p));
  if (hash)
    end = hash;
  const char *fields[MAX_FIELDS + 1];
  size_t lens[MAX_FIELDS + 1];
  int n = 0;
  while (p < end && n <= MAX_FIELDS) {
    while (p < end && blank(*p))
      p++;
    const char *start = p;
    while (p < end && !blank(*p))
      p++;
    if (p > start) {
      fields[n] = start;
      lens[n++] = (size_t)(p - start);
    }
  }
  if (n < 2 || lens[0] >= INET6_ADDRSTRLEN + 16)
    return false;
  char text[INET6_ADDRSTRLEN + 16];
  memcpy(text, fields[0], lens[0]);
  text[lens[0]] = 0;
  /* A scope ("fe80::1%eth0") names an interface, not part of the address. */
  char *pct = strchr(text, '%');
  if (pct)
    *pct = 0;
  memset(&l->addr, 0, sizeof l->addr);
  if (inet_pton(AF_INET6, text, l->addr.bytes) == 1)
    l->addr.family = AF_INET6;
  else if (!pct && inet_pton(AF_INET, text, l->addr.bytes) == 1)
    l->addr.family = AF_INET;
  else
    return false;
  l->nnames = 0;
  for (int i = 1; i < n && l->nnames < MAX_FIELDS; i++) {
    l->names[l->nnames] = fields[i];
    l->lens[l->nnames++] = lens[i];
  }
  return true;
}

static bool same_name(const char *a, size_t alen, const char *b)
{
  return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

static bool v4mapped(const uint8_t *b)
{
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(b, prefix, 12) == 0;
}

/* The line's address as family asks for it; false if it does not fit. */
static bool addr_for(const struct line *l, int family, struct mynet_host_addr *out)
{
  *out = l->addr;
  if (family == AF_UNSPEC || family == l->addr.family)
    return true;
  if (family == AF_INET && l->addr.family == AF_INET6 && v4mapped(l->addr.bytes)) {
    memset(out, 0, sizeof(*out));
    out->family = AF_INET;
    memcpy(out->bytes, l->addr.bytes + 12, 4);
    return true;
  }
  return false;
}

static void copy_name(char dst[MYNET_NAME_MAX], const char *src, size_t len)
{
  if (len >= MYNET_NAME_MAX)
    len = MYNET_NAME_MAX - 1;
  memcpy(dst, src, len);
  dst[len] = 0;
}

static void add_alias(struct mynet_host *h, const char *name, size_t len)
{
  if (h->naliases < MYNET_HOST_MAX_ALIASES)
    copy_name(h->aliases[h->naliases++], name, len);
}

/* Calls fn for every entry of text; stops when fn returns false. */
static void each_line(const char *text, size_t len, bool (*fn)(const struct line *, void *),
                      void *arg)
{
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    struct line l;
    if (parse_line(p, eol, &l) && !fn(&l, arg))
      return;
    p = nl ? nl + 1 : end;
  }
}

struct by_name {
  const char *name;
  int family;
  struct mynet_host *out;
  bool found;
};

static bool by_name_line(const struct line *l, void *arg)
{
  struct by_name *q = arg;
  struct mynet_host_addr a;
  if (!addr_for(l, q->family, &a))
    return true;
  bool match = false;
  for (int i = 0; i < l->nnames && !match; i++)
    match = same_name(l->names[i], l->lens[i], q->name);
  if (!match)
    return true;
  struct mynet_host *h = q->out;
  if (!q->found) {
    copy_name(h->name, l->names[0], l->lens[0]);
    for (int i = 1; i < l->nnames; i++)
      add_alias(h, l->names[i], l->lens[i]);
    q->found = true;
  } else {
    /* glibc's multi merge: the line's aliases, then its official name
     * when it is not the result's (compared with case). */
    for (int i = 1; i < l->nnames; i++)
      add_alias(h, l->names[i], l->lens[i]);
    if (!(strlen(h->name) == l->lens[0] && strncmp(h->name, l->names[0], l->lens[0]) == 0))
      add_alias(h, l->names[0], l->lens[0]);
  }
  if (h->naddrs < MYNET_HOST_MAX_ADDRS)
    h->addrs[h->naddrs++] = a;
  return true;
}

int mynet_hosts_by_name(const char *text, size_t len, const char *name, int family,
                        struct mynet_host *out)
{
  memset(out, 0, sizeof(*out));
  struct by_name q = {.name = name, .family = family, .out = out};
  if (text)
    each_line(text, len, by_name_line, &q);
  return out->naddrs;
}

struct by_addr {
  int family;
  const uint8_t *addr;
  struct mynet_host *out;
};

static bool by_addr_line(const struct line *l, void *arg)
{
  struct by_addr *q = arg;
  size_t alen = q->family == AF_INET ? 4 : 16;
  if (l->addr.family != q->family || memcmp(l->addr.bytes, q->addr, alen) != 0)
    return true;
  struct mynet_host *h = q->out;
  copy_name(h->name, l->names[0], l->lens[0]);
  for (int i = 1; i < l->nnames; i++)
    add_alias(h, l->names[i], l->lens[i]);
  h->addrs[h->naddrs++] = l->addr;
  return false;
}

int mynet_hosts_by_addr(const char *text, size_t len, int family, const void *addr,
                        struct mynet_host *out)
{
  memset(out, 0, sizeof(*out));
  if (!text || (family != AF_INET && family != AF_INET6))
    return 0;
  struct by_addr q = {.family = family, .addr = addr, .out = out};
  each_line(text, len, by_addr_line, &q);
  return out->naddrs;
}
