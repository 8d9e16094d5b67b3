/* Parsing the MYNET_* variables, and bringing up what they describe.
 * Every message names the variable and the form it expects. */
#include <mynet/config.h>

#include "dev/device.h"
#include "net/iface.h"
#include "net/route.h"
#include "port.h"
#include "stack_impl.h"
#include "wire/ipv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mynet_config_defaults(struct mynet_config *c)
{
  memset(c, 0, sizeof(*c));
  snprintf(c->tap, sizeof(c->tap), "mynet0");
  c->addr = mn_ip4(192, 0, 2, 2);
  c->prefix = 24;
  c->mtu = 1500;
  c->log_level = MYNET_LOG_WARN;
  c->linger = MYNET_SEC(10);
  c->mem = MYNET_MEM_DEFAULT;
}

/* A size: digits and an optional K, M or G (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || errno || s[0] == '-')
    return -EINVAL;
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k')
    shift = 10;
  else if (*end == 'M' || *end == 'm')
    shift = 20;
  else if (*end == 'G' || *end == 'g')
    shift = 30;
  if (shift)
    end++;
  if (*end || v > (UINT64_MAX >> shift))
    return -EINVAL;
  *out = (uint64_t)v << shift;
  return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -EINVAL;
}

/* Unsigned decimal in [0, max] covering the whole of [s, end). */
static int parse_uint_span(const char *s, const char *end, unsigned long max, unsigned long *out)
{
  if (s == end)
    return -EINVAL;
  unsigned long v = 0;
  for (const char *p = s; p < end; p++) {
    if (!isdigit((unsigned char)*p))
      return -EINVAL;
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > max)
      return -EINVAL;
  }
  *out = v;
  return 0;
}

int mynet_parse_ipv4(const char *s, uint32_t *out)
{
  uint32_t a = 0;
  const char *p = s;
  for (int i = 0; i < 4; i++) {
    const char *end = p;
    while (isdigit((unsigned char)*end))
      end++;
    /* Dotted decimal only, no leading zeros (inet_aton would read them
     * as octal, a classic surprise). */
    if (end - p > 1 && *p == '0')
      return -EINVAL;
    unsigned long v;
    if (end - p > 3 || parse_uint_span(p, end, 255, &v) < 0)
      return -EINVAL;
    a = a << 8 | (uint32_t)v;
    p = end;
    if (i < 3) {
      if (*p != '.')
        return -EINVAL;
      p++;
    }
  }
  if (*p)
    return -EINVAL;
  *out = a;
  return 0;
}

int mynet_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix)
{
  const char *slash = strchr(s, '/');
  if (!slash || slash - s > 15)
    return -EINVAL;
  char ip[16];
  memcpy(ip, s, (size_t)(slash - s));
  ip[slash - s] = 0;
  unsigned long n;
  if (mynet_parse_ipv4(ip, addr) < 0 ||
      parse_uint_span(slash + 1, slash + strlen(slash), 32, &n) < 0)
    return -EINVAL;
  *prefix = (uint8_t)n;
  return 0;
}

int mynet_parse_mac(const char *s, uint8_t mac[6])
{
  if (strlen(s) != 17)
    return -EINVAL;
  for (int i = 0; i < 6; i++) {
    const char *p = s + i * 3;
    if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
      return -EINVAL;
    char hex[3] = {p[0], p[1], 0};
    mac[i] = (uint8_t)strtoul(hex, NULL, 16);
  }
  return 0;
}

/* A number with an optional unit: us, ms, s; a bare number is seconds. */
static int parse_duration_span(const char *s, const char *end, mynet_time *out)
{
  const char *p = s;
  while (p < end && isdigit((unsigned char)*p))
    p++;
  unsigned long v;
  if (parse_uint_span(s, p, 1000000000ul, &v) < 0)
    return -EINVAL;
  size_t ulen = (size_t)(end - p);
  if (ulen == 0 || (ulen == 1 && *p == 's'))
    *out = MYNET_SEC((mynet_time)v);
  else if (ulen == 2 && strncmp(p, "ms", 2) == 0)
    *out = MYNET_MS((mynet_time)v);
  else if (ulen == 2 && strncmp(p, "us", 2) == 0)
    *out = (mynet_time)v;
  else
    return -EINVAL;
  return 0;
}

