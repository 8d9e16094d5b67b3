/* TCP output: deciding what may be sent (windows, Nagle, silly-window
 * avoidance, loss recovery) and building segments.  Data is copied from
 * the send ring at send time, so a retransmission is rebuilt the same
 * way as a first transmission. */
#include "transport/tcp_impl.h"

#include "net/ipv4.h"
#include "stack_impl.h"

#include <errno.h>
#include <string.h>

uint32_t mn_tcp_ts_now(const struct mn_tcp_sock *tp)
{
  /* A millisecond clock, as Linux's, offset per connection (RFC 7323
   * 5.4) so the value reveals nothing about the host's uptime. */
  return (uint32_t)(tp->sk.st->now / 1000) + tp->ts_offset;
}

/* The window to advertise, applying the receiver's side of silly window
 * avoidance (RFC 9293 3.8.6.2.2: the right edge moves only once it can
 * move by min(half the buffer, an MSS), a closed window included) and
 * never shrinking what was offered (RFC 7323 2.4). */
uint32_t mn_tcp_select_window(const struct mn_tcp_sock *tp)
{
  uint32_t win = mn_tcp_rcv_window(tp);
  uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
  if (win <= cur)
    return cur;
  uint32_t step = (uint32_t)MN_MIN(tp->rcv.cap / 2, (size_t)tp->adv_mss);
  if (win - cur < step)
    return cur;
  return win;
}

static void fill_sack_blocks(const struct mn_tcp_sock *tp, struct mn_tcp_opts *o)
{
  /* RFC 2018 4: the first block holds the most recently received
   * segment, the others repeat the most recently reported ones, so each
   * range is reported several times should ACKs be lost: ranges in
   * order of their last update. */
  const struct mn_seqset *s = &tp->ofo;
  int max = tp->ts_ok ? 3 : 4;
  uint32_t below = UINT32_MAX;
  o->nsack = 0;
  if (tp->dsack) {
    /* RFC 2883 4: a D-SACK block comes first, once. */
    o->sack[0].left = tp->dsack_start;
    o->sack[0].right = tp->dsack_end;
    o->nsack = 1;
  }
  while (o->nsack < max) {
    int best = -1;
    for (int i = 0; i < s->n; i++)
      if (s->r[i].stamp < below && (best < 0 || s->r[i].stamp > s->r[best].stamp))
        best = i;
    if (best < 0)
      break;
    o->sack[o->nsack].left = s->r[best].start;
    o->sack[o->nsack].right = s->r[best].end;
    o->nsack++;
    below = s->r[best].stamp;
  }
}

