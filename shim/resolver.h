/* Host lookups through the stack, for the interposed resolver functions
 * (calls_names.c): /etc/hosts first, then the DNS server of MYNET_DNS, or
 * resolv.conf's first IPv4 nameserver when the stack can reach it.
 *
 * The queries go out through the program-level socket calls (socket,
 * connect, sendto, poll, recvfrom, close), which in this library are our
 * own wrappers: they cross the stack like any of the program's traffic,
 * and when the stack could not start they fail with EAFNOSUPPORT, which
 * a lookup reports as "no server answered" (TRY_AGAIN) rather than
 * asking the kernel's stack behind the user's back.
 *
 * Results are glibc's h_errno values (0 when found); every lookup reads
 * the files and the environment afresh, as glibc notices edits to them. */
#ifndef SHIM_RESOLVER_H
#define SHIM_RESOLVER_H

#include <mynet/names.h>

/* What to look up: glibc's gethostbyname3_r for one family, or
 * gethostbyname4_r (getaddrinfo's AF_UNSPEC) for both at once. */
enum shim_lookup_kind {
  SHIM_LOOKUP_V4,   /* hosts' IPv4 lines, then an A query */
  SHIM_LOOKUP_V6,   /* hosts' IPv6 lines, then an AAAA query */
  SHIM_LOOKUP_BOTH, /* hosts' lines of both, then A and AAAA together */
};

/* Fills out (official name, aliases, addresses) or returns the h_errno:
 * HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, or NO_RECOVERY (an answer without a
 * usable address).  NETDB_INTERNAL with errno for a failure of our own
 * (ENOMEM). */
int shim_lookup_name(const char *name, enum shim_lookup_kind kind, struct mynet_host *out);

/* The name of an address (AF_INET, 4 bytes; AF_INET6, 16): hosts, then a
 * PTR query.  out->addrs holds the address itself. */
int shim_lookup_addr(int family, const void *addr, struct mynet_host *out);

/* The local domain for getnameinfo's NI_NOFQDN: what follows the first
 * dot of the host name, or "" (glibc also asks the resolver for the host
 * name's canonical name; we do not). */
void shim_local_domain(char out[MYNET_NAME_MAX]);

#endif