int mynet_parse_duration(const char *s, mynet_time *out)
{
  return parse_duration_span(s, s + strlen(s), out);
}

/* "2%", "0.1%": parts per million, at most four decimals. */
static int parse_percent_span(const char *s, const char *end, uint32_t *ppm)
{
  if (end == s || end[-1] != '%')
    return -EINVAL;
  end--;
  const char *dot = memchr(s, '.', (size_t)(end - s));
  unsigned long whole, frac = 0;
  const char *wend = dot ? dot : end;
  if (parse_uint_span(s, wend, 100, &whole) < 0)
    return -EINVAL;
  if (dot) {
    size_t digits = (size_t)(end - dot - 1);
    if (digits == 0 || digits > 4 || parse_uint_span(dot + 1, end, 9999, &frac) < 0)
      return -EINVAL;
    for (size_t i = digits; i < 4; i++)
      frac *= 10;
  }
  unsigned long v = whole * 10000 + frac;
  if (v > 1000000)
    return -EINVAL;
  *ppm = (uint32_t)v;
  return 0;
}

int mynet_parse_faults(const char *s, struct mynet_faults_cfg *f, char *err, size_t errlen)
{
  static const char form[] =
      "expected comma-separated key=value with keys loss, dup, reorder, corrupt (N% or N.N%), "
      "delay (Nms or Nms±Jms), seed (integer), e.g. loss=2%,delay=20ms±10ms,seed=42";
  memset(f, 0, sizeof(*f));
  const char *p = s;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end)
      end = p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq)
      return fail(err, errlen, "MYNET_FAULTS: '%.*s' has no '=': %s", (int)(end - p), p, form);
    size_t klen = (size_t)(eq - p);
    const char *v = eq + 1;
    int rc = 0;
#define KEY(name) (klen == strlen(name) && strncmp(p, name, klen) == 0)
    if (KEY("loss"))
      rc = parse_percent_span(v, end, &f->loss_ppm);
    else if (KEY("dup"))
      rc = parse_percent_span(v, end, &f->dup_ppm);
    else if (KEY("reorder"))
      rc = parse_percent_span(v, end, &f->reorder_ppm);
    else if (KEY("corrupt"))
      rc = parse_percent_span(v, end, &f->corrupt_ppm);
    else if (KEY("seed")) {
      unsigned long seed = 0;
      rc = parse_uint_span(v, end, 0xfffffffful, &seed);
      f->seed = seed;
    } else if (KEY("delay")) {
      /* "±" is two bytes in UTF-8; "+-" is accepted for plain terminals. */
      const char *pm = NULL;
      size_t pmlen = 0;
      for (const char *q = v; q < end; q++) {
        if (end - q >= 2 && (unsigned char)q[0] == 0xc2 && (unsigned char)q[1] == 0xb1) {
          pm = q;
          pmlen = 2;
          break;
        }
        if (end - q >= 2 && q[0] == '+' && q[1] == '-') {
          pm = q;
          pmlen = 2;
          break;
        }
      }
      rc = parse_duration_span(v, pm ? pm : end, &f->delay);
      if (rc == 0 && pm)
        rc = parse_duration_span(pm + pmlen, end, &f->jitter);
      if (rc == 0 && f->jitter > f->delay)
        return fail(err, errlen, "MYNET_FAULTS: delay jitter larger than the delay in '%.*s'",
                    (int)(end - p), p);
    } else {
      return fail(err, errlen, "MYNET_FAULTS: unknown key '%.*s': %s", (int)klen, p, form);
    }
#undef KEY
    if (rc < 0)
      return fail(err, errlen, "MYNET_FAULTS: bad value in '%.*s': %s", (int)(end - p), p, form);
    p = *end ? end + 1 : end;
  }
  f->enabled = f->loss_ppm || f->dup_ppm || f->reorder_ppm || f->corrupt_ppm || f->delay;
  return 0;
}