int mn_tcp_send_segment(struct mn_tcp_sock *tp, uint32_t seq, uint8_t flags, uint32_t len)
{
  struct mynet_sock *s = &tp->sk;
  struct mynet_stack *st = s->st;
  struct mn_tcp_hdr h = {.sport = s->lport, .dport = s->rport, .seq = seq, .flags = flags};
  struct mn_tcp_opts *o = &h.opt;
  bool syn = flags & MN_TCP_SYN;
  if (syn) {
    o->mss_set = true;
    o->mss = tp->adv_mss;
    /* An active open offers everything; a passive one answers only what
     * the peer offered (RFC 7323 2.2, 3.2; RFC 2018 2). */
    bool active = tp->state == MN_TCPS_SYN_SENT;
    if (active || tp->ws_ok) {
      o->ws_set = true;
      o->wscale = tp->rcv_wscale;
    }
    if (active || tp->sack_ok)
      o->sack_ok = true;
    if (active || tp->ts_ok) {
      o->ts_set = true;
      o->tsval = mn_tcp_ts_now(tp);
      o->tsecr = tp->ts_recent;
    }
  } else {
    if (tp->ts_ok) {
      o->ts_set = true;
      o->tsval = mn_tcp_ts_now(tp);
      o->tsecr = tp->ts_recent;
    }
    if (tp->sack_ok && (tp->ofo.n || tp->dsack) && (flags & MN_TCP_ACK))
      fill_sack_blocks(tp, o);
  }
  uint32_t seqlen = len + (syn ? 1 : 0) + ((flags & MN_TCP_FIN) ? 1 : 0);
  size_t hlen = MN_TCP_HDR_LEN + mn_tcp_opts_len(o);
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, hlen + len);
  if (!p) {
    /* No buffer: the segment is lost before it leaves, and recovered
     * like any lost segment.  Its sequence space still counts as sent,
     * so the caller's snd_nxt never runs ahead of snd_max. */
    st->ctr.tcp_out_nobufs++;
    if (seqlen && SEQ_GT(seq + seqlen, tp->snd_max))
      tp->snd_max = seq + seqlen;
    if (seqlen && !tp->first_unacked_at)
      tp->first_unacked_at = st->now;
    return -ENOBUFS;
  }
  if (o->nsack)
    tp->dsack = false; /* reported once (RFC 2883 4) */
  if (len)
    mn_ring_peek(&tp->snd, seq - tp->snd_una, p->data + hlen, len);
  uint32_t win = mn_tcp_select_window(tp);
  if (flags & MN_TCP_ACK)
    h.ack = tp->rcv_nxt;
  if (syn) {
    /* The window in a SYN is never scaled (RFC 7323 2.2). */
    h.win = (uint16_t)(win > 65535 ? 65535 : win);
    tp->rcv_adv = tp->rcv_nxt + h.win;
  } else if (!(flags & MN_TCP_RST)) {
    uint32_t scaled = win >> tp->rcv_wscale;
    if (scaled > 65535)
      scaled = 65535;
    h.win = (uint16_t)scaled;
    uint32_t edge = tp->rcv_nxt + (scaled << tp->rcv_wscale);
    if (SEQ_GT(edge, tp->rcv_adv) || tp->rcv_adv == 0)
      tp->rcv_adv = edge;
  }
  mn_tcp_emit(&h, p->data, len, s->laddr, s->raddr);

  if (flags & MN_TCP_ACK) {
    if (tp->quick && tp->rcv_nxt != tp->last_ack_sent)
      tp->quick--; /* quick-ACK mode ends after so many ACKs of new data */
    tp->ack_now = false;
    tp->unacked_segs = 0;
    tp->last_ack_sent = tp->rcv_nxt;
    mn_timer_cancel(&st->timers, &tp->t_delack);
  }
  st->ctr.tcp_out_segs++;
  /* A listener's child counts from the handshake on, as Linux's does:
   * its SYN-ACKs belong to the connection request. */
  if (!(syn && tp->listener))
    tp->stats.segs_out++;
  if (len) {
    tp->stats.data_segs_out++;
    tp->stats.bytes_sent += len;
    tp->stats.last_data_sent = st->now;
  }
  if (seqlen && SEQ_LT(seq, tp->snd_max)) {
    st->ctr.tcp_retrans_segs++;
    tp->stats.total_retrans++;
    tp->stats.bytes_retrans += len;
    if (tp->in_recovery && len) {
      tp->undo_retrans++;
      mn_seqset_add(&tp->rexmitted, seq, seq + len);
    }
  }
  if (flags & MN_TCP_RST)
    st->ctr.tcp_out_rsts++;
  /* Karn's algorithm: without timestamps, time only segments sent for
   * the first time (RFC 6298 3). */
  if (!tp->ts_ok && !tp->rtt_timing && seqlen && seq == tp->snd_max) {
    tp->rtt_timing = true;
    tp->rtt_seq = seq;
    tp->rtt_start = st->now;
  }
  if (seqlen && SEQ_GT(seq + seqlen, tp->snd_max))
    tp->snd_max = seq + seqlen;
  if (seqlen && !tp->first_unacked_at)
    tp->first_unacked_at = st->now;
  struct mn_ip_tx tx = {.sel = &s->route,
                        .src = s->laddr,
                        .dst = s->raddr,
                        .proto = MN_IPPROTO_TCP,
                        .ttl = s->ttl,
                        .tos = s->tos,
                        .df = true};
  int rc = mn_ipv4_output(st, p, &tx);
  /* A frame the device could not take is just a lost segment: the
   * retransmission timer recovers it. */
  return rc == -ENETUNREACH ? rc : 0;
}

