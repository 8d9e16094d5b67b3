/* TCP input: RFC 9293 3.10.7 "SEGMENT ARRIVES", step by step, with the
 * RFC 5961 and RFC 7323 checks in the places those documents put them.
 * Every rejected segment is counted and dropped; none is an error. */
#include "transport/tcp_impl.h"

#include "net/ipv4.h"
#include "stack_impl.h"

#include <errno.h>
#include <string.h>

/* What one arriving segment is, parsed once. */
struct seg {
  const struct mn_ipv4_hdr *ip;
  struct mn_tcp_hdr th;
  const uint8_t *data;
  uint32_t len;    /* payload bytes */
  uint32_t seglen; /* len + SYN + FIN */
};

static void take_options_from_syn(struct mn_tcp_sock *tp, const struct seg *sg)
{
  const struct mn_tcp_opts *o = &sg->th.opt;
  tp->peer_mss = o->mss_set && o->mss ? o->mss : MN_TCP_DEFAULT_MSS;
  tp->ws_ok = o->ws_set;
  tp->snd_wscale = o->ws_set ? o->wscale : 0;
  tp->sack_ok = o->sack_ok;
  tp->ts_ok = o->ts_set;
  if (o->ts_set)
    tp->ts_recent = o->tsval;
}

/* Take an RTT sample from an ACK of new data if it yields one; returns
 * whether it did.  Only a valid sample ends the exponential backoff of
 * the RTO (RFC 6298 5.7 and Karn's algorithm; Linux does the same). */
static bool rtt_from_ack(struct mn_tcp_sock *tp, const struct seg *sg)
{
  struct mynet_stack *st = tp->sk.st;
  bool sampled = false;
  if (tp->ts_ok && sg->th.opt.ts_set && sg->th.opt.tsecr) {
    /* RFC 7323 4.1: every ACK with an echoed timestamp is a sample. */
    uint32_t ms = mn_tcp_ts_now(tp) - sg->th.opt.tsecr;
    if (ms < 60000) {
      mn_tcp_rtt_sample(tp, MYNET_MS(ms) > 0 ? MYNET_MS(ms) : 500);
      sampled = true;
    }
  } else if (tp->rtt_timing && SEQ_GT(sg->th.ack, tp->rtt_seq)) {
    tp->rtt_timing = false;
    mn_tcp_rtt_sample(tp, st->now - tp->rtt_start);
    sampled = true;
  }
  if (sampled)
    tp->backoff = 0;
  return sampled;
}

/* The handshake is complete: the SYN timers start afresh.  RFC 6298 5.7:
 * if the SYN or SYN-ACK had to be retransmitted and no RTT sample came of
 * it, the RTO starts at 3 s rather than 1 s, as on Linux. */
static void handshake_timers_done(struct mn_tcp_sock *tp)
{
  if (tp->rexmt_count && !tp->srtt)
    tp->rto = MN_TCP_RTO_FALLBACK;
  tp->backoff = 0;
  mn_tcp_rto_recovered(tp);
  tp->first_unacked_at = 0;
  mn_tcp_cancel_rexmt(tp);
}

/* In-order sequence space received: data, or the peer's FIN. */
static void rcv_advance(struct mn_tcp_sock *tp, uint32_t n)
{
  tp->rcv_nxt += n;
  tp->stats.bytes_received += n;
}

/* ---- LISTEN (3.10.7.2) ---- */

static void listen_input(struct mn_tcp_sock *l, const struct seg *sg)
{
  struct mynet_stack *st = l->sk.st;
  const struct mn_tcp_hdr *th = &sg->th;
  if (th->flags & MN_TCP_RST)
    return;
  if (th->flags & MN_TCP_ACK) {
    mn_tcp_send_rst_for(st, sg->ip, th, sg->seglen);
    return;
  }
  if (!(th->flags & MN_TCP_SYN))
    return;
  /* The kernel's limits: the accept queue holds backlog + 1, the SYN
   * queue a little more.  No SYN cookies: a full queue drops the SYN
   * and the client retries. */
  int syn_max = l->backlog * 2 > 16 ? l->backlog * 2 : 16;
  if (l->aq_len > l->backlog || l->syn_len >= syn_max) {
    st->ctr.tcp_listen_drops++;
    return;
  }
  struct mn_tcp_sock *tp = mn_tcp_new_child(l);
  if (!tp) {
    st->ctr.tcp_listen_drops++;
    return;
  }
  tp->sk.laddr = sg->ip->dst;
  tp->sk.lport = th->dport;
  tp->sk.raddr = sg->ip->src;
  tp->sk.rport = th->sport;
  tp->irs = th->seq;
  tp->rcv_nxt = th->seq + 1;
  tp->stats.segs_in = 1; /* the SYN, as Linux's child counts it */
  take_options_from_syn(tp, sg);
  if (!tp->ws_ok)
    tp->rcv_wscale = 0;
  tp->snd_wnd = th->win; /* never scaled in a SYN */
  tp->max_sndwnd = tp->snd_wnd;
  tp->snd_wl1 = th->seq;
  tp->iss = mn_tcp_isn(st, tp->sk.laddr, tp->sk.lport, tp->sk.raddr, tp->sk.rport);
  tp->snd_una = tp->snd_nxt = tp->snd_max = tp->snd_sml = tp->recover = tp->iss;
  tp->snd_wl2 = tp->iss;
  tp->ts_offset = (uint32_t)(tp->iss * 2654435761u);
  tp->last_rcv = st->now;
  mn_tcp_setup_mss(tp);
  mn_tcp_set_state(tp, MN_TCPS_SYN_RECEIVED);
  mn_tcp_hash(tp);
  st->ctr.tcp_passive_opens++;
  mn_tcp_output(tp);
}

/* ---- SYN-SENT (3.10.7.3) ---- */

