/* TCP: the socket operations (what the application asks for), the
 * connection tables, sequence-number and port choice. */
#include "transport/tcp_impl.h"

#include "core/siphash.h"
#include "net/ipv4.h"
#include "net/ports.h"
#include "stack_impl.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

const char *mn_tcp_state_name(enum mn_tcp_state s)
{
  static const char *const names[] = {
      "CLOSED",     "LISTEN",  "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT",
      "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2",   "TIME_WAIT",
  };
  return s <= MN_TCPS_TIME_WAIT ? names[s] : "?";
}

void mn_tcp_set_state(struct mn_tcp_sock *tp, enum mn_tcp_state s)
{
  struct mynet_stack *st = tp->sk.st;
  if (tp->state == s)
    return;
  if (MYNET_LOG_DEBUG <= mn_log_level(st)) {
    char a[16], b[16];
    mn_log_emit(st, MYNET_LOG_DEBUG, "tcp %s:%u-%s:%u: %s -> %s", mn_ip4_str(tp->sk.laddr, a),
                tp->sk.lport, mn_ip4_str(tp->sk.raddr, b), tp->sk.rport,
                mn_tcp_state_name(tp->state), mn_tcp_state_name(s));
  }
  if (tp->state == MN_TCPS_TIME_WAIT)
    st->tcp->time_wait_count--;
  if (s == MN_TCPS_TIME_WAIT)
    st->tcp->time_wait_count++;
  tp->state = s;
}

/* ---- tables ---- */

static size_t bucket(const struct mn_tcp_table *ts, uint32_t laddr, uint16_t lport, uint32_t raddr,
                     uint16_t rport)
{
  uint64_t k = ((uint64_t)raddr << 32 | (uint64_t)rport << 16 | lport) ^ ((uint64_t)laddr << 7);
  k ^= ts->secret[0];
  k *= 0x9e3779b97f4a7c15ull;
  return (size_t)(k >> 40) % ts->conn_buckets;
}

void mn_tcp_hash(struct mn_tcp_sock *tp)
{
  struct mn_tcp_table *ts = tp->sk.st->tcp;
  if (tp->hashed)
    return;
  if (tp->state == MN_TCPS_LISTEN) {
    tp->hnext = ts->listeners;
    ts->listeners = tp;
  } else {
    size_t b = bucket(ts, tp->sk.laddr, tp->sk.lport, tp->sk.raddr, tp->sk.rport);
    tp->hnext = ts->conn[b];
    ts->conn[b] = tp;
  }
  tp->hashed = true;
}

void mn_tcp_unhash(struct mn_tcp_sock *tp)
{
  struct mn_tcp_table *ts = tp->sk.st->tcp;
  if (!tp->hashed)
    return;
  struct mn_tcp_sock **pp;
  if (tp->state == MN_TCPS_LISTEN)
    pp = &ts->listeners;
  else
    pp = &ts->conn[bucket(ts, tp->sk.laddr, tp->sk.lport, tp->sk.raddr, tp->sk.rport)];
  for (; *pp; pp = &(*pp)->hnext) {
    if (*pp == tp) {
      *pp = tp->hnext;
      break;
    }
  }
  tp->hnext = NULL;
  tp->hashed = false;
}

struct mn_tcp_sock *mn_tcp_lookup(struct mynet_stack *st, uint32_t laddr, uint16_t lport,
                                  uint32_t raddr, uint16_t rport)
{
  struct mn_tcp_table *ts = st->tcp;
  for (struct mn_tcp_sock *tp = ts->conn[bucket(ts, laddr, lport, raddr, rport)]; tp;
       tp = tp->hnext)
    if (tp->sk.lport == lport && tp->sk.rport == rport && tp->sk.raddr == raddr &&
        tp->sk.laddr == laddr)
      return tp;
  return NULL;
}

struct mn_tcp_sock *mn_tcp_lookup_listener(struct mynet_stack *st, uint32_t laddr, uint16_t lport,
                                           int in_if)
{
  /* The most specific wins, as Linux scores them: an exact address over
   * the wildcard, then one bound to the interface over one that is not. */
  struct mn_tcp_sock *best = NULL;
  int best_score = -1;
  for (struct mn_tcp_sock *tp = st->tcp->listeners; tp; tp = tp->hnext) {
    if (tp->sk.lport != lport || (tp->sk.laddr && tp->sk.laddr != laddr) ||
        !mn_sock_if_ok(&tp->sk, in_if))
      continue;
    int score = (tp->sk.laddr ? 2 : 0) + (tp->sk.route.oif != MN_ROUTE_ANY_IF ? 1 : 0);
    if (score > best_score) {
      best = tp;
      best_score = score;
    }
  }
  return best;
}

/* ---- sequence numbers and ports ---- */

uint32_t mn_tcp_isn(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                    uint16_t rport)
{
  /* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
   * secretkey), M a timer ticking every 4 microseconds. */
  uint32_t tuple[3] = {laddr, raddr, (uint32_t)lport << 16 | rport};
  uint32_t f = (uint32_t)mn_siphash(st->tcp->secret, tuple, sizeof(tuple));
  return f + (uint32_t)(st->now / 4);
}

