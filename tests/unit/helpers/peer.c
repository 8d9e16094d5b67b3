#include "helpers/peer.h"

#include <string.h>

struct mn_tcp_opts peer_linux_opts(void)
{
  return (struct mn_tcp_opts){
      .mss_set = true, .mss = 1460, .sack_ok = true, .ts_set = true, .ws_set = true, .wscale = 7};
}

void peer_init(struct peer *p, struct tn *t, uint32_t iss)
{
  memset(p, 0, sizeof(*p));
  p->t = t;
  p->port = PEER_PORT;
  p->sport = PEER_STACK_PORT;
  p->iss = iss;
  p->snd_nxt = iss;
  p->win = 65535;
  t->answer_arp = true;
}

uint32_t peer_tsval(const struct peer *p)
{
  return PEER_TS_BASE + (uint32_t)(p->t->now / 1000);
}

static void set_buffers(const struct peer *p, mynet_sock *s)
{
  if (p->so_sndbuf)
    ck_assert_int_eq(
        mynet_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &p->so_sndbuf, sizeof(p->so_sndbuf)), 0);
  if (p->so_rcvbuf)
    ck_assert_int_eq(
        mynet_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &p->so_rcvbuf, sizeof(p->so_rcvbuf)), 0);
}

void peer_inject_opts(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags,
                      const struct mn_tcp_opts *opts, const void *data, size_t len)
{
  struct mn_tcp_opts o = opts ? *opts : (struct mn_tcp_opts){0};
  if (p->ts) {
    o.ts_set = true;
    o.tsval = peer_tsval(p);
    o.tsecr = (flags & MN_TCP_ACK) ? p->ts_recent : 0;
  }
  tn_inject_tcp(p->t, p->port, p->sport, seq, ack, flags, p->win, &o, data, len);
}

void peer_inject_sack(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags,
                      const struct mn_tcp_sack_block *sack, int nsack, const void *data, size_t len)
{
  struct mn_tcp_opts o = {0};
  ck_assert_int_le(nsack, MN_TCP_MAX_SACK);
  for (int i = 0; i < nsack; i++)
    o.sack[i] = sack[i];
  o.nsack = (uint8_t)nsack;
  peer_inject_opts(p, seq, ack, flags, &o, data, len);
}

void peer_inject(struct peer *p, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t len)
{
  peer_inject_sack(p, seq, ack, flags, NULL, 0, data, len);
}

void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len)
{
  peer_inject(p, p->snd_nxt, p->rcv_nxt, flags, data, len);
  p->snd_nxt += (uint32_t)len + ((flags & MN_TCP_SYN) ? 1 : 0) + ((flags & MN_TCP_FIN) ? 1 : 0);
}

void peer_ack(struct peer *p, uint32_t ack)
{
  p->rcv_nxt = ack;
  peer_inject(p, p->snd_nxt, ack, MN_TCP_ACK, NULL, 0);
}

void peer_sack(struct peer *p, const struct mn_tcp_sack_block *sack, int nsack)
{
  peer_inject_sack(p, p->snd_nxt, p->rcv_nxt, MN_TCP_ACK, sack, nsack, NULL, 0);
}

size_t peer_recv(struct peer *p, struct mn_tcp_hdr *h, void *buf, size_t cap)
{
  size_t len = tn_expect_tcp(p->t, h, buf, cap);
  ck_assert_uint_eq(h->sport, p->sport);
  ck_assert_uint_eq(h->dport, p->port);
  if (h->opt.ts_set)
    p->ts_recent = h->opt.tsval;
  return len;
}

static const char *flag_names(uint8_t f, char *out)
{
  static const char *const names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  out[0] = 0;
  for (int i = 0; i < 8; i++) {
    if (f & (1 << i)) {
      if (out[0])
        strcat(out, "|");
      strcat(out, names[i]);
    }
  }
  if (!out[0])
    strcpy(out, "none");
  return out;
}

