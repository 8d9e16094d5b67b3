#include "helpers/testnet.h"

#include "port.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t tn_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t tn_peer_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

struct tn_device {
  struct mn_device dev;
  struct mn_pbuf_queue rx, tx;
  mynet_stack *st;  /* once bound: frames the stack queued are handed over... */
  mynet_port *port; /* ...through this port before tx is looked at */
};

static int td_transmit(struct mn_device *d, struct mn_pbuf *p, mynet_time now)
{
  mn_pbuf_queue_push(&((struct tn_device *)d)->tx, p);
  return 0;
}

static struct mn_pbuf *td_receive(struct mn_device *d, struct mn_pool *pool, mynet_time now)
{
  return mn_pbuf_queue_pop(&((struct tn_device *)d)->rx);
}

static mynet_time td_deadline(const struct mn_device *d)
{
  return ((const struct tn_device *)d)->rx.count ? 0 : MYNET_TIME_NEVER;
}

static int td_fd(const struct mn_device *d)
{
  return -1;
}

static void td_destroy(struct mn_device *d)
{
  struct tn_device *td = (struct tn_device *)d;
  mn_pbuf_queue_clear(&td->rx);
  mn_pbuf_queue_clear(&td->tx);
  free(td);
}

static const struct mn_device_ops td_ops = {
    .transmit = td_transmit,
    .receive = td_receive,
    .deadline = td_deadline,
    .fd = td_fd,
    .destroy = td_destroy,
};

struct mn_device *tn_device_new(void)
{
  struct tn_device *td = calloc(1, sizeof(*td));
  ck_assert_ptr_nonnull(td);
  td->dev.ops = &td_ops;
  strcpy(td->dev.name, "test0");
  td->dev.mtu = 1500;
  return &td->dev;
}

void tn_device_inject(struct mn_device *d, struct mn_pbuf *p)
{
  mn_pbuf_queue_push(&((struct tn_device *)d)->rx, p);
}

void tn_device_bind(struct mn_device *d, mynet_stack *st, mynet_port *port)
{
  struct tn_device *td = (struct tn_device *)d;
  td->st = st;
  td->port = port;
}

static void handover(struct tn_device *td)
{
  if (td->st)
    mynet_stack_flush(td->st, &td->port, 1);
}

struct mn_pbuf *tn_device_pop_tx(struct mn_device *d)
{
  struct tn_device *td = (struct tn_device *)d;
  handover(td);
  return mn_pbuf_queue_pop(&td->tx);
}

size_t tn_device_tx_count(const struct mn_device *d)
{
  struct tn_device *td = (struct tn_device *)d;
  handover(td);
  return td->tx.count;
}

int tn_attach(struct tn *t, struct mn_device *dev, struct mn_device *inner, const uint8_t mac[6],
              uint32_t addr, uint8_t prefix)
{
  ck_assert_int_lt(t->nports, TN_MAX_PORTS);
  int index = mn_iface_add(t->st, dev->name, dev->mtu, mac, addr, prefix, false);
  ck_assert_int_ge(index, 1);
  mynet_port *port = mn_port_new(dev, index);
  ck_assert_ptr_nonnull(port);
  t->ports[t->nports++] = port;
  tn_device_bind(inner ? inner : dev, t->st, port);
  return index;
}

mynet_time tn_deadline(const struct tn *t)
{
  mynet_time d = mynet_stack_deadline(t->st);
  for (int i = 0; i < t->nports; i++) {
    mynet_time p = mynet_port_deadline(t->ports[i]);
    if (p < d)
      d = p;
  }
  return d;
}

void tn_drain_log(mynet_stack *st)
{
  char msg[4096];
  int level;
  while (mynet_stack_take_log(st, &level, msg, sizeof(msg)) > 0)
    fprintf(stderr, "[%d] %s\n", level, msg);
}

void tn_setup(struct tn *t, bool learn_peer)
{
  tn_setup_stack(t, 0);
  t->dev = tn_device_new();
  ck_assert_int_eq(tn_attach(t, t->dev, NULL, tn_mac, TN_ADDR, 24), 1);
  /* The gratuitous ARP sent at interface up. */
  struct mn_pbuf *g = tn_pop(t);
  ck_assert_ptr_nonnull(g);
  mn_pbuf_free(g);
  if (learn_peer) {
    tn_inject_arp(t, MN_ARP_REQUEST, tn_peer_mac, TN_PEER, (const uint8_t[6]){0}, TN_ADDR);
    struct mn_pbuf *reply = tn_pop(t);
    ck_assert_ptr_nonnull(reply);
    mn_pbuf_free(reply);
  }
}