int mn_tcp_init(struct mynet_stack *st)
{
  struct mn_tcp_table *ts = mn_mem_zalloc_unbudgeted(&st->mem, sizeof(*ts));
  if (!ts)
    return -ENOMEM;
  ts->conn_buckets = 1024;
  ts->conn = mn_mem_zalloc_unbudgeted(&st->mem, ts->conn_buckets * sizeof(*ts->conn));
  if (!ts->conn) {
    mn_mem_free(&st->mem, ts);
    return -ENOMEM;
  }
  ts->secret[0] = mn_rand_next(&st->rand);
  ts->secret[1] = mn_rand_next(&st->rand);
  ts->challenge_tokens = MN_TCP_CHALLENGE_ACK_PER_SEC;
  ts->loss_probes = true;
  st->tcp = ts;
  return 0;
}

void mn_tcp_set_loss_probes(struct mynet_stack *st, bool on)
{
  st->tcp->loss_probes = on;
}

void mn_tcp_destroy(struct mynet_stack *st)
{
  if (!st->tcp)
    return;
  mn_mem_free(&st->mem, st->tcp->conn);
  mn_mem_free(&st->mem, st->tcp);
  st->tcp = NULL;
}

bool mn_tcp_lingering(const struct mynet_stack *st)
{
  for (const struct mynet_sock *s = st->all_socks; s; s = s->all_next) {
    if (s->type != SOCK_STREAM || !s->user_closed)
      continue;
    const struct mn_tcp_sock *tp = (const struct mn_tcp_sock *)s;
    /* Data or a FIN the peer has not acknowledged yet. */
    if (tp->state >= MN_TCPS_SYN_RECEIVED && tp->state <= MN_TCPS_LAST_ACK &&
        (tp->snd.len || SEQ_LT(tp->snd_una, tp->snd_max) || tp->fin_queued))
      return true;
  }
  return false;
}

static bool overlaps(uint32_t a, uint32_t b)
{
  return a == 0 || b == 0 || a == b;
}

/* May tp take (addr, port)?  The kernel's rules: SO_REUSEADDR on both
 * lets sockets share a port unless one listens; SO_REUSEPORT on both
 * always does; a TIME_WAIT socket only blocks a socket without
 * SO_REUSEADDR. */
static bool port_conflict(struct mynet_stack *st, const struct mn_tcp_sock *self, uint32_t addr,
                          uint16_t port)
{
  for (struct mynet_sock *s = st->all_socks; s; s = s->all_next) {
    if (s->type != SOCK_STREAM || s == &self->sk || s->lport != port)
      continue;
    const struct mn_tcp_sock *o = (const struct mn_tcp_sock *)s;
    if (o->state == MN_TCPS_CLOSED && !o->hashed && !s->user_closed && !o->sk.lport)
      continue;
    if (!overlaps(s->laddr, addr) || mn_sock_if_apart(s, &self->sk))
      continue;
    if (self->sk.reuseport && s->reuseport)
      continue;
    if (self->sk.reuseaddr &&
        (o->state == MN_TCPS_TIME_WAIT || (s->reuseaddr && o->state != MN_TCPS_LISTEN)))
      continue;
    return true;
  }
  return false;
}

struct probe_ctx {
  struct mynet_stack *st;
  struct mn_tcp_sock *tp;
  uint32_t addr;
};

static bool port_taken(void *ctx, uint16_t port)
{
  struct probe_ctx *c = ctx;
  for (struct mynet_sock *s = c->st->all_socks; s; s = s->all_next)
    if (s->type == SOCK_STREAM && s != &c->tp->sk && s->lport == port)
      return true;
  return false;
}

/* RFC 6056 3.3.3 (Algorithm 3): a per-destination offset from a keyed
 * hash plus a global counter, so consecutive connections to the same
 * peer get unpredictable but non-colliding ports. */
static uint16_t connect_port(struct mynet_stack *st, struct mn_tcp_sock *tp, uint32_t raddr,
                             uint16_t rport)
{
  uint32_t tuple[3] = {tp->sk.laddr, raddr, rport};
  uint32_t offset = (uint32_t)mn_siphash(st->tcp->secret, tuple, sizeof(tuple));
  uint32_t n = MN_PORT_EPHEMERAL_MAX - MN_PORT_EPHEMERAL_MIN + 1;
  struct probe_ctx c = {st, tp, tp->sk.laddr};
  for (uint32_t i = 0; i < n; i++) {
    uint16_t port = (uint16_t)(MN_PORT_EPHEMERAL_MIN + (offset + st->tcp->port_counter + i) % n);
    if (!port_taken(&c, port)) {
      st->tcp->port_counter += i + 1;
      return port;
    }
  }
  return 0;
}

/* ---- connection set-up helpers ---- */

/* A buffer the application shrank is already the limit while the ring
 * waits to be resized (mn_tcp_apply_buffer_sizes). */
static size_t rcv_size(const struct mn_tcp_sock *tp)
{
  return MN_MIN(tp->rcv.cap, (size_t)tp->sk.rcvbuf);
}