struct mn_tcp_hdr peer_expect_at(const char *file, int line, struct peer *p, uint8_t flags,
                                 uint32_t seq, uint32_t ack, size_t len)
{
  ck_assert_msg(tn_device_tx_count(p->t->dev) > 0, "%s:%d: expected a segment, the stack sent none",
                file, line);
  struct mn_tcp_hdr h;
  size_t got = peer_recv(p, &h, NULL, 0);
  char want_f[48], got_f[48];
  ck_assert_msg(h.flags == flags, "%s:%d: flags %s, expected %s", file, line,
                flag_names(h.flags, got_f), flag_names(flags, want_f));
  ck_assert_msg(h.seq == seq, "%s:%d: seq %u (stack iss + %u), expected %u (iss + %u)", file, line,
                h.seq, h.seq - p->stack_iss, seq, seq - p->stack_iss);
  if (flags & MN_TCP_ACK)
    ck_assert_msg(h.ack == ack, "%s:%d: ack %u (peer iss + %u), expected %u (iss + %u)", file, line,
                  h.ack, h.ack - p->iss, ack, ack - p->iss);
  ck_assert_msg(got == len, "%s:%d: %zu payload bytes, expected %zu", file, line, got, len);
  if (!(flags & (MN_TCP_RST | MN_TCP_SYN)))
    ck_assert_msg(h.opt.ts_set == p->ts, "%s:%d: timestamps %s", file, line,
                  p->ts ? "missing" : "not negotiated but sent");
  if (h.opt.ts_set && (flags & MN_TCP_ACK) && !(flags & MN_TCP_SYN) && p->ts)
    ck_assert_msg(h.opt.tsval != 0, "%s:%d: zero TSval", file, line);
  return h;
}

uint16_t peer_stack_win(const struct peer *p, uint32_t bytes)
{
  uint32_t w = bytes >> p->stack_wscale;
  return (uint16_t)(w > 65535 ? 65535 : w);
}

mynet_sock *peer_open_active(struct peer *p, const struct mn_tcp_opts *opts)
{
  struct tn *t = p->t;
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_STREAM, 0, &s), 0);
  set_buffers(p, s);
  struct sockaddr_in a = tn_sin(0, p->sport);
  ck_assert_int_eq(mynet_bind(s, &a), 0);
  struct sockaddr_in to = tn_sin(TN_PEER, p->port);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
  p->s = s;
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(p, &h, NULL, 0), 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN);
  ck_assert(h.opt.mss_set && h.opt.ws_set && h.opt.sack_ok && h.opt.ts_set);
  p->syn = h;
  p->stack_iss = h.seq;
  p->rcv_nxt = h.seq + 1;
  p->stack_mss = h.opt.mss;
  struct mn_tcp_opts o = opts ? *opts : (struct mn_tcp_opts){0};
  p->ts = o.ts_set;
  p->sack = o.sack_ok;
  p->ws = o.ws_set;
  p->stack_wscale = p->ws ? h.opt.wscale : 0;
  o.ts_set = false;
  if (p->rtt)
    tn_advance(t, p->rtt);
  peer_inject_opts(p, p->iss, p->rcv_nxt, MN_TCP_SYN | MN_TCP_ACK, &o, NULL, 0);
  p->snd_nxt = p->iss + 1;
  peer_expect(p, MN_TCP_ACK, p->stack_iss + 1, p->snd_nxt, 0);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
  return s;
}

mynet_sock *peer_open_passive(struct peer *p, const struct mn_tcp_opts *opts)
{
  struct tn *t = p->t;
  mynet_sock *l;
  ck_assert_int_eq(mynet_socket(t->st, SOCK_STREAM, 0, &l), 0);
  set_buffers(p, l);
  struct sockaddr_in a = tn_sin(0, p->sport);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 8), 0);
  p->listener = l;
  struct mn_tcp_opts o = opts ? *opts : (struct mn_tcp_opts){0};
  p->ts = o.ts_set;
  p->sack = o.sack_ok;
  p->ws = o.ws_set;
  p->ts_recent = 0;
  o.ts_set = false;
  peer_inject_opts(p, p->iss, 0, MN_TCP_SYN, &o, NULL, 0);
  p->snd_nxt = p->iss + 1;
  struct mn_tcp_hdr h;
  ck_assert_uint_eq(peer_recv(p, &h, NULL, 0), 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  ck_assert_uint_eq(h.ack, p->iss + 1);
  /* RFC 7323 2.2, 3.2 and RFC 2018 2: answer only what was offered. */
  ck_assert(h.opt.mss_set);
  ck_assert_int_eq(h.opt.ts_set, p->ts);
  ck_assert_int_eq(h.opt.ws_set, p->ws);
  ck_assert_int_eq(h.opt.sack_ok, p->sack);
  if (p->ts)
    ck_assert_uint_eq(h.opt.tsecr, peer_tsval(p));
  p->syn = h;
  p->stack_iss = h.seq;
  p->rcv_nxt = h.seq + 1;
  p->stack_mss = h.opt.mss;
  p->stack_wscale = p->ws ? h.opt.wscale : 0;
  if (p->rtt)
    tn_advance(t, p->rtt);
  peer_send(p, MN_TCP_ACK, NULL, 0);
  tn_expect_silence(t);
  mynet_sock *c = NULL;
  struct sockaddr_in from;
  ck_assert_int_eq(mynet_accept(l, &c, &from), 0);
  ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), TN_PEER);
  ck_assert_uint_eq(ntohs(from.sin_port), p->port);
  p->s = c;
  return c;
}