static void syn_sent_input(struct mn_tcp_sock *tp, const struct seg *sg)
{
  struct mynet_stack *st = tp->sk.st;
  const struct mn_tcp_hdr *th = &sg->th;
  bool ack_ok = false;
  if (th->flags & MN_TCP_ACK) {
    if (SEQ_LEQ(th->ack, tp->iss) || SEQ_GT(th->ack, tp->snd_max)) {
      if (!(th->flags & MN_TCP_RST))
        mn_tcp_send_rst_for(st, sg->ip, th, sg->seglen);
      return;
    }
    ack_ok = true;
  }
  if (th->flags & MN_TCP_RST) {
    /* RFC 5961 3.2: in SYN-SENT a reset counts only with an acceptable ACK. */
    if (ack_ok) {
      st->ctr.tcp_attempt_fails++;
      mn_tcp_drop(tp, ECONNREFUSED);
    }
    return;
  }
  if (!(th->flags & MN_TCP_SYN))
    return;
  tp->irs = th->seq;
  tp->rcv_nxt = th->seq + 1;
  /* Our SYN advertised its window before RCV.NXT was known: the right
   * edge starts over from the peer's ISN. */
  tp->rcv_adv = tp->rcv_nxt;
  take_options_from_syn(tp, sg);
  if (!tp->ws_ok)
    tp->rcv_wscale = 0;
  tp->last_rcv = st->now;
  if (ack_ok) {
    tp->stats.bytes_acked += th->ack - tp->snd_una; /* our SYN, as Linux counts it */
    tp->snd_una = th->ack;
    tp->snd_wnd = th->win; /* unscaled in a SYN-ACK (RFC 7323 2.2) */
    tp->max_sndwnd = tp->snd_wnd;
    tp->snd_wl1 = th->seq;
    tp->snd_wl2 = th->ack;
    rtt_from_ack(tp, sg);
    handshake_timers_done(tp);
    mn_tcp_enter_established(tp);
    tp->ack_now = true;
    mn_tcp_output(tp);
    return;
  }
  /* Simultaneous open (RFC 9293 3.5, figure 7). */
  tp->snd_wnd = th->win;
  tp->max_sndwnd = tp->snd_wnd;
  tp->snd_wl1 = th->seq;
  mn_tcp_set_state(tp, MN_TCPS_SYN_RECEIVED);
  tp->snd_nxt = tp->iss;
  mn_tcp_output(tp);
}

/* ---- synchronized states ---- */

static bool seq_acceptable(const struct mn_tcp_sock *tp, const struct seg *sg)
{
  uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
  uint32_t seq = sg->th.seq;
  if (sg->seglen == 0) {
    if (wnd == 0)
      return seq == tp->rcv_nxt;
    return SEQ_GEQ(seq, tp->rcv_nxt) && SEQ_LT(seq, tp->rcv_nxt + wnd);
  }
  /* RFC 9293 3.10.7.4: with a zero window, a segment at rcv_nxt still
   * carries a valid ACK (and RST, URG); only its data cannot be taken. */
  if (wnd == 0)
    return seq == tp->rcv_nxt;
  uint32_t last = seq + sg->seglen - 1;
  return (SEQ_GEQ(seq, tp->rcv_nxt) && SEQ_LT(seq, tp->rcv_nxt + wnd)) ||
         (SEQ_GEQ(last, tp->rcv_nxt) && SEQ_LT(last, tp->rcv_nxt + wnd));
}

static void process_fin(struct mn_tcp_sock *tp)
{
  rcv_advance(tp, 1);
  tp->rcv_shut = true;
  tp->fin_rcvd = true;
  tp->ack_now = true;
  switch (tp->state) {
  case MN_TCPS_SYN_RECEIVED:
  case MN_TCPS_ESTABLISHED:
    mn_tcp_set_state(tp, MN_TCPS_CLOSE_WAIT);
    break;
  case MN_TCPS_FIN_WAIT_1:
    mn_tcp_set_state(tp, MN_TCPS_CLOSING);
    break;
  case MN_TCPS_FIN_WAIT_2:
    mn_tcp_send_ack(tp);
    mn_tcp_enter_time_wait(tp);
    break;
  default:
    break;
  }
  mn_sock_data_ready(&tp->sk);
}

/* Move out-of-order data that the new rcv_nxt reaches into the in-order
 * part of the ring. */
static void pull_ofo(struct mn_tcp_sock *tp)
{
  while (tp->ofo.n && SEQ_LEQ(tp->ofo.r[0].start, tp->rcv_nxt)) {
    uint32_t end = tp->ofo.r[0].end;
    if (SEQ_GT(end, tp->rcv_nxt)) {
      mn_ring_commit(&tp->rcv, end - tp->rcv_nxt);
      rcv_advance(tp, end - tp->rcv_nxt);
    }
    mn_seqset_trim(&tp->ofo, tp->rcv_nxt);
    /* RFC 5681 4.2: ACK at once when a segment fills a hole. */
    tp->ack_now = true;
  }
}

/* An ACK that is due but not urgent: sent at once, or at the end of the
 * batch of frames being received (mn_tcp_flush_acks). */
static void defer_ack(struct mn_tcp_sock *tp)
{
  struct mynet_stack *st = tp->sk.st;
  if (!st->rx_batch) {
    tp->ack_now = true;
    return;
  }
  if (tp->ack_deferred)
    return;
  tp->ack_deferred = true;
  mynet_sock_ref(&tp->sk); /* the list's: the connection may end before the flush */
  tp->ack_next = st->tcp->deferred_acks;
  st->tcp->deferred_acks = tp;
}

void mn_tcp_flush_acks(struct mynet_stack *st)
{
  struct mn_tcp_sock *tp;
  while ((tp = st->tcp->deferred_acks)) {
    st->tcp->deferred_acks = tp->ack_next;
    tp->ack_next = NULL;
    tp->ack_deferred = false;
    /* Still owed unless something sent since (data, another ACK). */
    if (tp->rcv_nxt != tp->last_ack_sent && tp->state >= MN_TCPS_ESTABLISHED &&
        tp->state != MN_TCPS_TIME_WAIT) {
      tp->ack_now = true;
      mn_tcp_output(tp);
      if (tp->ack_now)
        mn_tcp_send_ack(tp);
    }
    mynet_sock_unref(&tp->sk);
  }
}

/* Queue data that lies in the window; returns whether all of it was
 * kept. */