static size_t snd_space(const struct mn_tcp_sock *tp)
{
  size_t size = MN_MIN(tp->snd.cap, (size_t)tp->sk.sndbuf);
  return size > tp->snd.len ? size - tp->snd.len : 0;
}

uint32_t mn_tcp_window_max(const struct mn_tcp_sock *tp)
{
  uint64_t max = (uint64_t)65535 << tp->rcv_wscale;
  /* TCP_WINDOW_CLAMP bounds the window offered, whatever the buffer. */
  if (tp->window_clamp && tp->window_clamp < max)
    max = tp->window_clamp;
  return (uint32_t)MN_MIN(rcv_size(tp), max);
}

uint32_t mn_tcp_rcv_window(const struct mn_tcp_sock *tp)
{
  size_t space = rcv_size(tp) > tp->rcv.len ? rcv_size(tp) - tp->rcv.len : 0;
  uint32_t max = mn_tcp_window_max(tp);
  return space > max ? max : (uint32_t)space;
}

void mn_tcp_apply_buffer_sizes(struct mn_tcp_sock *tp)
{
  /* Linux applies a new size at once; a ring cannot be resized while it
   * holds data, so the change waits until it is empty, a smaller size
   * limiting writes and windows meanwhile. */
  if (tp->snd.cap != (size_t)tp->sk.sndbuf && tp->snd.len == 0)
    mn_ring_init(&tp->snd, (size_t)tp->sk.sndbuf, &tp->sk.st->mem);
  uint32_t offered = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
  if (tp->rcv.cap != (size_t)tp->sk.rcvbuf && tp->rcv.len == 0 && !tp->ofo.n &&
      (size_t)tp->sk.rcvbuf >= offered)
    mn_ring_init(&tp->rcv, (size_t)tp->sk.rcvbuf, &tp->sk.st->mem);
}

bool mn_tcp_orphan_fin_wait_2(struct mn_tcp_sock *tp)
{
  if (tp->linger2 < 0) {
    /* A negative TCP_LINGER2: reset instead of waiting, as Linux does. */
    mn_tcp_send_rst(tp);
    mn_tcp_close_final(tp);
    return false;
  }
  /* Linux's tcp_fin_time(): TCP_LINGER2, or net.ipv4.tcp_fin_timeout,
   * but never less than three and a half retransmission timeouts. */
  mynet_time t = tp->linger2 ? tp->linger2 : MN_TCP_FIN_TIMEOUT;
  mynet_time floor = 3 * mn_tcp_rto_now(tp) + mn_tcp_rto_now(tp) / 2;
  mn_tcp_arm_keep(tp, t > floor ? t : floor);
  return true;
}

void mn_tcp_setup_mss(struct mn_tcp_sock *tp)
{
  uint16_t mtu = 1500;
  mn_ipv4_route_info(tp->sk.st, tp->sk.raddr, &tp->sk.route, NULL, &mtu);
  tp->pmtu = mtu;
  uint16_t mss = (uint16_t)(mtu - MN_IPV4_HDR_LEN - MN_TCP_HDR_LEN);
  if (tp->user_mss_set && tp->user_mss < mss)
    mss = tp->user_mss;
  tp->adv_mss = mss;
  uint32_t peer = tp->peer_mss ? tp->peer_mss : MN_TCP_DEFAULT_MSS;
  uint32_t eff = peer < mss ? peer : mss;
  /* Like Linux's mss_cache: room for the timestamp option is taken out
   * so every full segment has the same payload size.  A peer asking for
   * a tiny MSS gets a floor, never a wrapped-around value. */
  if (tp->ts_ok)
    eff = eff > 12 ? eff - 12 : 0;
  if (eff < 64)
    eff = 64;
  tp->mss = (uint16_t)eff;
}

static void init_buffers(struct mn_tcp_sock *tp)
{
  if (!tp->rcv.cap)
    mn_ring_init(&tp->rcv, (size_t)tp->sk.rcvbuf, &tp->sk.st->mem);
  if (!tp->snd.cap)
    mn_ring_init(&tp->snd, (size_t)tp->sk.sndbuf, &tp->sk.st->mem);
  /* The smallest scale that lets the window cover the buffer, but never
   * less than Linux's default so peers see familiar values. */
  uint8_t ws = 0;
  while (ws < 14 && ((size_t)65535 << ws) < tp->rcv.cap)
    ws++;
  tp->rcv_wscale = ws > MN_TCP_WSCALE ? ws : MN_TCP_WSCALE;
}

void mn_tcp_enter_established(struct mn_tcp_sock *tp)
{
  mn_tcp_set_state(tp, MN_TCPS_ESTABLISHED);
  if (!tp->ws_ok) {
    tp->snd_wscale = 0;
    tp->rcv_wscale = 0;
  }
  mn_tcp_setup_mss(tp);
  tp->cwnd = MN_TCP_INIT_CWND_SEGS * tp->mss;
  tp->ssthresh = 0x7fffffff;
  mn_tcp_cc(tp->cc)->init(tp);
  tp->last_rcv = tp->sk.st->now;
  /* As Linux at the end of a handshake: the SYN (or SYN-ACK) was
   * delivered, and every "time since" starts now. */
  tp->stats.delivered++;
  tp->stats.last_data_sent = tp->stats.last_data_recv = tp->stats.last_ack_recv = tp->last_rcv;
  if (tp->sk.keepalive)
    mn_tcp_arm_keepalive(tp);
  else
    mn_timer_cancel(&tp->sk.st->timers, &tp->t_keep);
  mn_sock_wake(&tp->sk);
}

