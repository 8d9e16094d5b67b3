/* Name resolution's pure parts: /etc/hosts and resolv.conf text, the
 * resolver's search list, DNS queries and the answers to them, each the
 * way glibc 2.36 reads them.  The shim reads the files and the
 * environment, owns the sockets, the clock and the retries; everything
 * that decides what a lookup means is here and tested with text and
 * bytes.
 *
 * Outcomes use glibc's h_errno values (netdb.h): 0 for found,
 * HOST_NOT_FOUND (NXDOMAIN, or a name that cannot be a host name),
 * NO_DATA (the name exists, without records of the type asked for),
 * TRY_AGAIN (no server answered), NO_RECOVERY (an answer that makes no
 * sense). */
#ifndef MYNET_NAMES_H
#define MYNET_NAMES_H

#include <mynet/stack.h>
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MYNET_NAME_MAX 254 /* a host name in text form with its NUL (RFC 1035: 253) */
#define MYNET_HOST_MAX_ADDRS 48
#define MYNET_HOST_MAX_ALIASES 16

struct mynet_host_addr {
  int family; /* AF_INET (4 bytes used) or AF_INET6 */
  uint8_t bytes[16];
};

/* A host as gethostbyname() describes it: the official (canonical) name,
 * the other names, the addresses in order. */
struct mynet_host {
  char name[MYNET_NAME_MAX];
  char aliases[MYNET_HOST_MAX_ALIASES][MYNET_NAME_MAX];
  int naliases;
  struct mynet_host_addr addrs[MYNET_HOST_MAX_ADDRS];
  int naddrs;
};

/* --- /etc/hosts -------------------------------------------------------- */

/* Every line of hosts text that names `name` (ASCII case ignored), read as
 * glibc's files backend does with /etc/host.conf's "multi on" (Debian's
 * default): the first matching line gives the official name, each later
 * one adds its aliases and then its own official name if it differs, and
 * every address is kept, duplicates too.  family AF_INET takes IPv4 lines
 * and IPv4-mapped IPv6 ones (as IPv4); AF_INET6 takes IPv6 lines;
 * AF_UNSPEC takes both as written, in file order (getaddrinfo's view).
 * '#' starts a comment; a line needs an address and a name.  Returns the
 * number of addresses, 0 if the name is not listed. */
MYNET_API int mynet_hosts_by_name(const char *text, size_t len, const char *name, int family,
                                  struct mynet_host *out);

/* The first line whose address is addr (4 bytes for AF_INET, 16 for
 * AF_INET6), as gethostbyaddr() reads the file.  Returns 1 if found, else
 * 0. */
MYNET_API int mynet_hosts_by_addr(const char *text, size_t len, int family, const void *addr,
                                  struct mynet_host *out);

/* --- resolv.conf ------------------------------------------------------- */

#define MYNET_RESOLV_MAX_SEARCH 6

enum mynet_resolv_option {
  MYNET_RES_ROTATE = 1u << 0,
  MYNET_RES_SINGLE_REQUEST = 1u << 1, /* A then AAAA, one after the other */
  MYNET_RES_USE_VC = 1u << 2,         /* TCP from the start */
  MYNET_RES_NO_TLD_QUERY = 1u << 3,   /* never a single-label name as is */
  MYNET_RES_NO_AAAA = 1u << 4,        /* glibc 2.36's no-aaaa: AAAA is never asked */
};

struct mynet_resolv_conf {
  uint32_t nameserver; /* the first IPv4 nameserver, host byte order */
  bool has_nameserver; /* none listed: glibc asks 127.0.0.1 */
  char search[MYNET_RESOLV_MAX_SEARCH][MYNET_NAME_MAX];
  int nsearch;
  int ndots;    /* default 1, at most 15 */
  int timeout;  /* seconds per try, default 5, at most 30 */
  int attempts; /* tries, default 2, at most 5 */
  unsigned options;
};

/* resolv.conf text (NULL: no file) read as glibc's res_init does:
 * "nameserver", "domain" and "search" (the last of the two wins),
 * "options" with ndots:N, timeout:N, attempts:N and the flags above
 * (others ignored); lines starting with ';' or '#' are comments.  Then
 * LOCALDOMAIN (if not NULL) replaces the search list; without any, the
 * domain part of hostname (if it has a dot) is the search list; then
 * RES_OPTIONS (if not NULL) is applied over the file's options. */
MYNET_API void mynet_resolv_conf_parse(const char *text, size_t len, const char *localdomain,
                                       const char *res_options, const char *hostname,
                                       struct mynet_resolv_conf *out);

/* --- the search list --------------------------------------------------- */