static bool data_input(struct mn_tcp_sock *tp, uint32_t seq, const uint8_t *data, uint32_t len)
{
  struct mynet_stack *st = tp->sk.st;
  /* The receive ring takes its memory when the first data arrives.  If
   * it cannot, the segment is dropped as if the network had lost it:
   * nothing is acknowledged that was not stored, and the sender's
   * retransmission brings it back once memory returns (Linux drops the
   * same way under receive memory pressure, counted as TCPRcvQDrop). */
  if (mn_ring_alloc(&tp->rcv, &st->mem) < 0) {
    st->ctr.tcp_rcvq_drops++;
    return false;
  }
  tp->stats.last_data_recv = st->now;
  size_t space = tp->rcv.cap - tp->rcv.len;
  if (seq == tp->rcv_nxt) {
    uint32_t n = len < space ? len : (uint32_t)space;
    mn_ring_write(&tp->rcv, data, n);
    rcv_advance(tp, n);
    bool had_ofo = tp->ofo.n > 0;
    pull_ofo(tp);
    if (had_ofo)
      tp->ack_now = true;
    /* RFC 9293 3.8.6.3, RFC 5681 4.2: ACK at least every second
     * full-sized segment, that is as soon as more than one full-sized
     * segment is unacknowledged, full-sized meaning the largest the peer
     * has sent (Linux's rcv_mss); less waits for the delayed-ACK timer. */
    if (n > tp->rcv_mss)
      tp->rcv_mss = (uint16_t)MN_MIN(n, (uint32_t)tp->adv_mss);
    if (st->rx_batch) {
      if (tp->batch_epoch != st->rx_epoch) {
        tp->batch_epoch = st->rx_epoch;
        tp->batch_rcvd = 0;
      }
      tp->batch_rcvd += n;
      /* A batch this long, in order: the window is wide, ACK less often. */
      if (!tp->ofo.n && tp->ack_batch < MN_TCP_ACK_BATCH_MAX &&
          tp->batch_rcvd >= 4u * tp->ack_batch * tp->rcv_mss)
        tp->ack_batch *= 2;
    }
    tp->unacked_segs++;
    if (tp->quick)
      tp->ack_now = true;
    else if (tp->rcv_nxt - tp->last_ack_sent >= (uint32_t)tp->ack_batch * tp->rcv_mss)
      tp->ack_now = true;
    else if (tp->rcv_nxt - tp->last_ack_sent > tp->rcv_mss)
      defer_ack(tp);
    mn_sock_data_ready(&tp->sk);
    return n == len;
  }
  /* Out of order: keep it at its offset and ACK at once (a duplicate ACK
   * with SACK blocks, RFC 5681 4.2, RFC 2018 4); the path loses or
   * reorders, so go back to an ACK every second segment. */
  tp->ack_batch = MN_TCP_ACK_BATCH_MIN;
  uint32_t off = seq - tp->rcv_nxt;
  if (off >= space) {
    tp->ack_now = true;
    return false;
  }
  uint32_t n = len < space - off ? len : (uint32_t)(space - off);
  /* Written before it is recorded: a range in the set is data we hold. */
  bool kept = mn_ring_write_at(&tp->rcv, tp->rcv.len + off, data, n) &&
              mn_seqset_add(&tp->ofo, seq, seq + n);
  if (kept) {
    st->ctr.tcp_ofo_queued++;
    tp->stats.rcv_ooopack++;
  }
  tp->ack_now = true;
  return kept && n == len;
}

/* RFC 5681 2: a duplicate ACK. */
static bool is_dupack(const struct mn_tcp_sock *tp, const struct seg *sg, uint32_t new_wnd)
{
  return sg->th.ack == tp->snd_una && sg->len == 0 && !(sg->th.flags & (MN_TCP_SYN | MN_TCP_FIN)) &&
         new_wnd == tp->snd_wnd && tp->snd_max != tp->snd_una;
}

static void enter_recovery(struct mn_tcp_sock *tp)
{
  struct mynet_stack *st = tp->sk.st;
  st->ctr.tcp_fast_retrans++;
  tp->loss_suspected_at = 0;
  mn_timer_cancel(&st->timers, &tp->t_reorder);
  tp->reo_wnd_grown = false;
  if (tp->reo_wnd_persist > 0)
    tp->reo_wnd_persist--;
  else
    tp->reo_wnd_steps = 1;
  tp->prior_cwnd = tp->cwnd;
  tp->prior_ssthresh = tp->ssthresh;
  tp->undo_retrans = 0;
  tp->undo_possible = true;
  mn_seqset_clear(&tp->rexmitted);
  tp->in_recovery = true;
  tp->recover = tp->snd_max;
  tp->ssthresh = mn_tcp_cc(tp->cc)->ssthresh(tp, st->now);
  tp->rtt_timing = false;
  uint32_t len = MN_MIN((uint32_t)tp->mss, (uint32_t)tp->snd.len);
  if (len)
    mn_tcp_send_segment(tp, tp->snd_una, MN_TCP_ACK, len);
  if (tp->sack_ok) {
    /* RFC 6675 5 step (4.2)-(4.4). */
    tp->high_rxt = tp->snd_una + len;
    tp->rxt_fence = tp->snd_max;
    tp->cwnd = tp->ssthresh;
  } else {
    /* RFC 6582 3.2 step 2-3. */
    tp->cwnd = tp->ssthresh + MN_TCP_DUPTHRESH * tp->mss;
  }
  mn_tcp_arm_rexmt(tp);
}

/* Is it time for fast retransmit?  Three duplicate ACKs (RFC 5681), or
 * with SACK, RFC 6675's IsLost(HighACK + 1): more than two segments'
 * worth SACKed above the first hole; or, when fewer than four segments are
 * out and nothing new can be sent, one duplicate per segment beyond the
 * first (RFC 5827 early retransmit).  With SACK each segment SACKed counts
 * as a duplicate, as Linux counts sacked_out: a receiver that ACKs every
 * second segment reports two in one ACK, and waiting for a second
 * duplicate that never comes costs a timeout. */
static bool loss_detected(const struct mn_tcp_sock *tp)
{
  if (tp->dupacks >= MN_TCP_DUPTHRESH)
    return true;
  if (!tp->sack_ok || !tp->sacked.n)
    return false;
  if (mn_seqset_bytes(&tp->sacked) > (uint32_t)(MN_TCP_DUPTHRESH - 1) * tp->mss ||
      tp->sacked.n >= MN_TCP_DUPTHRESH)
    return true;
  uint32_t flight = tp->snd_max - tp->snd_una;
  uint32_t oseg = (flight + tp->mss - 1) / tp->mss;
  bool can_send_new = mn_tcp_unsent(tp) && tp->snd_wnd > flight && tp->cwnd > flight;
  uint32_t sacked_segs = (mn_seqset_bytes(&tp->sacked) + tp->mss - 1) / tp->mss;
  uint32_t dups = MN_MAX((uint32_t)tp->dupacks, sacked_segs);
  return oseg < 4 && !can_send_new && dups >= (oseg > 1 ? oseg - 1 : 1);
}