void tn_teardown(struct tn *t)
{
  struct mn_pbuf *p;
  while (t->dev && (p = tn_pop(t)))
    mn_pbuf_free(p);
  tn_drain_log(t->st);
  /* The ports first: their queues hold buffers of the stack's pool. */
  for (int i = 0; i < t->nports; i++)
    mynet_port_close(t->ports[i]);
  t->nports = 0;
  size_t leaked = mn_stack_free_report(t->st);
  ck_assert_msg(leaked == 0, "%zu packet buffers leaked", leaked);
  t->st = NULL;
  tn_region_close(&t->region);
}

/* Take the ARP requests for the peer out of what the stack sent and feed
 * it the peer's replies, until it asks no more. */
static void answer_arp(struct tn *t)
{
  struct tn_device *td = (struct tn_device *)t->dev;
  for (int round = 0; round < 8; round++) {
    struct mn_pbuf_queue keep = {0};
    bool asked = false;
    struct mn_pbuf *p;
    handover(td);
    while ((p = mn_pbuf_queue_pop(&td->tx))) {
      struct mn_eth_hdr eth;
      struct mn_arp_pkt a;
      if (mn_eth_parse(p->data, p->len, &eth) == MN_PARSE_OK && eth.type == MN_ETHERTYPE_ARP &&
          mn_arp_parse(p->data + MN_ETH_HDR_LEN, p->len - MN_ETH_HDR_LEN, &a) == MN_PARSE_OK &&
          a.op == MN_ARP_REQUEST && a.tpa == TN_PEER) {
        asked = true;
        mn_pbuf_free(p);
      } else {
        mn_pbuf_queue_push(&keep, p);
      }
    }
    while ((p = mn_pbuf_queue_pop(&keep)))
      mn_pbuf_queue_push(&td->tx, p);
    if (!asked)
      return;
    struct mn_pbuf *r = mn_pbuf_alloc(&t->st->pool, MN_PBUF_HEADROOM, MN_ETH_HDR_LEN + MN_ARP_LEN);
    ck_assert_ptr_nonnull(r);
    struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_ARP};
    memcpy(eth.dst, tn_mac, 6);
    memcpy(eth.src, tn_peer_mac, 6);
    mn_eth_emit(&eth, r->data);
    struct mn_arp_pkt a = {.op = MN_ARP_REPLY, .spa = TN_PEER, .tpa = TN_ADDR};
    memcpy(a.sha, tn_peer_mac, 6);
    memcpy(a.tha, tn_mac, 6);
    mn_arp_emit(&a, r->data + MN_ETH_HDR_LEN);
    tn_device_inject(t->dev, r);
    mynet_stack_poll(t->st, t->ports, t->nports, t->now);
  }
}

void tn_poll(struct tn *t)
{
  mynet_stack_poll(t->st, t->ports, t->nports, t->now);
  if (t->log_level >= 0)
    tn_drain_log(t->st);
  if (t->answer_arp && t->dev)
    answer_arp(t);
}

void tn_advance(struct tn *t, mynet_time dt)
{
  /* Step through every deadline on the way so timers fire at their
   * own time, as they would on a real clock. */
  mynet_time end = t->now + dt;
  for (;;) {
    mynet_time d = tn_deadline(t);
    if (d > end)
      break;
    if (d > t->now)
      t->now = d;
    tn_poll(t);
  }
  t->now = end;
  tn_poll(t);
}

void tn_inject_frame(struct tn *t, const uint8_t *frame, size_t len)
{
  struct mn_pbuf *p = mn_pbuf_alloc(&t->st->pool, MN_PBUF_HEADROOM, len);
  ck_assert_ptr_nonnull(p);
  memcpy(p->data, frame, len);
  tn_device_inject(t->dev, p);
  if (!t->hold)
    tn_poll(t);
}

size_t tn_build_ipv4(uint8_t *frame, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                     size_t l4len)
{
  struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_IPV4};
  memcpy(eth.dst, tn_mac, 6);
  memcpy(eth.src, tn_peer_mac, 6);
  mn_eth_emit(&eth, frame);
  struct mn_ipv4_hdr ip = {.total_len = (uint16_t)(MN_IPV4_HDR_LEN + l4len),
                           .ttl = 64,
                           .proto = proto,
                           .src = src,
                           .dst = dst,
                           .df = true};
  mn_ipv4_emit(&ip, frame + MN_ETH_HDR_LEN);
  memcpy(frame + MN_ETH_HDR_LEN + MN_IPV4_HDR_LEN, l4, l4len);
  return MN_ETH_HDR_LEN + MN_IPV4_HDR_LEN + l4len;
}