static void queue_remove(struct mn_tcp_sock *l, struct mn_tcp_sock *child)
{
  struct mn_tcp_sock **pp = &l->aq_head, *prev = NULL;
  for (; *pp; prev = *pp, pp = &(*pp)->aq_next) {
    if (*pp == child) {
      *pp = child->aq_next;
      if (l->aq_tail == child)
        l->aq_tail = prev;
      l->aq_len--;
      child->aq_next = NULL;
      return;
    }
  }
}

void mn_tcp_close_final(struct mn_tcp_sock *tp)
{
  mn_tcp_unhash(tp);
  mn_tcp_set_state(tp, MN_TCPS_CLOSED);
  mn_tcp_reset_timers(tp);
  tp->done = true;
  tp->rcv_shut = tp->snd_shut = true;
  mn_ring_free(&tp->snd, &tp->sk.st->mem);
  struct mn_tcp_sock *l = tp->listener;
  if (l) {
    /* Never accepted: nobody else will release the application's
     * reference, so the listener does. */
    if (tp->ss == MN_SS_CONNECTED)
      queue_remove(l, tp);
    else
      l->syn_len--;
    tp->listener = NULL;
    tp->sk.user_closed = true;
    mynet_sock_unref(&tp->sk);
  }
  mn_sock_wake(&tp->sk);
  if (tp->proto_ref) {
    tp->proto_ref = false;
    mynet_sock_unref(&tp->sk);
  }
}

void mn_tcp_drop(struct mn_tcp_sock *tp, int err)
{
  if (err && !tp->sk.user_closed)
    tp->sk.so_error = err;
  if (tp->state >= MN_TCPS_ESTABLISHED && tp->state != MN_TCPS_TIME_WAIT &&
      (err == ECONNRESET || err == EPIPE))
    tp->sk.st->ctr.tcp_estab_resets++;
  mn_tcp_close_final(tp);
}

struct mn_tcp_sock *mn_tcp_new_child(struct mn_tcp_sock *l)
{
  struct mynet_sock *s;
  if (mn_tcp_socket(l->sk.st, &s) < 0)
    return NULL;
  struct mn_tcp_sock *tp = tcp_of(s);
  /* Options set on the listener are inherited, as on the kernel. */
  mn_sock_inherit(s, &l->sk);
  tp->nodelay = l->nodelay;
  tp->keepidle = l->keepidle;
  tp->keepintvl = l->keepintvl;
  tp->keepcnt = l->keepcnt;
  tp->user_timeout = l->user_timeout;
  tp->user_mss_set = l->user_mss_set;
  tp->user_mss = l->user_mss;
  tp->syn_retries = l->syn_retries;
  tp->linger2 = l->linger2;
  tp->window_clamp = l->window_clamp;
  tp->notsent_lowat = l->notsent_lowat;
  tp->cc = l->cc;
  tp->listener = l;
  tp->proto_ref = true;
  mynet_sock_ref(s);
  init_buffers(tp);
  l->syn_len++;
  return tp;
}

/* A socket may connect again after a failed or aborted connection (as on
 * Linux): nothing of the old connection may leak into the new one, only
 * the options the application set. */
static void reset_connection(struct mn_tcp_sock *tp)
{
  mn_tcp_reset_timers(tp);
  mn_ring_discard(&tp->rcv, tp->rcv.len);
  mn_ring_discard(&tp->snd, tp->snd.len);
  mn_seqset_clear(&tp->ofo);
  mn_seqset_clear(&tp->sacked);
  mn_seqset_clear(&tp->rexmitted);
  tp->fin_queued = tp->rst_on_close = false;
  tp->rcv_shut = tp->snd_shut = tp->done = tp->fin_rcvd = false;
  tp->ofo_fin = false;
  tp->dsack = false;
  tp->rexmt_count = tp->backoff = tp->dupacks = tp->keep_probes = tp->probes_out = 0;
  tp->in_recovery = tp->after_rto = tp->undo_possible = false;
  tp->tlp = tp->tlp_sent = tp->persist = false;
  tp->loss_suspected_at = 0;
  tp->reo_wnd_steps = 1;
  tp->reordering = MN_TCP_DUPTHRESH;
  tp->reo_wnd_persist = 0;
  tp->reo_wnd_grown = false;
  tp->srtt = tp->rttvar = 0;
  tp->rto = MN_TCP_RTO_INIT;
  tp->rtt_timing = false;
  tp->unacked_segs = 0;
  tp->ack_now = false;
  tp->ack_batch = MN_TCP_ACK_BATCH_MIN;
  tp->soft_error = 0;
  tp->first_unacked_at = 0;
  tp->peer_mss = 0;
  tp->ws_ok = tp->ts_ok = tp->sack_ok = false;
  tp->snd_wnd = tp->max_sndwnd = 0;
  tp->rcv_adv = 0;
  tp->ts_recent = 0;
  memset(&tp->stats, 0, sizeof(tp->stats));
}