/* The path has shown it reorders: a hole filled without a retransmission,
 * or a D-SACK.  Until then a loss the duplicate threshold suggests is
 * acted on at once, as before RACK (and as Linux with no reordering seen). */
static bool reordering_seen(const struct mn_tcp_sock *tp)
{
  return tp->stats.reord_seen > 0 || tp->stats.dsack_dups > 0;
}

/* RFC 8985 6.2 step 4: the reordering window.  With the duplicate
 * threshold met and no reordering seen, none (as Linux's
 * tcp_rack_reo_wnd()). */
static mynet_time reorder_window(const struct mn_tcp_sock *tp, bool threshold_met)
{
  if (threshold_met && !reordering_seen(tp))
    return 0;
  mynet_time base = tp->stats.min_rtt ? tp->stats.min_rtt : tp->srtt;
  if (!base)
    return threshold_met ? 0 : MN_TCP_RTO_MIN; /* no RTT yet: leave it to the timeout */
  mynet_time w = base / 4 * (tp->reo_wnd_steps ? tp->reo_wnd_steps : 1);
  return tp->srtt && w > tp->srtt ? tp->srtt : w;
}

/* RACK's rule for the first hole (RFC 8985 6.2), without per-segment
 * send times: data sent after it has been SACKed, so it is lost once the
 * reordering window has passed since that was first seen (the hole was
 * sent no later than that data, whose round trip has completed). */
static bool loss_suspected(const struct mn_tcp_sock *tp)
{
  return loss_detected(tp) || (tp->sack_ok && tp->sacked.n > 0);
}

/* The duplicate threshold says a segment is lost: true while the
 * reordering window since that was first seen has not yet passed (the
 * reorder timer will look again then). */
static bool wait_for_reordering(struct mn_tcp_sock *tp)
{
  struct mynet_stack *st = tp->sk.st;
  mynet_time w = reorder_window(tp, loss_detected(tp));
  if (w == 0)
    return false;
  if (!tp->loss_suspected_at)
    tp->loss_suspected_at = st->now;
  mynet_time due = tp->loss_suspected_at + w;
  if (st->now >= due)
    return false;
  /* A timer left from an earlier suspicion may be later than this one
   * (the window shrinks as the minimum RTT does). */
  if (!mn_timer_armed(&tp->t_reorder) || tp->t_reorder.when > due)
    mn_timer_arm(&st->timers, &tp->t_reorder, due);
  return true;
}

/* A D-SACK of a retransmission: the window was too small (once per
 * recovery, as Linux grows it once per round trip). */
static void grow_reorder_window(struct mn_tcp_sock *tp)
{
  if (tp->reo_wnd_grown)
    return;
  tp->reo_wnd_grown = true;
  if (tp->reo_wnd_steps < 16)
    tp->reo_wnd_steps++;
  tp->reo_wnd_persist = 16;
}

/* RFC 6675 leaves a lost retransmission to the timeout.  Data sent after
 * the last retransmission has been SACKed, yet the retransmitted range
 * is still missing: it was lost too, so retransmit the holes again (the
 * idea of RACK, RFC 8985, at the granularity of a recovery round). */
static void detect_lost_retransmission(struct mn_tcp_sock *tp)
{
  if (!tp->in_recovery || !tp->sack_ok || !tp->sacked.n || !SEQ_LT(tp->snd_una, tp->high_rxt) ||
      tp->rxt_fence == tp->snd_una)
    return;
  uint32_t highest = tp->sacked.r[tp->sacked.n - 1].end;
  if (SEQ_GT(highest, tp->rxt_fence)) {
    tp->sk.st->ctr.tcp_lost_retrans++;
    tp->high_rxt = tp->snd_una;
    tp->rxt_fence = tp->snd_max;
  }
}

/* RFC 2883 D-SACK: the first block reports data received twice: below
 * the cumulative ACK, or inside the second block. */
static bool is_dsack(const struct mn_tcp_hdr *th)
{
  const struct mn_tcp_sack_block *b = th->opt.sack;
  if (th->opt.nsack == 0)
    return false;
  if (SEQ_LEQ(b[0].right, th->ack))
    return true;
  return th->opt.nsack > 1 && SEQ_GEQ(b[0].left, b[1].left) && SEQ_LEQ(b[0].right, b[1].right);
}

/* When D-SACKs show that every retransmission of a recovery episode
 * reached a receiver that already had the data, the loss was reordering:
 * put the window back (RFC 3708 and Linux's DSACK undo).  The duplicate
 * threshold stays: raising it without RACK's timer (RFC 8985) turned
 * real losses into timeouts. */
static void dsack_undo(struct mn_tcp_sock *tp, const struct mn_tcp_hdr *th)
{
  if (!tp->undo_possible || tp->undo_retrans <= 0)
    return;
  const struct mn_tcp_sack_block *b = &th->opt.sack[0];
  if (!mn_seqset_contains(&tp->rexmitted, b->left) ||
      !mn_seqset_contains(&tp->rexmitted, b->right - 1))
    return;
  int segs = (int)((b->right - b->left + tp->mss - 1) / tp->mss);
  tp->undo_retrans -= segs > 0 ? segs : 1;
  if (tp->undo_retrans > 0)
    return;
  tp->undo_possible = false;
  tp->sk.st->ctr.tcp_spurious_undos++;
  if (tp->cwnd < tp->prior_cwnd)
    tp->cwnd = tp->prior_cwnd;
  if (tp->ssthresh < tp->prior_ssthresh)
    tp->ssthresh = tp->prior_ssthresh;
  tp->in_recovery = false;
  tp->dupacks = 0;
}

static uint32_t segments(const struct mn_tcp_sock *tp, uint32_t bytes)
{
  return (bytes + tp->mss - 1) / tp->mss;
}

