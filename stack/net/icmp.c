/* ICMP: echo replies, error generation (rate limited) and delivery of
 * received errors to the transport that sent the offending datagram. */
#include "net/icmp.h"

#include "net/ipv4.h"
#include "stack_impl.h"
#include "transport/tcp.h"
#include "transport/udp.h"
#include "wire/be.h"
#include "wire/icmp.h"

#include <errno.h>
#include <string.h>

int mn_icmp_unreach_errno(uint8_t type, uint8_t code)
{
  /* The kernel's icmp_err_convert table. */
  if (type == MN_ICMP_TIME_EXCEEDED)
    return EHOSTUNREACH;
  if (type == MN_ICMP_PARAM_PROBLEM)
    return EPROTO;
  if (type != MN_ICMP_DEST_UNREACH)
    return 0;
  switch (code) {
  case MN_ICMP_NET_UNREACH:
    return ENETUNREACH;
  case MN_ICMP_HOST_UNREACH:
    return EHOSTUNREACH;
  case MN_ICMP_PROTO_UNREACH:
    return ENOPROTOOPT;
  case MN_ICMP_PORT_UNREACH:
    return ECONNREFUSED;
  case MN_ICMP_FRAG_NEEDED:
    return EMSGSIZE;
  case 5: /* source route failed */
    return EOPNOTSUPP;
  case 6:  /* destination network unknown */
  case 8:  /* source host isolated */
  case 11: /* network unreachable for TOS */
    return ENETUNREACH;
  case 9:  /* network administratively prohibited */
  case 10: /* host administratively prohibited */
  case 13: /* communication administratively prohibited */
    return EACCES;
  default:
    return EHOSTUNREACH;
  }
}

/* Token bucket: MN_ICMP_BURST tokens, one more every interval. */
static bool take_token(struct mynet_stack *st)
{
  struct mn_icmp_state *s = &st->icmp;
  if (s->tokens < MN_ICMP_BURST && st->now >= s->refill_at) {
    int64_t add = 1 + (st->now - s->refill_at) / MN_ICMP_TOKEN_INTERVAL;
    s->tokens = add >= MN_ICMP_BURST - s->tokens ? MN_ICMP_BURST : s->tokens + (int)add;
    s->refill_at += add * MN_ICMP_TOKEN_INTERVAL;
  }
  if (s->tokens == 0)
    return false;
  if (s->tokens == MN_ICMP_BURST)
    s->refill_at = st->now + MN_ICMP_TOKEN_INTERVAL;
  s->tokens--;
  return true;
}

/* Deliver an ICMP error (type/code) about the datagram quoted at q (IP
 * header + at least 8 bytes) to the transport socket that sent it. */
static void deliver_error(struct mynet_stack *st, const uint8_t *q, size_t qlen, uint8_t type,
                          uint8_t code)
{
  if (qlen < MN_IPV4_HDR_LEN)
    return;
  size_t ihl = (size_t)(q[0] & 0x0f) * 4;
  if ((q[0] >> 4) != 4 || ihl < MN_IPV4_HDR_LEN || qlen < ihl + 8)
    return;
  uint8_t proto = q[9];
  uint32_t src = mn_get32(q + 12), dst = mn_get32(q + 16);
  uint16_t sport = mn_get16(q + ihl), dport = mn_get16(q + ihl + 2);
  int err = mn_icmp_unreach_errno(type, code);
  if (!err)
    return;
  if (proto == MN_IPPROTO_UDP)
    mn_udp_icmp_error(st, src, sport, dst, dport, err);
  else if (proto == MN_IPPROTO_TCP)
    mn_tcp_icmp_error(st, src, sport, dst, dport, mn_get32(q + ihl + 4), type, code, err);
}

static void echo_reply(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip,
                       const struct mn_icmp_hdr *h)
{
  /* RFC 1122 3.2.2.6: reply with the same data, id and sequence; a
   * request to a broadcast address may be ignored, and the kernel does
   * (icmp_echo_ignore_broadcasts). */
  if (mn_ipv4_is_broadcast(st, ip->dst)) {
    mn_pbuf_free(p);
    return;
  }
  struct mn_icmp_hdr r = {.type = MN_ICMP_ECHO_REPLY, .code = 0, .rest = h->rest};
  mn_icmp_emit(&r, p->data, p->len);
  struct mn_ip_tx tx = {.src = ip->dst, .dst = ip->src, .proto = MN_IPPROTO_ICMP, .tos = ip->tos};
  st->ctr.icmp_out_msgs++;
  st->ctr.icmp_out_echo_reps++;
  mn_ipv4_output(st, p, &tx);
}