/* ---- socket operations ---- */

static int tcp_bind(struct mynet_sock *s, uint32_t addr, uint16_t port)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  struct mynet_stack *st = s->st;
  if (tp->state != MN_TCPS_CLOSED)
    return -EINVAL;
  if (port == 0) {
    struct probe_ctx c = {st, tp, addr};
    port = mn_port_pick(st, port_taken, &c);
    if (!port)
      return -EADDRINUSE;
  } else if (port_conflict(st, tp, addr, port)) {
    return -EADDRINUSE;
  }
  s->laddr = addr;
  s->lport = port;
  return 0;
}

static int tcp_listen(struct mynet_sock *s, int backlog)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (tp->ss != MN_SS_UNCONNECTED || (tp->state != MN_TCPS_CLOSED && tp->state != MN_TCPS_LISTEN))
    return -EINVAL;
  if (backlog < 0)
    backlog = 0;
  if (backlog > 4096) /* net.core.somaxconn */
    backlog = 4096;
  tp->backlog = backlog;
  if (tp->state == MN_TCPS_LISTEN)
    return 0;
  if (!s->lport) {
    int rc = tcp_bind(s, 0, 0);
    if (rc < 0)
      return rc;
  }
  for (struct mn_tcp_sock *o = s->st->tcp->listeners; o; o = o->hnext)
    if (o->sk.lport == s->lport && overlaps(o->sk.laddr, s->laddr) &&
        !mn_sock_if_apart(&o->sk, s) && !(o->sk.reuseport && s->reuseport))
      return -EADDRINUSE;
  mn_tcp_set_state(tp, MN_TCPS_LISTEN);
  mn_tcp_hash(tp);
  mn_sock_wake(s);
  return 0;
}

static int tcp_accept(struct mynet_sock *s, struct mynet_sock **out)
{
  struct mn_tcp_sock *l = tcp_of(s);
  if (l->state != MN_TCPS_LISTEN)
    return -EINVAL;
  struct mn_tcp_sock *c = l->aq_head;
  if (!c)
    return -EAGAIN;
  queue_remove(l, c);
  c->listener = NULL;
  *out = &c->sk;
  /* The child's events may already be set (data, even a FIN, can arrive
   * before accept); the new owner asks for them when it registers. */
  return 0;
}

static int tcp_connect(struct mynet_sock *s, const struct sockaddr *addr, socklen_t len)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  struct mynet_stack *st = s->st;
  if (addr->sa_family == AF_UNSPEC) {
    /* connect(AF_UNSPEC) on a stream socket aborts the connection. */
    if (tp->state != MN_TCPS_CLOSED && tp->state != MN_TCPS_LISTEN) {
      if (tp->state >= MN_TCPS_SYN_RECEIVED)
        mn_tcp_send_rst(tp);
      mn_tcp_close_final(tp);
    }
    tp->ss = MN_SS_UNCONNECTED;
    return 0;
  }
  switch (tp->ss) {
  case MN_SS_CONNECTED:
    return -EISCONN;
  case MN_SS_CONNECTING:
    if (tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED)
      return -EALREADY;
    if (tp->state != MN_TCPS_CLOSED) {
      tp->ss = MN_SS_CONNECTED;
      return 0;
    }
    tp->ss = MN_SS_UNCONNECTED;
    {
      int e = mn_sock_take_error(s);
      return -(e ? e : ECONNABORTED);
    }
  case MN_SS_UNCONNECTED:
    break;
  }
  if (tp->state != MN_TCPS_CLOSED)
    return -EISCONN;
  if (addr->sa_family != AF_INET)
    return -EAFNOSUPPORT;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
  uint32_t dst = ntohl(sin->sin_addr.s_addr);
  uint16_t dport = ntohs(sin->sin_port);
  if (dst == INADDR_ANY)
    dst = mn_ip4(127, 0, 0, 1);
  if (mn_ipv4_is_broadcast(st, dst) || (dst >> 28) == 0xe)
    return -ENETUNREACH;
  uint32_t src;
  int rc = mn_ipv4_route_info(st, dst, &s->route, &src, NULL);
  if (rc < 0)
    return rc;
  if (!s->laddr)
    s->laddr = src;
  if (!s->lport) {
    uint16_t port = connect_port(st, tp, dst, dport);
    if (!port)
      return -EADDRNOTAVAIL;
    s->lport = port;
  } else if (mn_tcp_lookup(st, s->laddr, s->lport, dst, dport)) {
    return -EADDRNOTAVAIL;
  }
  reset_connection(tp);
  s->raddr = dst;
  s->rport = dport;
  s->so_error = 0;
  tp->done = tp->fin_rcvd = false;
  tp->rcv_shut = tp->snd_shut = false;
  init_buffers(tp);
  tp->iss = mn_tcp_isn(st, s->laddr, s->lport, dst, dport);
  tp->snd_una = tp->snd_nxt = tp->snd_max = tp->snd_sml = tp->recover = tp->iss;
  tp->ts_offset = (uint32_t)mn_siphash(st->tcp->secret, &tp->iss, sizeof(tp->iss));
  mn_tcp_setup_mss(tp);
  mn_tcp_set_state(tp, MN_TCPS_SYN_SENT);
  tp->ss = MN_SS_CONNECTING;
  mn_tcp_hash(tp);
  if (!tp->proto_ref) {
    tp->proto_ref = true;
    mynet_sock_ref(s);
  }
  st->ctr.tcp_active_opens++;
  mn_tcp_output(tp);
  return -EINPROGRESS;
}

