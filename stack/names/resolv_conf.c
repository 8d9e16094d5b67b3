/* resolv.conf text and the resolver's environment variables, read the way
 * glibc 2.36's res_init does (resolv/res_init.c): the same keywords, the
 * same precedence (LOCALDOMAIN over the file's search list, RES_OPTIONS
 * over its options), the same limits, and atoi()'s leniency. */
#include <mynet/names.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* glibc's RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY, RES_TIMEOUT,
 * RES_DFLRETRY. */
#define MAX_NDOTS 15
#define MAX_TIMEOUT 30
#define MAX_ATTEMPTS 5
#define DEFAULT_TIMEOUT 5
#define DEFAULT_ATTEMPTS 2

static bool blank(char c)
{
  return c == ' ' || c == '\t';
}

/* "keyword" followed by a blank, as glibc's MATCH(). */
static const char *keyword(const char *line, const char *end, const char *kw)
{
  size_t n = strlen(kw);
  if ((size_t)(end - line) <= n || strncmp(line, kw, n) != 0 || !blank(line[n]))
    return NULL;
  const char *p = line + n;
  while (p < end && blank(*p))
    p++;
  return p;
}

/* Replaces the search list with the blank-separated words of [p, end). */
static void set_search(struct mynet_resolv_conf *rc, const char *p, const char *end)
{
  rc->nsearch = 0;
  while (p < end) {
    while (p < end && (blank(*p) || *p == '\r'))
      p++;
    const char *start = p;
    while (p < end && !blank(*p) && *p != '\r')
      p++;
    size_t n = (size_t)(p - start);
    if (n == 0)
      break;
    if (rc->nsearch < MYNET_RESOLV_MAX_SEARCH && n < MYNET_NAME_MAX) {
      memcpy(rc->search[rc->nsearch], start, n);
      rc->search[rc->nsearch++][n] = 0;
    }
  }
}

/* atoi() on a bounded span. */
static int span_atoi(const char *p, const char *end)
{
  char buf[16];
  size_t n = (size_t)(end - p);
  if (n >= sizeof buf)
    n = sizeof buf - 1;
  memcpy(buf, p, n);
  buf[n] = 0;
  return atoi(buf);
}

static int at_most(int v, int max)
{
  return v <= max ? v : max;
}

/* glibc's res_setoptions(): each blank-separated word; flags match by
 * prefix, unknown words are ignored. */
static void set_options(struct mynet_resolv_conf *rc, const char *p, const char *end)
{
  static const struct {
    const char *word;
    unsigned flag;
  } flags[] = {
      {"rotate", MYNET_RES_ROTATE},
      {"single-request", MYNET_RES_SINGLE_REQUEST}, /* also single-request-reopen */
      {"no_tld_query", MYNET_RES_NO_TLD_QUERY},
      {"no-tld-query", MYNET_RES_NO_TLD_QUERY},
      {"use-vc", MYNET_RES_USE_VC},
      {"no-aaaa", MYNET_RES_NO_AAAA},
  };
  while (p < end) {
    while (p < end && (blank(*p) || *p == '\r'))
      p++;
    const char *w = p;
    while (p < end && !blank(*p) && *p != '\r')
      p++;
    size_t n = (size_t)(p - w);
    if (n == 0)
      break;
    if (n >= 6 && strncmp(w, "ndots:", 6) == 0)
      rc->ndots = at_most(span_atoi(w + 6, p), MAX_NDOTS);
    else if (n >= 8 && strncmp(w, "timeout:", 8) == 0)
      rc->timeout = at_most(span_atoi(w + 8, p), MAX_TIMEOUT);
    else if (n >= 9 && strncmp(w, "attempts:", 9) == 0)
      rc->attempts = at_most(span_atoi(w + 9, p), MAX_ATTEMPTS);
    else
      for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        size_t fl = strlen(flags[i].word);
        if (n >= fl && strncmp(w, flags[i].word, fl) == 0) {
          rc->options |= flags[i].flag;
          break;
        }
      }
  }
}

static void nameserver(struct mynet_resolv_conf *rc, const char *p, const char *end)
{
  if (rc->has_nameserver)
    return;
  char text[INET6_ADDRSTRLEN + 16];
  size_t n = 0;
  while (p + n < end && !blank(p[n]) && p[n] != '\r' && n < sizeof text - 1)
    n++;
  memcpy(text, p, n);
  text[n] = 0;
  /* glibc reads an IPv4 server with inet_aton (so "10.1" is 10.0.0.1);
   * IPv6 servers are not reachable through the stack and are passed
   * over. */
  struct in_addr a;
  if (n > 0 && inet_aton(text, &a)) {
    rc->nameserver = ntohl(a.s_addr);
    rc->has_nameserver = true;
  }
}

void mynet_resolv_conf_parse(const char *text, size_t len, const char *localdomain,
                             const char *res_options, const char *hostname,
                             struct mynet_resolv_conf *out)
{
  memset(out, 0, sizeof(*out));
  out->ndots = 1;
  out->timeout = DEFAULT_TIMEOUT;
  out->attempts = DEFAULT_ATTEMPTS;
  if (localdomain) {
    /* LOCALDOMAIN's words up to a newline, over the file's. */
    const char *nl = strchr(localdomain, '\n');
    set_search(out, localdomain, nl ? nl : localdomain + strlen(localdomain));
    if (out->nsearch == 0) {
      /* glibc keeps an empty first entry: the root, i.e. no search. */
      out->search[0][0] = 0;
      out->nsearch = 1;
    }
  }
  const char *p = text, *end = text ? text + len : NULL;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    const char *v;
    if (*p == ';' || *p == '#') {
      /* a comment */
    } else if ((v = keyword(p, eol, "domain")) != NULL) {
      if (!localdomain && v < eol) {
        /* One domain: the first word. */
        const char *w = v;
        while (w < eol && !blank(*w) && *w != '\r')
          w++;
        set_search(out, v, w);
      }
    } else if ((v = keyword(p, eol, "search")) != NULL) {
      if (!localdomain && v < eol)
        set_search(out, v, eol);
    } else if ((v = keyword(p, eol, "nameserver")) != NULL) {
      nameserver(out, v, eol);
    } else if ((v = keyword(p, eol, "options")) != NULL) {
      set_options(out, v, eol);
    }
    p = nl ? nl + 1 : end;
  }
  if (out->nsearch == 0 && hostname) {
    const char *dot = strchr(hostname, '.');
    if (dot && dot[1] && strlen(dot + 1) < MYNET_NAME_MAX) {
      strcpy(out->search[0], dot + 1);
      out->nsearch = 1;
    }
  }
  if (res_options)
    set_options(out, res_options, res_options + strlen(res_options));
}