void mn_icmp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip)
{
  st->ctr.icmp_in_msgs++;
  struct mn_icmp_hdr h;
  if (mn_icmp_parse(p->data, p->len, &h) != MN_PARSE_OK) {
    st->ctr.icmp_in_errors++;
    mn_pbuf_free(p);
    return;
  }
  switch (h.type) {
  case MN_ICMP_ECHO_REQUEST:
    st->ctr.icmp_in_echos++;
    echo_reply(st, p, ip, &h);
    return;
  case MN_ICMP_DEST_UNREACH:
  case MN_ICMP_TIME_EXCEEDED:
  case MN_ICMP_PARAM_PROBLEM:
    if (h.type == MN_ICMP_DEST_UNREACH)
      st->ctr.icmp_in_dest_unreachs++;
    deliver_error(st, p->data + MN_ICMP_HDR_LEN, p->len - MN_ICMP_HDR_LEN, h.type, h.code);
    break;
  default:
    /* Source quench is deprecated (RFC 6633); echo replies have no ICMP
     * socket to go to yet; the rest are informational. */
    break;
  }
  mn_pbuf_free(p);
}

void mn_icmp_send_error(struct mynet_stack *st, const struct mn_pbuf *orig, uint8_t type,
                        uint8_t code, uint32_t rest)
{
  /* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast
   * (IP or link layer), a fragment other than the first, or a source that
   * is not a host. */
  if (orig->len < MN_IPV4_HDR_LEN || orig->link_bcast)
    return;
  const uint8_t *q = orig->data;
  size_t ihl = (size_t)(q[0] & 0x0f) * 4;
  uint32_t src = mn_get32(q + 12), dst = mn_get32(q + 16);
  if (mn_ipv4_is_broadcast(st, dst) || (dst >> 28) == 0xe || src == 0 || (src >> 28) >= 0xe ||
      mn_ipv4_is_broadcast(st, src) || (mn_get16(q + 6) & 0x1fff) != 0)
    return;
  if (q[9] == MN_IPPROTO_ICMP && orig->len >= ihl + 1) {
    uint8_t t = q[ihl];
    if (t != MN_ICMP_ECHO_REQUEST && t != MN_ICMP_ECHO_REPLY && t != 13 && t != 14)
      return;
  }
  /* The rate limit is per destination and, as Linux's
   * icmpv4_xrlim_allow, none for our own addresses (loopback). */
  if (!mn_ipv4_is_local(st, src) && !take_token(st)) {
    st->ctr.icmp_out_rate_limited++;
    return;
  }
  /* Quote the IP header and as much of the datagram as fits in 576 bytes
   * (RFC 1812 4.3.2.3; the kernel does the same). */
  size_t quote = orig->len;
  if (quote > 576 - MN_IPV4_HDR_LEN - MN_ICMP_HDR_LEN)
    quote = 576 - MN_IPV4_HDR_LEN - MN_ICMP_HDR_LEN;
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, MN_ICMP_HDR_LEN + quote);
  if (!p)
    return;
  memcpy(p->data + MN_ICMP_HDR_LEN, q, quote);
  struct mn_icmp_hdr h = {.type = type, .code = code, .rest = rest};
  mn_icmp_emit(&h, p->data, p->len);
  struct mn_ip_tx tx = {.src = dst, .dst = src, .proto = MN_IPPROTO_ICMP, .tos = 0xc0};
  st->ctr.icmp_out_msgs++;
  if (type == MN_ICMP_DEST_UNREACH)
    st->ctr.icmp_out_dest_unreachs++;
  mn_ipv4_output(st, p, &tx);
}

void mn_icmp_local_error(struct mynet_stack *st, const struct mn_pbuf *sent, uint8_t type,
                         uint8_t code)
{
  deliver_error(st, sent->data, sent->len, type, code);
}
