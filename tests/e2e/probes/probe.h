/* sockapi_probe: what a program sees of the socket API, one line per
 * observation, so that a run on the kernel and a run under the shim can be
 * compared line by line (tests/e2e/test_sockapi_semantics.sh).
 *
 * Plain BSD sockets and Linux system calls, no mynet headers.  The probe
 * is a client that drives a peer through a line-based command protocol on a
 * control connection (probe_server.c); the peer is a thread of the probe
 * over 127.0.0.1 ("lo") or a kernel-side process over the TAP ("tap").
 *
 * Rules for an observation: it must be the same on every run of the
 * kernel.  No timings, ports, addresses or descriptor numbers (except in
 * the fds mode, where the numbering is the point), nothing that depends on
 * how fast the peer is: the client waits (bounded) for the condition it
 * wants to observe, then prints the state. */
#ifndef SOCKAPI_PROBE_H
#define SOCKAPI_PROBE_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- output (probe_util.c) ---- */

/* out("label value"): one line, whole, even from several threads.  In the
 * fds mode the lines are kept in memory and written to a file at the end
 * (the program has closed its standard output by then). */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "LABEL ok" or "LABEL err ENAME" from a return value and errno. */
void out_rc(const char *label, long rc);
/* "LABEL VALUE" or "LABEL err ENAME". */
void out_val(const char *label, long rc);
void out_to_memory(const char *path);
void out_flush_memory(void);
const char *errname(int e);
/* Event bits as "IN|OUT|RDHUP", "-" for none; buf of at least 96 bytes. */
const char *mask_str(uint32_t mask, char *buf);
#define MASKBUF 96
/* tcpi_state as a name: "ESTABLISHED". */
const char *tcp_state_name(int st);
/* An MSS between the minimum IPv4 one and the largest a 64 KB MTU gives. */
static inline int mss_in_range(unsigned mss)
{
  return mss >= 536 && mss <= 65483;
}

/* ---- the watchdog ----
 * Each scenario runs under alarm(); if it fires, "LABEL TIMEOUT" is
 * printed and the process ends, so a hang is a diff line, not a hung test.
 * The SIGALRM handler also serves the signal scenarios: while
 * sig_expect is set, a SIGALRM is counted in sig_caught instead. */
extern volatile sig_atomic_t sig_expect, sig_caught;
void watchdog_install(void);
void watchdog_arm(const char *label, unsigned seconds, int next_index, const char *resume_file);
void watchdog_disarm(void);
/* Re-install the SIGALRM handler with or without SA_RESTART. */
void sigalrm_handler_flags(int flags);

/* ---- waiting, bounded ---- */
void sleep_ms(int ms);
/* Wait up to ms for poll() to report every bit of want (ERR and HUP may be
 * asked for); returns the revents of a last poll(IN|OUT|PRI|RDHUP, 0). */
short wait_events(int fd, short want, int ms);
/* Wait up to ms until FIONREAD reports at least n bytes; returns it. */
int wait_inq(int fd, int n, int ms);
/* Wait up to ms until the thread (a Linux tid) sleeps in a system call
 * other than futex (a lock), i.e. it is blocked where we want it. */
bool wait_blocked(pid_t tid, int ms);
/* Whether the thread sleeps in a system call other than futex now. */
bool thread_sleeps_in_call(pid_t tid);
/* CPU time of the calling thread in microseconds. */
long thread_cpu_us(void);

/* ---- sockets ---- */
int tcp_socket(void);
int set_nonblock(int fd, bool on);
/* Read exactly n bytes (blocking socket); bytes read, or -1. */
ssize_t read_full(int fd, void *buf, size_t n);
int write_full(int fd, const void *buf, size_t n);
/* Write until EAGAIN on a non-blocking socket whose peer does not read,
 * until no POLLOUT comes back for a while: the send buffer stays full.
 * Returns the bytes written and their FNV-1a in *fnv. */
long fill_send_buffer(int fd, uint64_t *fnv);
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
#define FNV_INIT 0xcbf29ce484222325ULL
/* The byte at offset i of every generated stream. */
static inline unsigned char pattern_byte(uint64_t i)
{
  return (unsigned char)(i * 131 + 7 + (i >> 12));
}
void pattern_fill(unsigned char *buf, uint64_t off, size_t n);

/* ---- line-based connections ---- */
struct linebuf {
  int fd;
  size_t len;
  char buf[4096];
};
/* Read one line (without '\n') into line; -1 on EOF or error. */
int line_read(struct linebuf *lb, char *line, size_t size);
int line_write(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the peer (probe_server.c) ---- */
/* Serve control connections on listener fd forever, a thread each. */
void serve_forever(int listener);
/* A listener on 127.0.0.1, port chosen by the kernel, served by a thread
 * of this process; returns its port. */
int serve_loopback_thread(void);

/* ---- the client's view of the peer (probe_util.c) ---- */
struct peer {
  struct sockaddr_in addr; /* the peer's control address */
  bool tap;                /* over the TAP (else 127.0.0.1) */
  int ctl;
  struct linebuf lb;
  int dport, uport, rport; /* its data listener, UDP socket, refusing port */
  int last_slot;           /* the peer's slot of the last data_conn() */
};
extern struct peer P;
/* Connect the control connection and read the peer's ports. */
int peer_open(const struct sockaddr_in *addr, bool tap);
/* Send a command and return its reply (a static buffer). */
const char *peer_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* peer_cmd and print "LABEL REPLY". */
void peer_show(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A TCP connection to the peer's data listener, accepted there and made
 * its current connection (slot P.last_slot); blocking; -1 on failure
 * (printed). */
int data_conn(const char *label);
/* A sockaddr for the peer's address at a port. */
struct sockaddr_in peer_at(int port);
/* Our own address as the peer sees it (for connect-back). */
struct sockaddr_in local_addr(void);

/* ---- the scenarios ---- */
enum { ON_LO = 1, ON_TAP = 2, ON_BOTH = 3 };
struct scenario {
  const char *name;
  void (*run)(void);
  int where;
  unsigned timeout_s;
};
struct group {
  const char *name;
  const struct scenario *scenarios;
};
extern const struct scenario dup_scenarios[], epoll_scenarios[], states_scenarios[],
    poll_scenarios[], sendfile_scenarios[], mmsg_scenarios[], tcpinfo_scenarios[],
    signal_scenarios[], thread_scenarios[];
int fds_mode(const char *outfile, const struct sockaddr_in *tap_addr);

/* An address nobody answers on the TAP's subnet (no ARP reply). */
#define BLACKHOLE_IP "192.0.2.3"

#endif