void mn_tcp_send_ack(struct mn_tcp_sock *tp)
{
  mn_tcp_send_segment(tp, tp->snd_nxt, MN_TCP_ACK, 0);
}

void mn_tcp_send_rst(struct mn_tcp_sock *tp)
{
  uint8_t flags = MN_TCP_RST;
  if (tp->state != MN_TCPS_SYN_SENT)
    flags |= MN_TCP_ACK;
  mn_tcp_send_segment(tp, tp->snd_nxt, flags, 0);
}

void mn_tcp_send_rst_for(struct mynet_stack *st, const struct mn_ipv4_hdr *ip,
                         const struct mn_tcp_hdr *th, uint32_t seglen)
{
  if (th->flags & MN_TCP_RST)
    return;
  if (mn_ipv4_is_broadcast(st, ip->dst) || (ip->dst >> 28) == 0xe)
    return;
  struct mn_tcp_hdr h = {.sport = th->dport, .dport = th->sport};
  /* RFC 9293 3.10.7.1: take the sequence number from the ACK field if
   * there is one, else acknowledge everything the segment occupied. */
  if (th->flags & MN_TCP_ACK) {
    h.seq = th->ack;
    h.flags = MN_TCP_RST;
  } else {
    h.seq = 0;
    h.ack = th->seq + seglen;
    h.flags = MN_TCP_RST | MN_TCP_ACK;
  }
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, MN_TCP_HDR_LEN);
  if (!p)
    return;
  mn_tcp_emit(&h, p->data, 0, ip->dst, ip->src);
  st->ctr.tcp_out_segs++;
  st->ctr.tcp_out_rsts++;
  struct mn_ip_tx tx = {.src = ip->dst, .dst = ip->src, .proto = MN_IPPROTO_TCP, .df = true};
  mn_ipv4_output(st, p, &tx);
}

void mn_tcp_send_challenge_ack(struct mn_tcp_sock *tp)
{
  /* RFC 5961 7: a global budget per second so that an attacker cannot
   * use us to amplify. */
  struct mynet_stack *st = tp->sk.st;
  struct mn_tcp_table *ts = st->tcp;
  mynet_time second = st->now / MYNET_SEC(1);
  if (second != ts->challenge_second) {
    ts->challenge_second = second;
    ts->challenge_tokens = MN_TCP_CHALLENGE_ACK_PER_SEC;
  }
  if (ts->challenge_tokens <= 0)
    return;
  ts->challenge_tokens--;
  st->ctr.tcp_challenge_acks++;
  mn_tcp_send_ack(tp);
}

/* RFC 6675 IsLost() for a hole ending at `end`: enough data above it has
 * been SACKed that it cannot merely be reordered. */
static bool hole_lost(const struct mn_tcp_sock *tp, uint32_t end)
{
  int ranges_above = 0;
  for (int i = 0; i < tp->sacked.n; i++)
    if (SEQ_GEQ(tp->sacked.r[i].start, end))
      ranges_above++;
  return ranges_above >= MN_TCP_DUPTHRESH ||
         mn_seqset_bytes_above(&tp->sacked, end) > (uint32_t)(MN_TCP_DUPTHRESH - 1) * tp->mss;
}

/* Walk the holes (unSACKed ranges) of [snd_una, snd_max). */
#define FOR_EACH_HOLE(tp, a, b, i)                                                                 \
  for (int i = 0, _done = 0; !_done; i++)                                                          \
    for (uint32_t a = i == 0 ? (tp)->snd_una : (tp)->sacked.r[i - 1].end,                          \
                  b = i < (tp)->sacked.n ? (tp)->sacked.r[i].start : (tp)->snd_max,                \
                  _once = (_done = i >= (tp)->sacked.n, 1);                                        \
         _once; _once = 0)