static ssize_t tcp_sendmsg(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                           const struct sockaddr_in *to, int flags)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (tp->state == MN_TCPS_LISTEN)
    return -ENOTCONN;
  if (tp->state != MN_TCPS_ESTABLISHED && tp->state != MN_TCPS_CLOSE_WAIT) {
    /* The kernel's sk_stream_wait_connect(): an error first, then EPIPE
     * unless the handshake is still going on. */
    if (s->so_error)
      return -mn_sock_take_error(s);
    if (tp->state != MN_TCPS_SYN_SENT && tp->state != MN_TCPS_SYN_RECEIVED)
      return -EPIPE;
    return -EAGAIN;
  }
  if (s->so_error)
    return -mn_sock_take_error(s);
  if (tp->snd_shut)
    return -EPIPE;
  size_t len = mn_iov_len(iov, iovcnt);
  if (len == 0)
    return 0;
  size_t space = snd_space(tp);
  if (tp->notsent_lowat) {
    /* TCP_NOTSENT_LOWAT: Linux takes data while less than the mark is
     * unsent, a segment at a time, so it may pass the mark by less than
     * one segment. */
    uint32_t unsent = mn_tcp_unsent_bytes(tp);
    if (unsent >= tp->notsent_lowat)
      return -EAGAIN;
    size_t segs = (tp->notsent_lowat - unsent + tp->mss - 1) / tp->mss;
    space = MN_MIN(space, segs * tp->mss);
  }
  if (space == 0)
    return -EAGAIN;
  /* The send ring takes its memory with the first write; without it
   * nothing is accepted. */
  if (mn_ring_alloc(&tp->snd, &s->st->mem) < 0)
    return -ENOMEM;
  size_t n = len < space ? len : space;
  size_t done = 0;
  for (int i = 0; i < iovcnt && done < n; i++) {
    size_t take = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
    done += mn_ring_write(&tp->snd, iov[i].iov_base, take);
  }
  bool was_cork = tp->cork;
  if (flags & MSG_MORE)
    tp->cork = true;
  mn_tcp_output(tp);
  tp->cork = was_cork;
  return (ssize_t)done;
}

/* After a read, tell the peer the window has opened, as Linux's
 * tcp_cleanup_rbuf() does: only when the window it knows is down to half
 * the buffer or less and can at least double.  The new window obeys
 * receiver-side silly window avoidance, so a small read after a zero
 * window opens nothing. */
static void window_update(struct mn_tcp_sock *tp)
{
  if (!MN_TCPS_HAVE_ESTABLISHED(tp->state) || MN_TCPS_HAVE_RCVD_FIN(tp->state))
    return;
  uint32_t advertised_left = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
  if ((size_t)advertised_left * 2 > tp->rcv.cap)
    return;
  uint32_t win = mn_tcp_select_window(tp);
  if (win && win >= 2 * advertised_left) {
    tp->ack_now = true;
    mn_tcp_output(tp);
  }
}

static ssize_t tcp_recvmsg(struct mynet_sock *s, const struct iovec *iov, int iovcnt,
                           struct sockaddr_in *from, int flags, int *msg_flags)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (tp->state == MN_TCPS_LISTEN)
    return -ENOTCONN;
  size_t want = mn_iov_len(iov, iovcnt);
  if (tp->rcv.len && want) {
    size_t n = want < tp->rcv.len ? want : tp->rcv.len;
    if (!(flags & MSG_TRUNC)) {
      size_t done = 0;
      for (int i = 0; i < iovcnt && done < n; i++) {
        size_t take = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
        mn_ring_peek(&tp->rcv, done, iov[i].iov_base, take);
        done += take;
      }
    }
    if (!(flags & MSG_PEEK)) {
      mn_ring_discard(&tp->rcv, n);
      mn_tcp_apply_buffer_sizes(tp);
      window_update(tp);
      mn_sock_wake(s);
    }
    if (from)
      mynet_getpeername(s, from);
    return (ssize_t)n;
  }
  if (want == 0 && tp->rcv.len)
    return 0;
  /* As Linux's tcp_recvmsg(): a stream that ended with a FIN reads as
   * ended even if a reset came after; the error is left for writers. */
  if (tp->fin_rcvd)
    return 0;
  if (s->so_error)
    return -mn_sock_take_error(s);
  if (tp->rcv_shut || tp->done)
    return 0;
  if (tp->state == MN_TCPS_CLOSED)
    return -ENOTCONN;
  return -EAGAIN;
}