void tn_inject_ipv4(struct tn *t, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                    size_t l4len)
{
  uint8_t frame[MN_ETH_HDR_LEN + MN_IPV4_HDR_LEN + 9000];
  ck_assert_uint_le(l4len, 9000);
  size_t len = tn_build_ipv4(frame, src, dst, proto, l4, l4len);
  tn_inject_frame(t, frame, len);
}

void tn_inject_udp(struct tn *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                   const void *payload, size_t len)
{
  uint8_t seg[MN_UDP_HDR_LEN + 9000];
  ck_assert_uint_le(len, 9000 - MN_UDP_HDR_LEN);
  memcpy(seg + MN_UDP_HDR_LEN, payload, len);
  struct mn_udp_hdr h = {.sport = sport, .dport = dport};
  mn_udp_emit(&h, seg, len, src, dst);
  tn_inject_ipv4(t, src, dst, MN_IPPROTO_UDP, seg, MN_UDP_HDR_LEN + len);
}

void tn_inject_arp(struct tn *t, uint16_t op, const uint8_t sha[6], uint32_t spa,
                   const uint8_t tha[6], uint32_t tpa)
{
  uint8_t frame[MN_ETH_HDR_LEN + MN_ARP_LEN];
  struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_ARP};
  memcpy(eth.dst, op == MN_ARP_REQUEST ? mn_eth_broadcast : tn_mac, 6);
  memcpy(eth.src, sha, 6);
  mn_eth_emit(&eth, frame);
  struct mn_arp_pkt a = {.op = op, .spa = spa, .tpa = tpa};
  memcpy(a.sha, sha, 6);
  memcpy(a.tha, tha, 6);
  mn_arp_emit(&a, frame + MN_ETH_HDR_LEN);
  tn_inject_frame(t, frame, sizeof(frame));
}

struct mn_pbuf *tn_pop(struct tn *t)
{
  return tn_device_pop_tx(t->dev);
}

void tn_expect_silence(struct tn *t)
{
  struct mn_pbuf *p = tn_pop(t);
  if (p) {
    size_t len = p->len;
    mn_pbuf_free(p);
    ck_abort_msg("expected no frame, got one of %zu bytes", len);
  }
}

struct mn_pbuf *tn_expect_ipv4(struct tn *t, uint8_t proto, struct mn_ipv4_hdr *ip)
{
  struct mn_pbuf *p = tn_pop(t);
  ck_assert_msg(p != NULL, "expected an IPv4 frame, got none");
  struct mn_eth_hdr eth;
  ck_assert_int_eq(mn_eth_parse(p->data, p->len, &eth), MN_PARSE_OK);
  ck_assert_uint_eq(eth.type, MN_ETHERTYPE_IPV4);
  t->eth = eth;
  mn_pbuf_pull(p, MN_ETH_HDR_LEN);
  ck_assert_int_eq(mn_ipv4_parse(p->data, p->len, ip), MN_PARSE_OK);
  ck_assert_uint_eq(ip->proto, proto);
  mn_pbuf_trim(p, ip->total_len);
  mn_pbuf_pull(p, ip->hdr_len);
  return p;
}

struct mn_pbuf *tn_expect_arp(struct tn *t, struct mn_arp_pkt *a)
{
  struct mn_pbuf *p = tn_pop(t);
  ck_assert_msg(p != NULL, "expected an ARP frame, got none");
  struct mn_eth_hdr eth;
  ck_assert_int_eq(mn_eth_parse(p->data, p->len, &eth), MN_PARSE_OK);
  ck_assert_uint_eq(eth.type, MN_ETHERTYPE_ARP);
  t->eth = eth;
  mn_pbuf_pull(p, MN_ETH_HDR_LEN);
  ck_assert_int_eq(mn_arp_parse(p->data, p->len, a), MN_PARSE_OK);
  return p;
}

void tn_setup_stack(struct tn *t, size_t pool_bytes)
{
  memset(t, 0, sizeof(*t));
  const char *lvl = getenv("TN_LOG");
  t->log_level = lvl ? atoi(lvl) : -1;
  t->now = MYNET_SEC(1000);
  tn_region_open(&t->region);
  struct mynet_stack_params p = {.seed = 42,
                                 .now = t->now,
                                 .pool_bytes = pool_bytes,
                                 .log_level = t->log_level,
                                 .region = t->region.r};
  ck_assert_int_eq(mynet_stack_new(&p, &t->st), 0);
}

struct mn_pbuf *tn_expect_icmp(struct tn *t, struct mn_ipv4_hdr *ip, struct mn_icmp_hdr *ic)
{
  struct mn_pbuf *p = tn_expect_ipv4(t, MN_IPPROTO_ICMP, ip);
  ck_assert_int_eq(mn_icmp_parse(p->data, p->len, ic), MN_PARSE_OK);
  return p;
}