/* RFC 6675 4: the data believed to be in the network. */
static uint32_t pipe_bytes(const struct mn_tcp_sock *tp)
{
  uint32_t pipe = 0;
  FOR_EACH_HOLE(tp, a, b, i)
  {
    if (!SEQ_LT(a, b))
      continue;
    if (SEQ_LT(a, tp->snd_una))
      a = tp->snd_una;
    bool lost = i < tp->sacked.n && hole_lost(tp, b);
    if (!lost)
      pipe += b - a;
    if (SEQ_LT(a, tp->high_rxt))
      pipe += SEQ_MIN(b, tp->high_rxt) - a;
  }
  return pipe;
}

/* Bytes of [from, to) the receiver has not SACKed. */
static uint32_t unsacked(const struct mn_tcp_sock *tp, uint32_t from, uint32_t to)
{
  if (!SEQ_LT(from, to))
    return 0;
  uint32_t sacked =
      mn_seqset_bytes_above(&tp->sacked, from) - mn_seqset_bytes_above(&tp->sacked, to);
  return to - from - sacked;
}

void mn_tcp_scoreboard(const struct mn_tcp_sock *tp, uint32_t *lost, uint32_t *retrans)
{
  *lost = *retrans = 0;
  if (tp->after_rto) {
    /* Linux's Loss state: what was outstanding at the timeout and not
     * SACKed is lost; what has gone out again since is retransmitted. */
    *lost = unsacked(tp, tp->snd_una, tp->recover);
    uint32_t resent = SEQ_MAX(SEQ_MIN(tp->snd_nxt, tp->recover), tp->high_rxt);
    *retrans = unsacked(tp, tp->snd_una, resent);
  } else if (tp->in_recovery && tp->sack_ok) {
    FOR_EACH_HOLE(tp, a, b, i)
    {
      if (i < tp->sacked.n && SEQ_LT(a, b) && hole_lost(tp, b))
        *lost += b - SEQ_MAX(a, tp->snd_una);
    }
    *retrans = unsacked(tp, tp->snd_una, tp->high_rxt);
  } else if (tp->in_recovery) {
    /* NewReno: the segment at snd_una, resent on entering recovery. */
    *lost = *retrans = MN_MIN((uint32_t)tp->mss, tp->snd_max - tp->snd_una);
  }
}

void mn_tcp_retransmit_lost(struct mn_tcp_sock *tp)
{
  /* RFC 6675 5 step (C): while the window has room, send NextSeg(),
   * retransmitting lost holes first. */
  for (int guard = 0; guard < 1000; guard++) {
    uint32_t pipe = pipe_bytes(tp);
    if (tp->cwnd < pipe + tp->mss)
      return;
    bool sent = false;
    FOR_EACH_HOLE(tp, a, b, i)
    {
      if (sent || i >= tp->sacked.n || !hole_lost(tp, b))
        continue;
      uint32_t from = SEQ_MAX(a, tp->high_rxt);
      from = SEQ_MAX(from, tp->snd_una);
      if (!SEQ_LT(from, b))
        continue;
      uint32_t len = MN_MIN(b - from, (uint32_t)tp->mss);
      /* Never past the data we have (a hole may end at our FIN). */
      uint32_t data_end = tp->snd_una + (uint32_t)tp->snd.len;
      if (SEQ_GT(from + len, data_end))
        len = SEQ_GT(data_end, from) ? data_end - from : 0;
      if (len == 0)
        continue;
      mn_tcp_send_segment(tp, from, MN_TCP_ACK, len);
      tp->high_rxt = from + len;
      tp->rxt_fence = tp->snd_max;
      sent = true;
    }
    if (!sent)
      return;
  }
}

static void send_data(struct mn_tcp_sock *tp);

void mn_tcp_output(struct mn_tcp_sock *tp)
{
  if (tp->state == MN_TCPS_CLOSED || tp->state == MN_TCPS_LISTEN)
    return;
  bool writable = mn_tcp_writable(tp);
  send_data(tp);
  /* Sending can make room under TCP_NOTSENT_LOWAT without an ACK. */
  if (!writable && mn_tcp_writable(tp))
    mn_sock_wake(&tp->sk);
}