static int tcp_shutdown(struct mynet_sock *s, int how)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (tp->state == MN_TCPS_LISTEN) {
    /* The kernel stops a listener on SHUT_RD (or RDWR) and lets SHUT_WR
     * pass without effect (inet_shutdown). */
    if (how != SHUT_WR)
      mn_sock_ops_of(s)->close(s);
    return 0;
  }
  if (tp->state == MN_TCPS_SYN_SENT) {
    mn_tcp_close_final(tp);
    return 0;
  }
  if (tp->state == MN_TCPS_CLOSED) {
    /* inet_shutdown sets the flags all the same ("to wake up other
     * listeners, who can poll"): poll then shows IN|RDHUP after SHUT_RD. */
    if (how == SHUT_RD || how == SHUT_RDWR)
      tp->rcv_shut = true;
    if (how == SHUT_WR || how == SHUT_RDWR)
      tp->snd_shut = true;
    mn_sock_wake(s);
    return -ENOTCONN;
  }
  if (how == SHUT_RD || how == SHUT_RDWR)
    tp->rcv_shut = true;
  if ((how == SHUT_WR || how == SHUT_RDWR) && !tp->snd_shut) {
    tp->snd_shut = true;
    tp->fin_queued = true;
    /* In SYN-RECEIVED the FIN waits for ESTABLISHED (RFC 9293 3.10.4). */
    if (tp->state == MN_TCPS_ESTABLISHED)
      mn_tcp_set_state(tp, MN_TCPS_FIN_WAIT_1);
    else if (tp->state == MN_TCPS_CLOSE_WAIT)
      mn_tcp_set_state(tp, MN_TCPS_LAST_ACK);
    mn_tcp_output(tp);
  }
  mn_sock_wake(s);
  return 0;
}

static void close_listener(struct mn_tcp_sock *l)
{
  /* Children nobody accepted are reset, as the kernel does. */
  for (struct mynet_sock *s = l->sk.st->all_socks; s;) {
    struct mynet_sock *next = s->all_next;
    if (s->type == SOCK_STREAM && tcp_of(s)->listener == l) {
      struct mn_tcp_sock *c = tcp_of(s);
      /* A reference keeps c alive while next may point into it. */
      mn_tcp_send_rst(c);
      mn_tcp_close_final(c);
    }
    s = next;
  }
  mn_tcp_unhash(l);
  mn_tcp_set_state(l, MN_TCPS_CLOSED);
}

static void tcp_close(struct mynet_sock *s)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  switch (tp->state) {
  case MN_TCPS_CLOSED:
    return;
  case MN_TCPS_LISTEN:
    close_listener(tp);
    return;
  case MN_TCPS_SYN_SENT:
    mn_tcp_close_final(tp);
    return;
  default:
    break;
  }
  if (tp->state == MN_TCPS_TIME_WAIT)
    return;
  /* RFC 2525 2.17 and the kernel: unread data, or SO_LINGER with a zero
   * timeout, resets the connection instead of closing it gracefully. */
  if (tp->rcv.len || (s->linger_on && s->linger_sec == 0)) {
    if (tp->state != MN_TCPS_CLOSE_WAIT || tp->rcv.len || s->linger_on)
      mn_tcp_send_rst(tp);
    mn_tcp_close_final(tp);
    return;
  }
  tp->snd_shut = tp->rcv_shut = true;
  if (!tp->fin_queued) {
    tp->fin_queued = true;
    if (tp->state == MN_TCPS_ESTABLISHED) /* SYN-RECEIVED: see tcp_shutdown() */
      mn_tcp_set_state(tp, MN_TCPS_FIN_WAIT_1);
    else if (tp->state == MN_TCPS_CLOSE_WAIT)
      mn_tcp_set_state(tp, MN_TCPS_LAST_ACK);
  }
  if (tp->state == MN_TCPS_FIN_WAIT_2 && !mn_tcp_orphan_fin_wait_2(tp))
    return;
  mn_tcp_output(tp);
}

static void tcp_destroy(struct mynet_sock *s)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (tp->state == MN_TCPS_LISTEN)
    close_listener(tp);
  mn_tcp_unhash(tp);
  if (tp->state == MN_TCPS_TIME_WAIT)
    s->st->tcp->time_wait_count--;
  mn_tcp_reset_timers(tp);
  mn_timer_unreserve(&s->st->timers, MN_TCP_TIMERS);
  mn_ring_free(&tp->snd, &s->st->mem);
  mn_ring_free(&tp->rcv, &s->st->mem);
  mn_mem_free(&s->st->mem, tp);
}