/* tcpi_delivered and the delivery rate: what reached the peer, in
 * segments, and bytes per second over an interval of ACKs no shorter
 * than the minimum RTT (Linux discards shorter samples too).  An interval
 * starts with the first ACK after the flight was empty, so idle time is
 * never counted as slow delivery. */
static void record_delivery(struct mn_tcp_sock *tp, uint32_t bytes, bool fin)
{
  struct mn_tcp_stats *x = &tp->stats;
  mynet_time now = tp->sk.st->now;
  x->delivered += segments(tp, bytes) + (fin ? 1 : 0);
  if (bytes && !x->rate_running) {
    x->rate_running = true;
    x->rate_start = now;
    x->rate_bytes = 0; /* sent before the interval began */
  } else if (bytes) {
    x->rate_bytes += bytes;
    mynet_time span = now - x->rate_start;
    if (span > 0 && span >= x->min_rtt) {
      x->delivery_rate = x->rate_bytes * (uint64_t)MYNET_SEC(1) / (uint64_t)span;
      x->rate_start = now;
      x->rate_bytes = 0;
    }
  }
}

/* tcpi_reord_seen: the cumulative ACK fills the first hole below SACKed
 * data, and that hole was never retransmitted: its data was only late. */
static void count_reordering(struct mn_tcp_sock *tp, uint32_t ack)
{
  if (!tp->sacked.n || SEQ_LT(ack, tp->sacked.r[0].start) || tp->after_rto ||
      mn_seqset_contains(&tp->rexmitted, tp->snd_una))
    return;
  tp->stats.reord_seen++;
  /* The distance: from the late data to the highest SACKed, as Linux's
   * tcp_check_sack_reordering(). */
  uint32_t distance = tp->sacked.r[tp->sacked.n - 1].end - tp->snd_una;
  if (distance > (uint32_t)tp->reordering * tp->mss)
    tp->reordering = (uint16_t)MN_MIN((distance + tp->mss - 1) / tp->mss, 300u);
}

/* TCP_DEFER_ACCEPT on the listener: the ACK that completes a handshake
 * without data is dropped, and the connection stays off the accept queue
 * until data (or a FIN) comes, or until the SYN-ACK timer has run the
 * deferral's course and the peer answers the SYN-ACK sent then (Linux's
 * tcp_check_req() and syn_ack_recalc()). */
static bool defer_bare_ack(struct mn_tcp_sock *tp, const struct seg *sg)
{
  const struct mn_tcp_sock *l = tp->listener;
  if (!l || !l->defer_accept || sg->seglen || tp->rexmt_count >= l->defer_accept)
    return false;
  tp->defer_acked = true;
  tp->sk.st->ctr.tcp_defer_accept_drops++;
  return true;
}

/* Step five: the ACK field.  Returns false if the segment must be
 * dropped (or the connection went away). */