static void send_data(struct mn_tcp_sock *tp)
{
  if (tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED) {
    if (tp->snd_nxt == tp->iss) {
      uint8_t flags = MN_TCP_SYN | (tp->state == MN_TCPS_SYN_RECEIVED ? MN_TCP_ACK : 0);
      mn_tcp_send_segment(tp, tp->iss, flags, 0);
      tp->snd_nxt = tp->iss + 1;
      mn_tcp_arm_rexmt(tp);
    } else if (tp->ack_now && tp->state == MN_TCPS_SYN_RECEIVED) {
      mn_tcp_send_ack(tp);
    }
    return;
  }
  if (tp->in_recovery && tp->sack_ok)
    mn_tcp_retransmit_lost(tp);

  for (int guard = 0; guard < 100000; guard++) {
    /* Going back after a timeout, skip what the receiver SACKed. */
    if (SEQ_LT(tp->snd_nxt, tp->snd_max))
      tp->snd_nxt = SEQ_MIN(mn_seqset_skip(&tp->sacked, tp->snd_nxt), tp->snd_max);
    uint32_t off = tp->snd_nxt - tp->snd_una;
    uint32_t queued = (uint32_t)tp->snd.len;
    uint32_t avail = queued > off ? queued - off : 0;
    uint32_t flight = tp->in_recovery && tp->sack_ok ? pipe_bytes(tp) : tp->snd_nxt - tp->snd_una;
    /* RFC 3042 limited transmit: each of the first two duplicate ACKs
     * lets one new segment out beyond cwnd, so a small window still
     * produces the three duplicates fast retransmit needs; not while a
     * timeout's retransmissions are still being acknowledged, when the
     * duplicates mean nothing (as Linux, outside its Loss state). */
    uint32_t cwnd = tp->cwnd;
    if (!tp->in_recovery && tp->dupacks > 0 && tp->dupacks < MN_TCP_DUPTHRESH &&
        SEQ_GEQ(tp->snd_una, tp->recover))
      cwnd += (uint32_t)tp->dupacks * tp->mss;
    uint32_t usable;
    uint32_t rwnd_room = tp->snd_wnd > off ? tp->snd_wnd - off : 0;
    if (tp->in_recovery && tp->sack_ok) {
      usable = MN_MIN(tp->cwnd > flight ? tp->cwnd - flight : 0, rwnd_room);
    } else {
      /* Going back after a timeout, what the receiver SACKed below
       * snd_nxt was skipped, not sent: it does not fill the window. */
      uint32_t skipped = tp->after_rto ? mn_seqset_bytes(&tp->sacked) -
                                             mn_seqset_bytes_above(&tp->sacked, tp->snd_nxt)
                                       : 0;
      uint32_t in_cwnd = off > skipped ? off - skipped : 0;
      usable = MN_MIN(cwnd > in_cwnd ? cwnd - in_cwnd : 0, rwnd_room);
    }
    uint32_t len = MN_MIN(MN_MIN(avail, usable), (uint32_t)tp->mss);
    /* Our FIN sits right after the last queued byte until it is
     * acknowledged; after that snd_una has moved past it. */
    uint32_t fin_seq = tp->snd_una + queued;
    bool fin_unsent =
        tp->fin_queued && !MN_TCPS_FIN_ACKED(tp->state) && SEQ_LEQ(tp->snd_nxt, fin_seq);
    bool retransmitting = SEQ_LT(tp->snd_nxt, tp->snd_max);
    bool send = false;
    if (len == tp->mss) {
      send = true;
    } else if (len && retransmitting) {
      send = true; /* Nagle and corking hold back new data only */
    } else if (len && len == avail) {
      /* Nagle (RFC 1122 4.2.3.4) in Minshall's form, as Linux applies
       * it: a small segment waits only while an earlier small segment is
       * unacknowledged, so the tail of a large write is not held back;
       * TCP_NODELAY sends at once; corking holds it, except that closing
       * flushes everything. */
      bool small_out = SEQ_GT(tp->snd_sml, tp->snd_una) && SEQ_LEQ(tp->snd_sml, tp->snd_nxt);
      send = fin_unsent || (!tp->cork && (tp->nodelay || !small_out));
    } else if (len && tp->max_sndwnd && len >= tp->max_sndwnd / 2) {
      send = true; /* RFC 9293 3.8.6.2.1: a usable share of the largest window */
    }
    /* The FIN follows the last byte of data once the window admits one
     * more sequence number (a zero window is probed by the persist timer). */
    bool fin = fin_unsent && tp->snd_nxt + len == fin_seq && (len == 0 || send) && usable > len;
    if (!send && !fin && !tp->ack_now)
      break;
    uint8_t flags = MN_TCP_ACK;
    if (fin)
      flags |= MN_TCP_FIN;
    if (len && len == avail)
      flags |= MN_TCP_PSH;
    if (!send)
      len = 0;
    mn_tcp_send_segment(tp, tp->snd_nxt, flags, len);
    if (len && len < tp->mss && !retransmitting)
      tp->snd_sml = tp->snd_nxt + len;
    tp->snd_nxt += len + (fin ? 1 : 0);
    if (len || fin) {
      /* RFC 8985 7.2: new data restarts a pending loss probe. */
      if (!mn_timer_armed(&tp->t_rexmt) || tp->persist || tp->tlp)
        mn_tcp_arm_rexmt(tp);
    } else {
      break; /* a pure ACK: nothing more to say */
    }
  }
  /* Data (or our FIN) waits with nothing in flight to bring an ACK back:
   * behind a zero or too small window (RFC 9293 3.8.6.1, 3.8.6.2.1), or
   * corked.  The persist timer makes sure it goes, as Linux's
   * tcp_check_probe_timer() does; this is also what bounds how long
   * TCP_CORK holds data. */
  if (mn_tcp_unsent(tp) && tp->snd_max == tp->snd_una && !mn_timer_armed(&tp->t_rexmt))
    mn_tcp_arm_persist(tp);
}