struct mn_pbuf *tn_expect_udp(struct tn *t, struct mn_ipv4_hdr *ip, struct mn_udp_hdr *u)
{
  struct mn_pbuf *p = tn_expect_ipv4(t, MN_IPPROTO_UDP, ip);
  ck_assert_int_eq(mn_udp_parse(p->data, p->len, ip->src, ip->dst, u), MN_PARSE_OK);
  mn_pbuf_trim(p, u->len);
  mn_pbuf_pull(p, MN_UDP_HDR_LEN);
  return p;
}

struct sockaddr_in tn_sin(uint32_t addr, uint16_t port)
{
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(addr);
  a.sin_port = htons(port);
  return a;
}

mynet_sock *tn_udp_bound(struct tn *t, uint32_t addr, uint16_t port)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_DGRAM, 0, &s), 0);
  struct sockaddr_in a = tn_sin(addr, port);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  return s;
}

mynet_sock *tn_udp_connected(struct tn *t, uint32_t addr, uint16_t port)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_DGRAM, 0, &s), 0);
  struct sockaddr_in a = tn_sin(addr, port);
  ck_assert_int_eq(mynet_connect(s, (const struct sockaddr *)&a, sizeof(a)), 0);
  return s;
}

ssize_t tn_send(mynet_sock *s, uint32_t to_addr, uint16_t to_port, const void *buf, size_t len)
{
  struct iovec iov = {(void *)buf, len};
  struct sockaddr_in to = tn_sin(to_addr, to_port);
  return mynet_sendmsg(s, &iov, 1, to_port ? &to : NULL, 0);
}

ssize_t tn_recv(mynet_sock *s, void *buf, size_t len, struct sockaddr_in *from)
{
  struct iovec iov = {buf, len};
  return mynet_recvmsg(s, &iov, 1, from, 0, NULL);
}

mynet_sock *tn_socket(struct tn *t, int type)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, type, 0, &s), 0);
  return s;
}

int tn_set_int(mynet_sock *s, int level, int name, int v)
{
  return mynet_setsockopt(s, level, name, &v, sizeof(v));
}

int tn_get_int(mynet_sock *s, int level, int name)
{
  int v = -12345;
  socklen_t len = sizeof(v);
  int rc = mynet_getsockopt(s, level, name, &v, &len);
  ck_assert_msg(rc == 0, "getsockopt(%d, %d) = %d", level, name, rc);
  ck_assert_uint_eq(len, sizeof(v));
  return v;
}

mynet_sock *tn_tcp_listener(struct tn *t, uint16_t port, int backlog)
{
  mynet_sock *l = tn_socket(t, SOCK_STREAM);
  struct sockaddr_in a = tn_sin(0, port);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, backlog), 0);
  return l;
}

void tn_tcp_connect_start(mynet_sock *s, uint32_t addr, uint16_t port)
{
  struct sockaddr_in to = tn_sin(addr, port);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
}

void tn_inject_tcp(struct tn *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, uint16_t win, const struct mn_tcp_opts *opts, const void *payload,
                   size_t len)
{
  uint8_t seg[MN_TCP_MAX_HDR_LEN + 9000];
  struct mn_tcp_hdr h = {
      .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .win = win};
  if (opts)
    h.opt = *opts;
  size_t hl = MN_TCP_HDR_LEN + mn_tcp_opts_len(&h.opt);
  ck_assert_uint_le(len, sizeof(seg) - hl);
  if (len)
    memcpy(seg + hl, payload, len);
  ck_assert_uint_eq(mn_tcp_emit(&h, seg, len, TN_PEER, TN_ADDR), hl);
  tn_inject_ipv4(t, TN_PEER, TN_ADDR, MN_IPPROTO_TCP, seg, hl + len);
}

size_t tn_expect_tcp(struct tn *t, struct mn_tcp_hdr *h, void *payload, size_t cap)
{
  struct mn_ipv4_hdr ip;
  struct mn_pbuf *p = tn_expect_ipv4(t, MN_IPPROTO_TCP, &ip);
  ck_assert_uint_eq(ip.src, TN_ADDR);
  ck_assert_uint_eq(ip.dst, TN_PEER);
  ck_assert_int_eq(mn_tcp_parse(p->data, p->len, ip.src, ip.dst, h), MN_PARSE_OK);
  size_t len = p->len - h->hdr_len;
  if (payload)
    memcpy(payload, p->data + h->hdr_len, len < cap ? len : cap);
  mn_pbuf_free(p);
  return len;
}
