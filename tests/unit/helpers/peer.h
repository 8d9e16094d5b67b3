/* The far end of one TCP connection, played by the test.  It keeps the
 * peer's sequence numbers, window and timestamps, so a test injects a
 * segment or checks exactly what the stack sent in one line, and it opens
 * connections both ways with chosen options.  Tests that need the
 * engine's own view (the state, cwnd, RTO) read the control block
 * through tcp_of(). */
#ifndef MN_TEST_PEER_H
#define MN_TEST_PEER_H

#include "helpers/testnet.h"
#include "transport/tcp_impl.h"

#include <errno.h>
#include <poll.h>

#define PEER_PORT 5555       /* the peer's port */
#define PEER_STACK_PORT 4444 /* the stack's port */
#define PEER_TS_BASE 0x10000000u

struct peer {
  struct tn *t;
  mynet_sock *s;        /* the stack's socket for this connection */
  mynet_sock *listener; /* set by peer_open_passive */
  uint16_t port, sport; /* the peer's port and the stack's */
  uint32_t iss;         /* the peer's initial sequence number */
  uint32_t snd_nxt;     /* the peer's next sequence number */
  uint32_t rcv_nxt;     /* what the peer acknowledges: the stack's next byte */
  uint32_t stack_iss;
  uint16_t win;             /* window field the peer sends */
  bool ts, sack, ws;        /* what the handshake negotiated */
  uint8_t stack_wscale;     /* the stack's shift (0 without window scaling) */
  uint16_t stack_mss;       /* the MSS option in the stack's SYN or SYN-ACK */
  struct mn_tcp_hdr syn;    /* the stack's SYN or SYN-ACK as it was sent */
  uint32_t ts_recent;       /* the last TSval the stack sent: the peer echoes it */
  mynet_time rtt;           /* how long peer_open_* wait before answering */
  int so_sndbuf, so_rcvbuf; /* set on the socket (or listener) before opening; 0: default */
};

/* What a current Linux puts in its SYN: MSS 1460, SACK permitted,
 * timestamps, window scale 7. */
struct mn_tcp_opts peer_linux_opts(void);

/* A peer on PEER_PORT talking to the stack's PEER_STACK_PORT, starting at
 * sequence number iss, with window field 65535. */
void peer_init(struct peer *p, struct tn *t, uint32_t iss);
/* The peer's timestamp clock: one tick per virtual millisecond. */
uint32_t peer_tsval(const struct peer *p);

/* The stack connects (a socket bound to p->sport): its SYN is checked for
 * the full option set, answered with a SYN-ACK offering opts (NULL: none)
 * and the stack's ACK checked; connect then returns 0. */
mynet_sock *peer_open_active(struct peer *p, const struct mn_tcp_opts *opts);
/* The peer connects to a listener on p->sport (p->listener): its SYN
 * offers opts; the SYN-ACK must answer exactly the options offered; the
 * peer's ACK completes the handshake and accept returns the child. */
mynet_sock *peer_open_passive(struct peer *p, const struct mn_tcp_opts *opts);

/* The usual start: a peer with ISN 1000 and Linux's options, to which the
 * stack has connected. */
mynet_sock *peer_establish(struct peer *p, struct tn *t);

/* peer_establish with the peer's window fields in bytes (no window
 * scaling), or with a handshake that took rtt. */
mynet_sock *peer_establish_unscaled(struct peer *p, struct tn *t);
mynet_sock *peer_establish_rtt(struct peer *p, struct tn *t, mynet_time rtt);
/* The peer's SYN, with Linux's options, to a listener on p->sport:
 * returns the SYN-ACK, whose numbers p now holds.  The ACK that would
 * complete the handshake is the test's to send. */
struct mn_tcp_hdr peer_syn_to_listener(struct peer *p);

/* An established connection (peer_establish) brought to `state` by
 * shutdown(SHUT_WR) and the peer's ACKs and FIN, the application still
 * holding the socket: any synchronized state. */
mynet_sock *peer_connection_in(struct peer *p, struct tn *t, enum mn_tcp_state state);

/* A segment from the peer with these fields, window p->win, timestamps
 * when negotiated and the given SACK blocks. */
void peer_inject_sack(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags,
                      const struct mn_tcp_sack_block *sack, int nsack, const void *data,
                      size_t len);
/* With options (a SYN's); timestamps are still filled in when p->ts. */
void peer_inject_opts(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags,
                      const struct mn_tcp_opts *opts, const void *data, size_t len);
void peer_inject(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t len);
/* At snd_nxt acknowledging rcv_nxt; snd_nxt moves past the data, SYN and FIN. */
void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len);
/* A pure ACK of everything up to ack (which becomes rcv_nxt). */
void peer_ack(struct peer *p, uint32_t ack);
/* A duplicate ACK of rcv_nxt carrying SACK blocks. */
void peer_sack(struct peer *p, const struct mn_tcp_sack_block *sack, int nsack);

/* The next segment from the stack, from p->sport to p->port; remembers
 * its TSval.  Returns the payload length, copied into buf up to cap. */
size_t peer_recv(struct peer *p, struct mn_tcp_hdr *h, void *buf, size_t cap);
/* The next segment must have exactly these flags, sequence number,
 * acknowledgment number (checked when ACK is set) and payload length; it
 * carries timestamps exactly when they were negotiated. */
#define peer_expect(p, flags, seq, ack, len)                                                       \
  peer_expect_at(__FILE__, __LINE__, p, flags, seq, ack, len)
struct mn_tcp_hdr peer_expect_at(const char *file, int line, struct peer *p, uint8_t flags,
                                 uint32_t seq, uint32_t ack, size_t len);
/* The window field the stack should send for bytes of free space. */
uint16_t peer_stack_win(const struct peer *p, uint32_t bytes);

/* Socket calls on one buffer. */
ssize_t peer_write(mynet_sock *s, const void *buf, size_t len);
ssize_t peer_read(mynet_sock *s, void *buf, size_t len);
int peer_so_error(mynet_sock *s);
static inline struct mn_tcp_sock *peer_tcb(const struct peer *p)
{
  return tcp_of(p->s);
}

/* A byte pattern for data tests: byte i of a stream is pattern(i). */
void peer_pattern(uint8_t *buf, size_t len, size_t offset);

#endif