static bool ack_input(struct mn_tcp_sock *tp, const struct seg *sg, bool *closed)
{
  struct mynet_stack *st = tp->sk.st;
  const struct mn_tcp_hdr *th = &sg->th;
  if (tp->state == MN_TCPS_SYN_RECEIVED) {
    if (SEQ_LEQ(th->ack, tp->snd_una) || SEQ_GT(th->ack, tp->snd_max)) {
      mn_tcp_send_rst_for(st, sg->ip, th, sg->seglen);
      return false;
    }
    if (defer_bare_ack(tp, sg))
      return false;
    tp->snd_wnd = (uint32_t)th->win << tp->snd_wscale;
    tp->max_sndwnd = tp->snd_wnd;
    tp->snd_wl1 = th->seq;
    tp->snd_wl2 = th->ack;
    handshake_timers_done(tp); /* the ACK's RTT sample is taken below */
    mn_tcp_enter_established(tp);
    if (tp->fin_queued) /* closed during the handshake: the FIN goes now */
      mn_tcp_set_state(tp, MN_TCPS_FIN_WAIT_1);
    struct mn_tcp_sock *l = tp->listener;
    if (l) {
      /* From the SYN queue to the accept queue. */
      l->syn_len--;
      tp->ss = MN_SS_CONNECTED;
      tp->aq_next = NULL;
      if (l->aq_tail)
        l->aq_tail->aq_next = tp;
      else
        l->aq_head = tp;
      l->aq_tail = tp;
      l->aq_len++;
      mn_sock_data_ready(&l->sk);
    }
  }
  /* RFC 5961 5.2: an ACK for data never sent, or for data so old it is
   * outside any window we had, draws an ACK and is dropped. */
  if (SEQ_GT(th->ack, tp->snd_max)) {
    mn_tcp_send_ack(tp);
    return false;
  }
  if (SEQ_LT(th->ack, tp->snd_una - tp->max_sndwnd)) {
    mn_tcp_send_challenge_ack(tp);
    return false;
  }
  /* An acceptable ACK shows the path works: forget any ICMP soft error
   * (as Linux's tcp_ack() does), so a later timeout reports itself. */
  tp->soft_error = 0;
  tp->probes_out = 0;
  tp->stats.last_ack_recv = st->now;
  uint32_t new_wnd = (uint32_t)th->win << tp->snd_wscale;
  bool dup = is_dupack(tp, sg, new_wnd);
  uint32_t sacked_before = mn_seqset_bytes(&tp->sacked);
  /* Record SACK blocks (RFC 2018) that fall inside what is outstanding. */
  if (tp->sack_ok) {
    uint32_t before = sacked_before;
    for (int i = 0; i < th->opt.nsack; i++) {
      uint32_t left = th->opt.sack[i].left, right = th->opt.sack[i].right;
      if (SEQ_GT(left, tp->snd_una) && SEQ_LT(left, right) && SEQ_LEQ(right, tp->snd_max))
        mn_seqset_add(&tp->sacked, left, right);
    }
    /* RFC 6675 2: with SACK, a duplicate ACK is one that reports new
     * data received, whatever its window says. */
    if (!dup && th->ack == tp->snd_una && sg->len == 0 && tp->snd_max != tp->snd_una &&
        mn_seqset_bytes(&tp->sacked) > before)
      dup = true;
    detect_lost_retransmission(tp);
    if (is_dsack(th)) {
      tp->stats.dsack_dups += segments(tp, th->opt.sack[0].right - th->opt.sack[0].left);
      if (mn_seqset_contains(&tp->rexmitted, th->opt.sack[0].left))
        grow_reorder_window(tp);
      dsack_undo(tp, th);
    }
  }
  /* Data the peer now has that it had not reported before: SACKed, or
   * acknowledged without having been SACKed (counted below). */
  uint32_t delivered = mn_seqset_bytes(&tp->sacked) - sacked_before;
  /* Window update (RFC 9293 3.10.7.4, SND.WL1/WL2 rule). */
  if (SEQ_LT(tp->snd_wl1, th->seq) || (tp->snd_wl1 == th->seq && SEQ_LEQ(tp->snd_wl2, th->ack))) {
    bool opened = tp->snd_wnd == 0 && new_wnd > 0;
    tp->snd_wnd = new_wnd;
    tp->snd_wl1 = th->seq;
    tp->snd_wl2 = th->ack;
    if (new_wnd > tp->max_sndwnd)
      tp->max_sndwnd = new_wnd;
    if (opened && tp->persist) {
      mn_tcp_cancel_rexmt(tp);
      tp->backoff = 0;
    }
  }
  uint32_t acked = SEQ_GT(th->ack, tp->snd_una) ? th->ack - tp->snd_una : 0;
  uint32_t flight_before = tp->snd_max - tp->snd_una;
  if (acked) {
    tp->tlp_sent = false;
    rtt_from_ack(tp, sg);
    /* Sequence space: the SYN (if still unacknowledged), the data, then
     * our FIN. */
    uint32_t data = acked;
    if (tp->snd_una == tp->iss)
      data--;
    bool fin_acked = false;
    if (tp->fin_queued && data > tp->snd.len) {
      fin_acked = true;
      data = (uint32_t)tp->snd.len;
    }
    /* Linux counts our SYN as acknowledged only on an active open. */
    tp->stats.bytes_acked += acked - (tp->snd_una == tp->iss ? 1 : 0);
    delivered +=
        data - (mn_seqset_bytes(&tp->sacked) - mn_seqset_bytes_above(&tp->sacked, th->ack));
    record_delivery(tp, delivered, fin_acked && !data);
    count_reordering(tp, th->ack);
    mn_ring_discard(&tp->snd, data);
    mn_tcp_apply_buffer_sizes(tp);
    tp->snd_una = th->ack;
    /* The hole the threshold pointed at is filled: a later one starts
     * its own window. */
    tp->loss_suspected_at = 0;
    if (SEQ_LT(tp->snd_nxt, tp->snd_una))
      tp->snd_nxt = tp->snd_una;
    if (SEQ_LT(tp->high_rxt, tp->snd_una))
      tp->high_rxt = tp->snd_una;
    mn_seqset_trim(&tp->sacked, tp->snd_una);
    mn_tcp_rto_recovered(tp);
    if (tp->after_rto && SEQ_GEQ(th->ack, tp->recover))
      tp->after_rto = false;
    if (tp->in_recovery) {
      if (SEQ_GEQ(th->ack, tp->recover)) {
        /* Full acknowledgment: recovery is over (RFC 6582 3.2 step 3,
         * RFC 6675 5). */
        tp->in_recovery = false;
        tp->dupacks = 0;
        uint32_t flight = tp->snd_max - tp->snd_una;
        tp->cwnd = tp->sack_ok ? tp->ssthresh : MN_MIN(tp->ssthresh, flight + tp->mss);
      } else if (!tp->sack_ok) {
        /* Partial acknowledgment (RFC 6582 3.2 step 5). */
        uint32_t len = MN_MIN((uint32_t)tp->mss, (uint32_t)tp->snd.len);
        if (len)
          mn_tcp_send_segment(tp, tp->snd_una, MN_TCP_ACK, len);
        tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked + tp->mss : tp->mss;
      }
    } else {
      tp->dupacks = 0;
      /* Only data grows the window, not our SYN or FIN (RFC 5681 3.1),
       * and only while the window is what limits us (RFC 7661; Linux's
       * tcp_is_cwnd_limited()): an application- or receiver-limited flow
       * would otherwise inflate it without bound. */
      bool cwnd_limited = flight_before + tp->mss >= tp->cwnd ||
                          (tp->cwnd < tp->ssthresh && tp->cwnd < 2 * flight_before);
      if (data && cwnd_limited)
        mn_tcp_cc(tp->cc)->on_ack(tp, data, st->now);
    }
    /* RFC 6298 5.3: restart the timer when new data is acknowledged
     * (after the recovery state is settled: it decides between a tail
     * loss probe and the RTO). */
    if (tp->snd_una == tp->snd_max) {
      mn_tcp_cancel_rexmt(tp);
      tp->first_unacked_at = 0;
      tp->stats.rate_running = false; /* idle from here: no delivery rate */
    } else {
      mn_tcp_arm_rexmt(tp);
      tp->first_unacked_at = st->now;
    }
    mn_sock_wake(&tp->sk);
    if (fin_acked) {
      switch (tp->state) {
      case MN_TCPS_FIN_WAIT_1:
        mn_tcp_set_state(tp, MN_TCPS_FIN_WAIT_2);
        mn_tcp_cancel_rexmt(tp);
        if (tp->sk.user_closed && !mn_tcp_orphan_fin_wait_2(tp)) {
          *closed = true;
          return false;
        }
        mn_sock_wake(&tp->sk);
        break;
      case MN_TCPS_CLOSING:
        mn_tcp_enter_time_wait(tp);
        break;
      case MN_TCPS_LAST_ACK:
        mn_tcp_close_final(tp);
        *closed = true;
        return false;
      default:
        break;
      }
    }
  } else {
    record_delivery(tp, delivered, false);
    if (dup) {
      tp->dupacks++;
      if (tp->in_recovery) {
        if (!tp->sack_ok)
          tp->cwnd += tp->mss; /* RFC 6582 3.2 step 4: inflate */
      } else if (loss_suspected(tp) && SEQ_GEQ(th->ack, tp->recover)) {
        /* Only for data sent after the last loss episode began (RFC 6582
         * 3.2 step 1, RFC 6675 5): duplicates of what a timeout already
         * resent are not a new loss. */
        if (!wait_for_reordering(tp))
          enter_recovery(tp);
      } else if (tp->after_rto && tp->sack_ok && loss_detected(tp)) {
        /* But SACKs may still show that a segment resent after the timeout
         * was lost again: resend the holes (as Linux does in its Loss state),
         * without reducing the window a second time (RFC 6675 5.1). */
        tp->in_recovery = true;
        tp->undo_possible = false;
        tp->high_rxt = tp->snd_una;
        tp->rxt_fence = tp->snd_max;
        mn_tcp_retransmit_lost(tp);
      }
    }
  }
  return true;
}