static unsigned tcp_events(const struct mynet_sock *s)
{
  const struct mn_tcp_sock *tp = (const struct mn_tcp_sock *)s;
  if (tp->state == MN_TCPS_LISTEN)
    return tp->aq_head ? POLLIN | POLLRDNORM : 0;
  /* The kernel's tcp_poll(). */
  unsigned ev = 0;
  bool closed = tp->state == MN_TCPS_CLOSED;
  if ((tp->rcv_shut && tp->snd_shut) || closed)
    ev |= POLLHUP;
  if (tp->rcv_shut)
    ev |= POLLIN | POLLRDNORM | POLLRDHUP;
  if (tp->state != MN_TCPS_SYN_SENT && tp->state != MN_TCPS_SYN_RECEIVED) {
    if (tp->rcv.len >= (size_t)(s->rcvlowat > 0 ? s->rcvlowat : 1))
      ev |= POLLIN | POLLRDNORM;
    /* After SHUT_WR a write fails at once, which also counts as writable. */
    if (tp->snd_shut || closed || mn_tcp_writable(tp))
      ev |= POLLOUT | POLLWRNORM;
  }
  if (s->so_error)
    ev |= POLLERR;
  return ev;
}

/* Linux's tcp_ioctl(). */
bool mn_tcp_writable(const struct mn_tcp_sock *tp)
{
  /* A third of the buffer free, as sk_stream_wspace >= sk_stream_min_wspace,
   * and, with TCP_NOTSENT_LOWAT, less than half the mark unsent (Linux's
   * tcp_stream_memory_free() as poll applies it). */
  if (tp->snd.cap && snd_space(tp) < MN_MIN(tp->snd.cap, (size_t)tp->sk.sndbuf) / 3)
    return false;
  return !tp->notsent_lowat || 2 * (uint64_t)mn_tcp_unsent_bytes(tp) < tp->notsent_lowat;
}

static int tcp_ioctl(struct mynet_sock *s, unsigned long req, int *out)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  bool handshake = tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED;
  switch (req) {
  case SIOCATMARK:
    *out = 0; /* no urgent data is ever stored (RFC 6093) */
    return 0;
  case SIOCINQ:
  case SIOCOUTQ:
  case SIOCOUTQNSD:
    break;
  default:
    return -ENOTTY;
  }
  if (tp->state == MN_TCPS_LISTEN)
    return -EINVAL;
  if (handshake) {
    *out = 0;
    return 0;
  }
  if (req == SIOCINQ)
    *out = (int)tp->rcv.len;
  else if (req == SIOCOUTQ)
    *out = (int)mn_tcp_unacked_bytes(tp);
  else
    *out = (int)mn_tcp_unsent_bytes(tp);
  return 0;
}

const struct mn_sock_ops mn_tcp_sock_ops = {
    .bind = tcp_bind,
    .connect = tcp_connect,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .sendmsg = tcp_sendmsg,
    .recvmsg = tcp_recvmsg,
    .shutdown = tcp_shutdown,
    .setsockopt = mn_tcp_setsockopt,
    .getsockopt = mn_tcp_getsockopt,
    .events = tcp_events,
    .ioctl = tcp_ioctl,
    .close = tcp_close,
    .destroy = tcp_destroy,
};

int mn_tcp_socket(struct mynet_stack *st, struct mynet_sock **out)
{
  struct mn_tcp_sock *tp = mn_mem_zalloc(&st->mem, sizeof(*tp));
  if (!tp)
    return -ENOMEM;
  /* Its three timers are armed on input paths that cannot fail. */
  if (mn_timer_reserve(&st->timers, MN_TCP_TIMERS) < 0) {
    mn_mem_free(&st->mem, tp);
    return -ENOMEM;
  }
  mn_sock_init(&tp->sk, st, SOCK_STREAM, IPPROTO_TCP);
  tp->sk.rcvbuf = MN_TCP_RCVBUF_DEFAULT;
  tp->sk.sndbuf = MN_TCP_SNDBUF_DEFAULT;
  tp->state = MN_TCPS_CLOSED;
  tp->cc = MN_TCP_CC_CUBIC;
  tp->ack_batch = MN_TCP_ACK_BATCH_MIN;
  tp->keepidle = MN_TCP_KEEPIDLE;
  tp->keepintvl = MN_TCP_KEEPINTVL;
  tp->keepcnt = MN_TCP_KEEPCNT;
  tp->rto = MN_TCP_RTO_INIT;
  tp->peer_mss = 0;
  tp->rcv_mss = MN_TCP_DEFAULT_MSS;
  mn_seqset_clear(&tp->ofo);
  mn_seqset_clear(&tp->sacked);
  mn_seqset_clear(&tp->rexmitted);
  tp->reo_wnd_steps = 1;
  tp->reordering = MN_TCP_DUPTHRESH;
  mn_tcp_timers_init(tp);
  *out = &tp->sk;
  return 0;
}

size_t mn_tcp_send_space(const struct mynet_sock *s)
{
  const struct mn_tcp_sock *tp = (const struct mn_tcp_sock *)s;
  if ((tp->state != MN_TCPS_ESTABLISHED && tp->state != MN_TCPS_CLOSE_WAIT) || tp->snd_shut ||
      s->so_error)
    return 0;
  return mn_ring_space(&tp->snd);
}

bool mn_tcp_closing(const struct mynet_sock *s)
{
  const struct mn_tcp_sock *tp = (const struct mn_tcp_sock *)s;
  return tp->state == MN_TCPS_FIN_WAIT_1 || tp->state == MN_TCPS_CLOSING ||
         tp->state == MN_TCPS_LAST_ACK;
}
