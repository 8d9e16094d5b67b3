/* A stack on a test device and a virtual clock, for deterministic unit
 * tests: inject frames as if the kernel had sent them, pop what the stack
 * transmitted, advance time.  The stack lives in a region of its own
 * (helpers/region.h).  Teardown fails the test if a packet buffer, a
 * timer or any of the stack's memory leaked. */
#ifndef MN_TEST_TESTNET_H
#define MN_TEST_TESTNET_H

#include "core/pbuf.h"
#include "dev/device.h"
#include "helpers/region.h"
#include "stack_impl.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"
#include <check.h>
#include <mynet/config.h>
#include <mynet/socket.h>
#include <mynet/stack.h>

/* The test network: the stack is 192.0.2.2/24, the peer ("kernel")
 * 192.0.2.1, both with fixed MACs. */
#define TN_ADDR mn_ip4(192, 0, 2, 2)
#define TN_PEER mn_ip4(192, 0, 2, 1)
extern const uint8_t tn_mac[6];
extern const uint8_t tn_peer_mac[6];

#define TN_MAX_PORTS 4

struct tn {
  mynet_stack *st;
  struct tn_region region;         /* where st lives */
  struct mn_device *dev;           /* the test device; frames the stack sends queue here */
  mynet_port *ports[TN_MAX_PORTS]; /* the devices' ports, which tn_poll drives */
  int nports;
  mynet_time now;
  int log_level;         /* log level of the stack, printed on stderr; -1 = quiet */
  bool hold;             /* tn_inject_* only queue frames; tn_poll delivers them as one batch */
  struct mn_eth_hdr eth; /* Ethernet header of the last frame tn_expect_* took */
  /* Answer the stack's ARP requests for TN_PEER as the peer would, and
   * hide them: for tests that run long enough for the entry to expire. */
  bool answer_arp;
};

/* A test device: tx frames are kept for inspection, rx frames are what
 * the test injected.  Once attached (tn_attach), looking at its tx frames
 * first has the stack hand over what it queued. */
struct mn_device *tn_device_new(void);
/* An interface of t's stack with a port around dev (the MAC, address and
 * prefix given, dev's name and MTU); test devices in dev (or wrapped by
 * it: inner, or NULL) are bound to that port.  Returns the ifindex. */
int tn_attach(struct tn *t, struct mn_device *dev, struct mn_device *inner, const uint8_t mac[6],
              uint32_t addr, uint8_t prefix);
/* Bind a test device to a stack and the port that carries its frames. */
void tn_device_bind(struct mn_device *d, mynet_stack *st, mynet_port *port);
/* The earliest of the stack's deadline and its ports'. */
mynet_time tn_deadline(const struct tn *t);
/* Print and forget what the stack logged (at t->log_level). */
void tn_drain_log(mynet_stack *st);
void tn_device_inject(struct mn_device *d, struct mn_pbuf *p);
struct mn_pbuf *tn_device_pop_tx(struct mn_device *d);
size_t tn_device_tx_count(const struct mn_device *d);

/* A stack with the test interface up and, unless learn_peer is false, the
 * peer's MAC already in the ARP cache (the gratuitous ARP is discarded). */
void tn_setup(struct tn *t, bool learn_peer);
/* Frees the stack; fails the test if buffers, timers or memory leaked. */
void tn_teardown(struct tn *t);

void tn_advance(struct tn *t, mynet_time dt);
void tn_poll(struct tn *t);

/* Build and inject frames from the peer (checksums filled in). */
void tn_inject_frame(struct tn *t, const uint8_t *frame, size_t len);
void tn_inject_ipv4(struct tn *t, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                    size_t l4len);
void tn_inject_udp(struct tn *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                   const void *payload, size_t len);
void tn_inject_arp(struct tn *t, uint16_t op, const uint8_t sha[6], uint32_t spa,
                   const uint8_t tha[6], uint32_t tpa);

/* The next frame the stack sent, or NULL; caller frees with mn_pbuf_free. */
struct mn_pbuf *tn_pop(struct tn *t);
/* Fail unless nothing more was sent. */
void tn_expect_silence(struct tn *t);
/* Pop the next frame and check it is IPv4 with this protocol; parse its
 * headers.  The returned buffer has data at the L4 header. */
struct mn_pbuf *tn_expect_ipv4(struct tn *t, uint8_t proto, struct mn_ipv4_hdr *ip);
struct mn_pbuf *tn_expect_arp(struct tn *t, struct mn_arp_pkt *a);

/* Teardown helper for stacks not made by tn_setup. */
size_t mn_stack_free_report(mynet_stack *st);

/* A stack with only loopback (t->dev is NULL): for tests that bring up
 * interfaces themselves or bound the pool (pool_bytes 0 = default).
 * tn_teardown works on it as on tn_setup's. */
void tn_setup_stack(struct tn *t, size_t pool_bytes);

/* Write an Ethernet + IPv4 frame from the peer to us (IP checksum filled
 * in, DF set, TTL 64) into frame; returns its length.  For tests that
 * damage a header before tn_inject_frame. */
size_t tn_build_ipv4(uint8_t *frame, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                     size_t l4len);

/* Pop the next frame and check it is an ICMP message (checksum verified)
 * in IPv4; data is at the ICMP header. */
struct mn_pbuf *tn_expect_icmp(struct tn *t, struct mn_ipv4_hdr *ip, struct mn_icmp_hdr *ic);
/* Pop the next frame and check it is a UDP datagram with a valid
 * checksum; data is at the payload. */
struct mn_pbuf *tn_expect_udp(struct tn *t, struct mn_ipv4_hdr *ip, struct mn_udp_hdr *u);

/* Sockets, for tests that drive the stack through its socket API. */
struct sockaddr_in tn_sin(uint32_t addr, uint16_t port);
mynet_sock *tn_udp_bound(struct tn *t, uint32_t addr, uint16_t port);
/* A UDP socket connected to (addr, port); fails the test if connect does. */
mynet_sock *tn_udp_connected(struct tn *t, uint32_t addr, uint16_t port);
/* sendmsg of one buffer; to_port 0 = the connected peer. */
ssize_t tn_send(mynet_sock *s, uint32_t to_addr, uint16_t to_port, const void *buf, size_t len);
ssize_t tn_recv(mynet_sock *s, void *buf, size_t len, struct sockaddr_in *from);

/* A socket of this type; fails the test if it cannot be made. */
mynet_sock *tn_socket(struct tn *t, int type);
/* An int option set (returns what setsockopt did) or read (must work). */
int tn_set_int(mynet_sock *s, int level, int name, int v);
int tn_get_int(mynet_sock *s, int level, int name);

/* A TCP socket bound to the wildcard address and port, listening. */
mynet_sock *tn_tcp_listener(struct tn *t, uint16_t port, int backlog);
/* Start s connecting to (addr, port): its SYN waits on the device. */
void tn_tcp_connect_start(mynet_sock *s, uint32_t addr, uint16_t port);

/* A TCP segment from the peer (TN_PEER:sport) to the stack (TN_ADDR:dport),
 * checksummed by mn_tcp_emit; opts NULL means no options. */
void tn_inject_tcp(struct tn *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, uint16_t win, const struct mn_tcp_opts *opts, const void *payload,
                   size_t len);
/* Pop the next frame and check it is a TCP segment from TN_ADDR to TN_PEER
 * with a valid checksum; fill *h, copy up to cap payload bytes (payload may
 * be NULL) and return the payload length. */
size_t tn_expect_tcp(struct tn *t, struct mn_tcp_hdr *h, void *payload, size_t cap);

#endif