static void sync_input(struct mn_tcp_sock *tp, const struct seg *sg_in)
{
  struct mynet_stack *st = tp->sk.st;
  struct seg sg = *sg_in;
  struct mn_tcp_hdr *th = &sg.th;

  /* A retransmitted SYN in SYN-RECEIVED: the SYN-ACK was lost. */
  if (tp->state == MN_TCPS_SYN_RECEIVED && (th->flags & MN_TCP_SYN) && !(th->flags & MN_TCP_ACK) &&
      th->seq == tp->irs) {
    tp->snd_nxt = tp->iss;
    mn_tcp_output(tp);
    return;
  }

  /* Simultaneous open (RFC 9293 3.5, figure 7): the peer's SYN-ACK
   * repeats the SYN we already took.  Its SYN is a duplicate, dropped and
   * acknowledged, and its ACK completes the handshake, as on Linux. */
  if (tp->state == MN_TCPS_SYN_RECEIVED && !tp->listener &&
      (th->flags & (MN_TCP_SYN | MN_TCP_ACK | MN_TCP_RST)) == (MN_TCP_SYN | MN_TCP_ACK) &&
      th->seq == tp->irs) {
    th->flags &= (uint8_t)~MN_TCP_SYN;
    th->seq++;
    sg.seglen--;
    tp->ack_now = true;
  }

  /* RFC 7323 5.3: PAWS. */
  if (tp->ts_ok && th->opt.ts_set && !(th->flags & MN_TCP_RST) &&
      SEQ_LT(th->opt.tsval, tp->ts_recent)) {
    st->ctr.tcp_paws_drops++;
    mn_tcp_send_ack(tp);
    return;
  }

  /* Step one: is the segment inside the window? */
  if (!seq_acceptable(tp, &sg)) {
    if (!(th->flags & MN_TCP_RST)) {
      /* RFC 9293 3.10.7.4, TIME-WAIT: the peer's FIN again means our
       * ACK was lost; acknowledge it and restart the 2 MSL timeout. */
      if (tp->state == MN_TCPS_TIME_WAIT)
        mn_tcp_arm_keep(tp, 2 * MN_TCP_MSL);
      /* Data we already have: report it as a duplicate (RFC 2883). */
      if (tp->sack_ok && sg.len && SEQ_LEQ(th->seq + sg.len, tp->rcv_nxt)) {
        tp->dsack = true;
        tp->dsack_start = th->seq;
        tp->dsack_end = th->seq + sg.len;
      }
      mn_tcp_send_ack(tp);
    }
    return;
  }
  tp->last_rcv = st->now;
  tp->keep_probes = 0;

  /* RFC 7323 4.3: remember the timestamp to echo. */
  if (tp->ts_ok && th->opt.ts_set && SEQ_LEQ(th->seq, tp->last_ack_sent) &&
      SEQ_GEQ(th->opt.tsval, tp->ts_recent))
    tp->ts_recent = th->opt.tsval;

  /* Step two: RST (RFC 5961 3.2: only an exact match resets; anything
   * else in the window gets a challenge ACK). */
  if (th->flags & MN_TCP_RST) {
    if (th->seq != tp->rcv_nxt) {
      mn_tcp_send_challenge_ack(tp);
      return;
    }
    /* The errors Linux's tcp_reset() reports: EPIPE once the peer's
     * stream has ended in order, none in TIME_WAIT (the application's
     * socket is already closed there on Linux). */
    int err = ECONNRESET;
    if (tp->state == MN_TCPS_SYN_RECEIVED)
      err = tp->listener ? 0 : ECONNREFUSED;
    else if (tp->state == MN_TCPS_CLOSE_WAIT)
      err = EPIPE;
    else if (tp->state == MN_TCPS_TIME_WAIT)
      err = 0;
    mn_tcp_drop(tp, err);
    return;
  }

  /* Step four: a SYN in a synchronized state (RFC 5961 4.2). */
  if (th->flags & MN_TCP_SYN) {
    mn_tcp_send_challenge_ack(tp);
    return;
  }

  /* Trim what lies before rcv_nxt or beyond the window. */
  uint32_t seq = th->seq;
  const uint8_t *data = sg.data;
  uint32_t len = sg.len;
  bool fin = th->flags & MN_TCP_FIN;
  if (SEQ_LT(seq, tp->rcv_nxt)) {
    uint32_t dup = tp->rcv_nxt - seq;
    if (len && tp->sack_ok) {
      /* RFC 2883: tell the sender which data arrived twice, so it can
       * tell a spurious retransmission from a loss. */
      tp->dsack = true;
      tp->dsack_start = seq;
      tp->dsack_end = seq + MN_MIN(dup, len);
    }
    if (dup >= len) {
      /* Entirely old data: the peer missed our ACK; repeat it at once. */
      if (len)
        tp->ack_now = true;
      data += len;
      len = 0;
      if (fin && seq + sg.len != tp->rcv_nxt)
        fin = false;
    } else {
      data += dup;
      len -= dup;
    }
    seq = tp->rcv_nxt;
  }
  uint32_t wnd_edge = tp->rcv_nxt + (uint32_t)(tp->rcv.cap - tp->rcv.len);
  if (len && SEQ_GT(seq + len, wnd_edge)) {
    len = SEQ_GT(wnd_edge, seq) ? wnd_edge - seq : 0;
    fin = false;
    tp->ack_now = true; /* data dropped for want of room: tell the window */
  }

  /* Step five: the ACK. */
  if (!(th->flags & MN_TCP_ACK))
    return;
  bool closed = false;
  if (!ack_input(tp, &sg, &closed) || closed)
    return;
  if (tp->state == MN_TCPS_CLOSED)
    return;

  /* Step seven: data. */
  bool kept = true;
  if (len) {
    switch (tp->state) {
    case MN_TCPS_ESTABLISHED:
    case MN_TCPS_FIN_WAIT_1:
    case MN_TCPS_FIN_WAIT_2:
      if (tp->sk.user_closed) {
        /* The application is gone and cannot read this: reset, as the
         * kernel does for data arriving after close(). */
        mn_tcp_send_rst(tp);
        mn_tcp_drop(tp, 0);
        return;
      }
      kept = data_input(tp, seq, data, len);
      break;
    default:
      break; /* the peer already sent its FIN: ignore */
    }
  }

  /* Step eight: FIN, once everything before it has arrived.  A FIN
   * that comes ahead of a hole is kept with the out-of-order data, as
   * Linux does, and takes effect when the hole fills. */
  if (fin && kept && SEQ_GT(seq + len, tp->rcv_nxt) && !MN_TCPS_HAVE_RCVD_FIN(tp->state) &&
      MN_TCPS_HAVE_ESTABLISHED(tp->state)) {
    tp->ofo_fin = true;
    tp->ofo_fin_seq = seq + len;
  }
  bool fin_now =
      (fin && seq + len == tp->rcv_nxt) || (tp->ofo_fin && tp->ofo_fin_seq == tp->rcv_nxt);
  if (fin_now && !MN_TCPS_HAVE_RCVD_FIN(tp->state)) {
    tp->ofo_fin = false;
    process_fin(tp);
    if (tp->state == MN_TCPS_CLOSED)
      return;
  } else if (fin && MN_TCPS_HAVE_RCVD_FIN(tp->state)) {
    tp->ack_now = true; /* a retransmitted FIN: our ACK was lost */
    if (tp->state == MN_TCPS_TIME_WAIT)
      mn_tcp_arm_keep(tp, 2 * MN_TCP_MSL);
  }

  if (tp->state == MN_TCPS_TIME_WAIT) {
    if (tp->ack_now)
      mn_tcp_send_ack(tp);
    return;
  }
  mn_tcp_output(tp);
  if (tp->ack_now)
    mn_tcp_send_ack(tp);
  if (tp->unacked_segs)
    mn_tcp_arm_delack(tp);
}