uint32_t mn_tcp_unacked_bytes(const struct mn_tcp_sock *tp)
{
  bool fin = tp->fin_queued && !MN_TCPS_FIN_ACKED(tp->state) && tp->state != MN_TCPS_CLOSED;
  return (uint32_t)tp->snd.len + (fin ? 1 : 0);
}

uint32_t mn_tcp_unsent_bytes(const struct mn_tcp_sock *tp)
{
  uint32_t queued = mn_tcp_unacked_bytes(tp);
  return queued - MN_MIN(tp->snd_nxt - tp->snd_una, queued);
}

bool mn_tcp_unsent(const struct mn_tcp_sock *tp)
{
  uint32_t off = tp->snd_nxt - tp->snd_una;
  return tp->snd.len > off ||
         (tp->fin_queued && !MN_TCPS_FIN_ACKED(tp->state) && off <= tp->snd.len);
}

void mn_tcp_send_probe(struct mn_tcp_sock *tp)
{
  /* Linux's tcp_write_wakeup(): if the window has room, the next segment
   * goes whatever Nagle, corking or silly window avoidance say; if it has
   * none, a zero-window probe: an old sequence number the receiver must
   * answer with an ACK that carries its window (RFC 9293 3.8.6.1). */
  uint32_t off = tp->snd_nxt - tp->snd_una;
  uint32_t room = tp->snd_wnd > off ? tp->snd_wnd - off : 0;
  uint32_t avail = tp->snd.len > off ? (uint32_t)tp->snd.len - off : 0;
  uint32_t len = MN_MIN(MN_MIN(room, avail), (uint32_t)tp->mss);
  if (len == 0) {
    mn_tcp_send_segment(tp, tp->snd_una - 1, MN_TCP_ACK, 0);
    return;
  }
  mn_tcp_send_segment(tp, tp->snd_nxt, MN_TCP_ACK | (len == avail ? MN_TCP_PSH : 0), len);
  if (len < tp->mss)
    tp->snd_sml = tp->snd_nxt + len;
  tp->snd_nxt += len;
  mn_tcp_arm_rexmt(tp);
  mn_tcp_output(tp); /* the FIN, if it may follow */
}