mynet_sock *peer_establish(struct peer *p, struct tn *t)
{
  peer_init(p, t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  return peer_open_active(p, &o);
}

mynet_sock *peer_establish_unscaled(struct peer *p, struct tn *t)
{
  peer_init(p, t, 1000);
  struct mn_tcp_opts o = peer_linux_opts();
  o.ws_set = false;
  return peer_open_active(p, &o);
}

mynet_sock *peer_establish_rtt(struct peer *p, struct tn *t, mynet_time rtt)
{
  peer_init(p, t, 1000);
  p->rtt = rtt;
  struct mn_tcp_opts o = peer_linux_opts();
  mynet_sock *s = peer_open_active(p, &o);
  p->rtt = 0;
  return s;
}

struct mn_tcp_hdr peer_syn_to_listener(struct peer *p)
{
  struct mn_tcp_opts o = peer_linux_opts();
  p->ts = p->sack = p->ws = true;
  o.ts_set = false; /* filled in by peer_inject_opts */
  peer_inject_opts(p, p->iss, 0, MN_TCP_SYN, &o, NULL, 0);
  p->snd_nxt = p->iss + 1;
  struct mn_tcp_hdr h;
  peer_recv(p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  p->stack_iss = h.seq;
  p->rcv_nxt = h.seq + 1;
  p->stack_wscale = h.opt.wscale;
  return h;
}

mynet_sock *peer_connection_in(struct peer *p, struct tn *t, enum mn_tcp_state state)
{
  mynet_sock *s = peer_establish(p, t);
  uint32_t snd = p->stack_iss + 1;
  bool we_close = state == MN_TCPS_FIN_WAIT_1 || state == MN_TCPS_FIN_WAIT_2 ||
                  state == MN_TCPS_CLOSING || state == MN_TCPS_TIME_WAIT;
  bool they_close =
      state == MN_TCPS_CLOSE_WAIT || state == MN_TCPS_LAST_ACK || state == MN_TCPS_CLOSING;
  if (state == MN_TCPS_LAST_ACK) {
    peer_send(p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
    peer_expect(p, MN_TCP_ACK, snd, p->snd_nxt, 0);
    ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
    peer_expect(p, MN_TCP_FIN | MN_TCP_ACK, snd, p->snd_nxt, 0);
  } else {
    if (we_close) {
      ck_assert_int_eq(mynet_shutdown(s, SHUT_WR), 0);
      peer_expect(p, MN_TCP_FIN | MN_TCP_ACK, snd, p->snd_nxt, 0);
    }
    if (state == MN_TCPS_FIN_WAIT_2 || state == MN_TCPS_TIME_WAIT)
      peer_ack(p, snd + 1);
    if (they_close || state == MN_TCPS_TIME_WAIT) {
      peer_send(p, MN_TCP_FIN | MN_TCP_ACK, NULL, 0);
      peer_expect(p, MN_TCP_ACK, snd + (we_close ? 1 : 0), p->snd_nxt, 0);
    }
  }
  ck_assert_int_eq(tcp_of(s)->state, state);
  return s;
}

ssize_t peer_write(mynet_sock *s, const void *buf, size_t len)
{
  struct iovec iov = {(void *)buf, len};
  return mynet_sendmsg(s, &iov, 1, NULL, 0);
}

ssize_t peer_read(mynet_sock *s, void *buf, size_t len)
{
  struct iovec iov = {buf, len};
  return mynet_recvmsg(s, &iov, 1, NULL, 0, NULL);
}

int peer_so_error(mynet_sock *s)
{
  int e = -1;
  socklen_t l = sizeof(e);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l), 0);
  return e;
}

void peer_pattern(uint8_t *buf, size_t len, size_t offset)
{
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)((offset + i) * 7 + ((offset + i) >> 8));
}