/* Whether a name may be looked up in the DNS at all: printable ASCII,
 * labels of letters, digits, '-' and '_', not starting with '-', no empty
 * label but an optional final dot, at most 253 characters (glibc's
 * res_hnok).  Anything else is HOST_NOT_FOUND without a query. */
MYNET_API bool mynet_dns_name_ok(const char *name);

/* Which names to ask for, in order, for a name given by the program
 * (glibc's __res_context_search): as is first if it has at least ndots
 * dots or ends with a dot; then with each search domain appended; then as
 * is if not tried yet.  A NO_DATA or HOST_NOT_FOUND moves on to the next
 * candidate, anything else ends the walk through the search list; a
 * server that cannot be reached at all ends the search at once. */
struct mynet_dns_search {
  char name[MYNET_NAME_MAX];
  const struct mynet_resolv_conf *rc;
  int dots;
  bool trailing_dot;
  int stage;  /* internal: which step comes next */
  int asked;  /* internal: which step the last name came from */
  int domain; /* next search domain */
  bool tried_as_is, searched, root_on_list, got_nodata, done;
  int saved_herr; /* outcome of the first try as is; -1 if none */
  int herr;       /* outcome so far */
};

MYNET_API void mynet_dns_search_start(struct mynet_dns_search *s,
                                      const struct mynet_resolv_conf *rc, const char *name);
/* The next name to ask for; false when the search is over. */
MYNET_API bool mynet_dns_search_next(struct mynet_dns_search *s, char out[MYNET_NAME_MAX]);
/* How the name from the last mynet_dns_search_next() fared: herr as
 * above (0: answered, the search is over); unreachable: no server could
 * be reached or every one refused (glibc's ECONNREFUSED). */
MYNET_API void mynet_dns_search_result(struct mynet_dns_search *s, int herr, bool unreachable);
/* Once over: 0 if a name was answered, else the h_errno to report. */
MYNET_API int mynet_dns_search_error(const struct mynet_dns_search *s);

/* --- queries and answers ----------------------------------------------- */

#define MYNET_DNS_TYPE_A 1
#define MYNET_DNS_TYPE_PTR 12
#define MYNET_DNS_TYPE_AAAA 28
#define MYNET_DNS_QUERY_MAX 512 /* a query never needs more */

/* A standard recursive query for name (class IN).  Returns its length, or
 * -EINVAL for a name that cannot be put on the wire. */
MYNET_API int mynet_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                              uint16_t qtype);

/* The name a PTR query asks for: "4.3.2.1.in-addr.arpa" for AF_INET,
 * nibbles under "ip6.arpa" for AF_INET6 (an IPv4-mapped address is asked
 * as its IPv4 address, as glibc does). */
MYNET_API void mynet_dns_ptr_name(int family, const void *addr, char out[MYNET_NAME_MAX]);

enum mynet_dns_verdict {
  MYNET_DNS_IGNORE,      /* not an answer to this query: keep waiting */
  MYNET_DNS_TRUNCATED,   /* TC: the answer did not fit, ask over TCP */
  MYNET_DNS_SERVER_FAIL, /* SERVFAIL, NOTIMP, REFUSED: this server cannot answer */
  MYNET_DNS_ANSWER,      /* an answer: see rcode and the records */
};

/* An answer as a lookup uses it. */
struct mynet_dns_answer {
  int rcode;
  int ancount; /* records in the answer section, used or not */
  uint16_t qtype;
  /* A, AAAA: name is the end of the CNAME chain, aliases the names
   * before it, addrs the records of the type asked for that it owns.
   * PTR: name is the first pointer's target. */
  struct mynet_host host;
};

/* Is reply (from the server the query went to) the answer to the query
 * with this id, name and type?  Checks QR, the opcode, the ID, and the
 * question (name without regard to case, type, class IN), as glibc's
 * res_send does; then sorts it. */
MYNET_API enum mynet_dns_verdict mynet_dns_answer_read(const uint8_t *reply, size_t len,
                                                       uint16_t id, const char *name,
                                                       uint16_t qtype,
                                                       struct mynet_dns_answer *out);

/* What the answers to one name's queries (one, or A and AAAA together)
 * come to, as glibc's __res_context_query sees them: 0 if either has
 * records (with no error), else from the first answer's rcode (the
 * second's if the first has none): HOST_NOT_FOUND for NXDOMAIN, NO_DATA
 * for none, NO_RECOVERY otherwise.  b may be NULL. */
MYNET_API int mynet_dns_outcome(const struct mynet_dns_answer *a, const struct mynet_dns_answer *b);

#ifdef __cplusplus
}
#endif
#endif