static int parse_routes(struct mynet_config *c, const char *s, char *err, size_t errlen)
{
  static const char form[] =
      "expected 'NET/N via GW' entries separated by commas, e.g. 10.1.0.0/16 via 192.0.2.254";
  c->nroutes = 0;
  const char *p = s;
  while (*p) {
    while (*p == ' ')
      p++;
    const char *end = p + strcspn(p, ",;");
    char entry[96];
    if ((size_t)(end - p) >= sizeof(entry))
      return fail(err, errlen, "MYNET_ROUTES: entry too long: %s", form);
    memcpy(entry, p, (size_t)(end - p));
    entry[end - p] = 0;
    char net[32], via[8], gw[32], extra[2];
    struct mynet_route_cfg r = {0};
    if (sscanf(entry, "%31s %7s %31s %1s", net, via, gw, extra) != 3 || strcmp(via, "via") != 0)
      return fail(err, errlen, "MYNET_ROUTES: cannot read '%s': %s", entry, form);
    if (strcmp(net, "default") == 0) {
      r.net = 0;
      r.prefix = 0;
    } else if (mynet_parse_cidr(net, &r.net, &r.prefix) < 0) {
      return fail(err, errlen, "MYNET_ROUTES: bad network '%s' in '%s': %s", net, entry, form);
    }
    if (mynet_parse_ipv4(gw, &r.via) < 0)
      return fail(err, errlen, "MYNET_ROUTES: bad gateway '%s' in '%s': %s", gw, entry, form);
    if (c->nroutes >= MYNET_MAX_ROUTES)
      return fail(err, errlen, "MYNET_ROUTES: more than %d routes", MYNET_MAX_ROUTES);
    r.net &= mn_prefix_mask(r.prefix);
    c->routes[c->nroutes++] = r;
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* "A.B.C.D" or "A.B.C.D:PORT".  The server may sit anywhere the stack
 * routes to, loopback included (a server inside the same process); only
 * what cannot be one server's address is refused. */
static int parse_dns(struct mynet_config *c, const char *value, char *err, size_t errlen)
{
  char addr[16];
  const char *colon = strchr(value, ':');
  size_t alen = colon ? (size_t)(colon - value) : strlen(value);
  unsigned long port = 53;
  uint32_t a = 0;
  bool ok = alen < sizeof addr;
  if (ok) {
    memcpy(addr, value, alen);
    addr[alen] = 0;
    ok = mynet_parse_ipv4(addr, &a) == 0 && a != 0 && a != 0xffffffffu && (a >> 28) != 0xe;
  }
  if (ok && colon)
    ok = parse_uint_span(colon + 1, colon + strlen(colon), 65535, &port) == 0 && port > 0;
  if (!ok)
    return fail(err, errlen,
                "MYNET_DNS: expected A.B.C.D or A.B.C.D:PORT, a unicast IPv4 address and a port "
                "from 1 to 65535, got '%s'",
                value);
  c->dns = a;
  c->dns_port = (uint16_t)port;
  return 0;
}

static bool usable_host(uint32_t a)
{
  return a != 0 && a != 0xffffffffu && (a >> 24) != 127 && (a >> 28) != 0xe && (a >> 24) != 0;
}

int mynet_config_set(struct mynet_config *c, const char *name, const char *value, char *err,
                     size_t errlen)
{
  if (strcmp(name, "MYNET_TAP") == 0) {
    size_t n = strlen(value);
    if (n == 0 || strcmp(value, "none") == 0) {
      c->tap[0] = 0; /* loopback only */
      return 0;
    }
    if (n >= IFNAMSIZ || strpbrk(value, "/ \t\n:"))
      return fail(err, errlen,
                  "MYNET_TAP: expected a device name of 1 to %d characters without '/', ':' or "
                  "spaces (or 'none' or empty for loopback only), got '%s'",
                  IFNAMSIZ - 1, value);
    snprintf(c->tap, sizeof(c->tap), "%s", value);
    return 0;
  }
  if (strcmp(name, "MYNET_ADDR") == 0) {
    uint32_t a;
    uint8_t prefix;
    if (mynet_parse_cidr(value, &a, &prefix) < 0 || prefix == 0 || prefix > 32 || !usable_host(a))
      return fail(err, errlen,
                  "MYNET_ADDR: expected A.B.C.D/N, a unicast host address with a prefix length "
                  "of 1 to 32, got '%s'",
                  value);
    if (prefix < 31 &&
        ((a & ~mn_prefix_mask(prefix)) == 0 || (a | mn_prefix_mask(prefix)) == 0xffffffffu))
      return fail(err, errlen,
                  "MYNET_ADDR: '%s' is the network or broadcast address of its subnet; expected a "
                  "host address A.B.C.D/N",
                  value);
    c->addr = a;
    c->prefix = prefix;
    return 0;
  }
  if (strcmp(name, "MYNET_GW") == 0) {
    uint32_t a;
    if (mynet_parse_ipv4(value, &a) < 0 || !usable_host(a))
      return fail(err, errlen, "MYNET_GW: expected a unicast address A.B.C.D, got '%s'", value);
    c->gw = a;
    return 0;
  }
  if (strcmp(name, "MYNET_MAC") == 0) {
    uint8_t mac[6];
    static const uint8_t zero[6];
    if (mynet_parse_mac(value, mac) < 0 || (mac[0] & 1) || memcmp(mac, zero, 6) == 0)
      return fail(err, errlen,
                  "MYNET_MAC: expected a unicast address xx:xx:xx:xx:xx:xx (hex, first byte "
                  "even), got '%s'",
                  value);
    memcpy(c->mac, mac, 6);
    c->mac_set = true;
    return 0;
  }
  if (strcmp(name, "MYNET_MTU") == 0) {
    unsigned long v;
    if (parse_uint_span(value, value + strlen(value), 65535, &v) < 0 || v < 68 || v > 9000)
      return fail(err, errlen, "MYNET_MTU: expected an integer from 68 to 9000, got '%s'", value);
    c->mtu = (uint16_t)v;
    return 0;
  }
  if (strcmp(name, "MYNET_ROUTES") == 0)
    return parse_routes(c, value, err, errlen);
  if (strcmp(name, "MYNET_LOG") == 0) {
    static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
    for (int i = 0; i < 5; i++) {
      if (strcmp(value, levels[i]) == 0) {
        c->log_level = i;
        return 0;
      }
    }
    return fail(err, errlen, "MYNET_LOG: expected one of error, warn, info, debug, trace, got '%s'",
                value);
  }
  if (strcmp(name, "MYNET_LOG_FILE") == 0 || strcmp(name, "MYNET_PCAP") == 0) {
    char *dst = name[6] == 'L' ? c->log_file : c->pcap;
    if (!*value || strlen(value) >= MYNET_PATH_MAX)
      return fail(err, errlen, "%s: expected a file path of 1 to %d characters", name,
                  MYNET_PATH_MAX - 1);
    snprintf(dst, MYNET_PATH_MAX, "%s", value);
    return 0;
  }
  if (strcmp(name, "MYNET_FAULTS") == 0)
    return mynet_parse_faults(value, &c->faults, err, errlen);
  if (strcmp(name, "MYNET_DNS") == 0)
    return parse_dns(c, value, err, errlen);
  if (strcmp(name, "MYNET_MEM") == 0) {
    uint64_t v;
    if (parse_size(value, &v) < 0 || v < MYNET_MEM_MIN || v > MYNET_MEM_MAX)
      return fail(err, errlen,
                  "MYNET_MEM: expected a size from 16M to 64G such as 512M or 2G, got '%s'", value);
    c->mem = v;
    return 0;
  }
  if (strcmp(name, "MYNET_LINGER") == 0) {
    if (mynet_parse_duration(value, &c->linger) < 0)
      return fail(err, errlen,
                  "MYNET_LINGER: expected a duration such as 10s, 500ms or 0, got '%s'", value);
    return 0;
  }
  return fail(err, errlen, "%s: not a mynet variable", name);
}

/* Variables that only the tools read; the library passes over them. */
static bool tool_variable(const char *name, size_t len)
{
  static const char *const names[] = {"MYNET_LIB",   "MYNET_BUILD_DIR", "MYNET_SOURCE_DIR",
                                      "MYNET_NETNS", "MYNET_E2E_STACK", "MYNET_E2E_TIMEOUT"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
      return true;
  return false;
}

int mynet_config_from_env(struct mynet_config *c, char *const *envp, char *err, size_t errlen)
{
  if (err && errlen)
    err[0] = 0;
  for (char *const *e = envp; e && *e; e++) {
    if (strncmp(*e, "MYNET_", 6) != 0)
      continue;
    const char *eq = strchr(*e, '=');
    if (!eq || eq - *e >= 64 || tool_variable(*e, (size_t)(eq - *e)))
      continue;
    char name[64];
    memcpy(name, *e, (size_t)(eq - *e));
    name[eq - *e] = 0;
    int rc = mynet_config_set(c, name, eq + 1, err, errlen);
    if (rc < 0)
      return rc;
  }
  if (c->gw && (c->gw & mn_prefix_mask(c->prefix)) != (c->addr & mn_prefix_mask(c->prefix))) {
    char g[16], a[16];
    return fail(err, errlen,
                "MYNET_GW: gateway %s is not on the subnet of MYNET_ADDR %s/%u; expected an "
                "address A.B.C.D inside it",
                mn_ip4_str(c->gw, g), mn_ip4_str(c->addr, a), c->prefix);
  }
  return 0;
}

int mynet_stack_configure(mynet_stack *st, const struct mynet_config *c, char *err, size_t errlen)
{
  if (!c->tap[0])
    return 0;
  int rc;
  uint8_t mac[6];
  if (c->mac_set) {
    memcpy(mac, c->mac, 6);
  } else {
    /* A locally administered unicast address (IEEE 802: bit 1 of the first
     * byte set, bit 0 clear) made from our IPv4 address: stable across
     * runs, so the kernel's neighbour cache stays right when one program
     * after another uses the same TAP. */
    mac[0] = 0x02;
    mac[1] = 0x00;
    mac[2] = (uint8_t)(c->addr >> 24);
    mac[3] = (uint8_t)(c->addr >> 16);
    mac[4] = (uint8_t)(c->addr >> 8);
    mac[5] = (uint8_t)c->addr;
  }
  rc = mn_iface_add(st, c->tap, c->mtu, mac, c->addr, c->prefix, false);
  if (rc < 0) {
    snprintf(err, errlen, "MYNET_TAP: cannot add interface '%s': %s", c->tap, strerror(-rc));
    return rc;
  }
  char a[16], b[16];
  if (c->gw && mn_route_add(st, 0, 0, c->gw) < 0)
    return fail(err, errlen, "MYNET_GW: gateway %s is not on a connected subnet",
                mn_ip4_str(c->gw, a));
  for (int i = 0; i < c->nroutes; i++) {
    const struct mynet_route_cfg *r = &c->routes[i];
    if (mn_route_add(st, r->net, r->prefix, r->via) < 0)
      return fail(err, errlen,
                  "MYNET_ROUTES: gateway %s of route %s/%u is not on a connected subnet "
                  "(MYNET_ADDR)",
                  mn_ip4_str(r->via, a), mn_ip4_str(r->net, b), r->prefix);
  }
  return 0;
}

int mynet_port_open(mynet_stack *st, const struct mynet_config *c, mynet_port **out, char *err,
                    size_t errlen)
{
  struct mn_iface *ifc = mn_iface_by_name(st, c->tap);
  if (!c->tap[0] || !ifc) {
    snprintf(err, errlen, "MYNET_TAP: the stack has no interface '%s'", c->tap);
    return -ENODEV;
  }
  struct mn_device *dev;
  int rc = mn_tap_open(c->tap, ifc->mtu, st->fd_floor, &dev, err, errlen);
  if (rc < 0)
    return rc;
  if (c->faults.enabled) {
    struct mn_device *wrapped = mn_faults_wrap(dev, &c->faults, &st->ctr);
    if (!wrapped) {
      dev->ops->destroy(dev);
      snprintf(err, errlen, "MYNET_FAULTS: out of memory");
      return -ENOMEM;
    }
    dev = wrapped;
  }
  *out = mn_port_new(dev, ifc->index);
  if (!*out) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  return 0;
}

int mynet_port_adopt(mynet_stack *st, int fd, mynet_port **out)
{
  struct mn_iface *ifc = NULL;
  for (int i = 0; i < st->n_ifaces && !ifc; i++)
    if (!st->ifaces[i].loopback)
      ifc = &st->ifaces[i];
  if (!ifc)
    return -ENODEV;
  struct mn_device *dev;
  int rc = mn_tap_adopt(fd, ifc->name, ifc->mtu, &dev);
  if (rc < 0)
    return rc;
  *out = mn_port_new(dev, ifc->index);
  return *out ? 0 : -ENOMEM;
}