void mn_tcp_input(struct mynet_stack *st, struct mn_pbuf *p, const struct mn_ipv4_hdr *ip)
{
  st->ctr.tcp_in_segs++;
  struct seg sg = {.ip = ip};
  if (mn_tcp_parse(p->data, p->len, ip->src, ip->dst, &sg.th) != MN_PARSE_OK ||
      mn_ipv4_is_broadcast(st, ip->dst) || (ip->dst >> 28) == 0xe) {
    st->ctr.tcp_in_errs++;
    mn_pbuf_free(p);
    return;
  }
  sg.data = p->data + sg.th.hdr_len;
  sg.len = p->len - sg.th.hdr_len;
  sg.seglen = sg.len + ((sg.th.flags & MN_TCP_SYN) ? 1 : 0) + ((sg.th.flags & MN_TCP_FIN) ? 1 : 0);

  int in_if = mn_ipv4_in_iface(st, p);
  struct mn_tcp_sock *tp = mn_tcp_lookup(st, ip->dst, sg.th.dport, ip->src, sg.th.sport);
  if (tp && !mn_sock_if_ok(&tp->sk, in_if))
    tp = NULL; /* bound to another interface (SO_BINDTODEVICE) */
  if (tp) {
    tp->stats.segs_in++;
    if (sg.len)
      tp->stats.data_segs_in++;
  }
  /* A new SYN may take over a connection in TIME_WAIT if it starts
   * above the old one (RFC 9293 3.6.1, RFC 6191). */
  if (tp && tp->state == MN_TCPS_TIME_WAIT && (sg.th.flags & MN_TCP_SYN) &&
      !(sg.th.flags & (MN_TCP_ACK | MN_TCP_RST)) && SEQ_GT(sg.th.seq, tp->rcv_nxt)) {
    mn_tcp_close_final(tp);
    tp = NULL;
  }
  if (!tp) {
    struct mn_tcp_sock *l = mn_tcp_lookup_listener(st, ip->dst, sg.th.dport, in_if);
    if (l)
      listen_input(l, &sg);
    else
      mn_tcp_send_rst_for(st, ip, &sg.th, sg.seglen);
    mn_pbuf_free(p);
    return;
  }
  /* Hold the socket while its segment is processed: a reset may end the
   * connection halfway through. */
  mynet_sock_ref(&tp->sk);
  if (tp->state == MN_TCPS_SYN_SENT)
    syn_sent_input(tp, &sg);
  else if (tp->state != MN_TCPS_CLOSED && tp->state != MN_TCPS_LISTEN)
    sync_input(tp, &sg);
  mynet_sock_unref(&tp->sk);
  mn_pbuf_free(p);
}

void mn_tcp_icmp_error(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport, uint32_t seq, uint8_t type, uint8_t code, int err)
{
  struct mn_tcp_sock *tp = mn_tcp_lookup(st, laddr, lport, raddr, rport);
  if (!tp || tp->state == MN_TCPS_TIME_WAIT)
    return;
  /* RFC 5927 4.1: only an error quoting data in flight is believed. */
  if (SEQ_LT(seq, tp->snd_una) || SEQ_GEQ(seq, tp->snd_max))
    return;
  if (err == EMSGSIZE)
    return; /* path MTU discovery comes later; the DF segments are retried */
  if (tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED) {
    /* As the kernel: an error during the handshake ends it. */
    mynet_sock_ref(&tp->sk);
    if (tp->state == MN_TCPS_SYN_SENT)
      st->ctr.tcp_attempt_fails++;
    mn_tcp_drop(tp, err);
    mynet_sock_unref(&tp->sk);
    return;
  }
  /* A soft error, reported only if the connection later times out
   * (RFC 1122 4.2.3.9). */
  tp->soft_error = err;
}

/* The reordering window has passed since the duplicate threshold was
 * met: if the hole is still open, it was a loss. */
void mn_tcp_reorder_timer(struct mn_timer *t, mynet_time now)
{
  struct mn_tcp_sock *tp = mn_container_of(t, struct mn_tcp_sock, t_reorder);
  if (!tp->loss_suspected_at || tp->in_recovery || tp->after_rto || tp->snd_una == tp->snd_max ||
      SEQ_LT(tp->snd_una, tp->recover) || !loss_suspected(tp) || wait_for_reordering(tp))
    return;
  enter_recovery(tp);
  mn_tcp_output(tp);
}
