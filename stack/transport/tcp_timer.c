/* TCP timers: retransmission and persist (RFC 6298, RFC 9293 3.8.6.1),
 * delayed ACK, keepalive (RFC 1122 4.2.3.6), FIN_WAIT_2 and TIME_WAIT.
 * Three timer slots per connection, since a connection is never in two
 * of the uses of one slot at once. */
#include "transport/tcp_impl.h"

#include "stack_impl.h"

#include <errno.h>

#define MN_TCP_MAX_BACKOFF 15

mynet_time mn_tcp_rto_now(const struct mn_tcp_sock *tp)
{
  mynet_time t = tp->rto << (tp->backoff < MN_TCP_MAX_BACKOFF ? tp->backoff : MN_TCP_MAX_BACKOFF);
  return t > MN_TCP_RTO_MAX ? MN_TCP_RTO_MAX : t;
}

/* RFC 8985 7.2: a tail loss probe is scheduled instead of the RTO while
 * data is outstanding and an RTT is known, so a loss at the end of a
 * flight is repaired by fast recovery after two round trips rather than by
 * a timeout (200 ms at least).  Unlike RFC 8985 (and Linux), also during
 * SACK recovery: with the small windows of a lossy path, the one ACK that
 * would acknowledge a successful retransmission is often the last one in
 * flight, and losing it stalls recovery until the RTO; a probe draws
 * another.  (Linux keeps its ACK clock going with PRR instead.) */
static bool tlp_eligible(const struct mn_tcp_sock *tp)
{
  return tp->sk.st->tcp->loss_probes && tp->srtt && !tp->tlp_sent && tp->rexmt_count == 0 &&
         tp->sack_ok && (tp->state == MN_TCPS_ESTABLISHED || tp->state == MN_TCPS_CLOSE_WAIT) &&
         tp->snd_max != tp->snd_una;
}

void mn_tcp_arm_rexmt(struct mn_tcp_sock *tp)
{
  mynet_time now = tp->sk.st->now;
  mynet_time t = mn_tcp_rto_now(tp);
  /* Once retransmitting, never sleep past the moment TCP_USER_TIMEOUT
   * expires (Linux's tcp_clamp_rto_to_user_timeout()). */
  if (tp->user_timeout && tp->rexmt_count && tp->first_unacked_at) {
    mynet_time left = tp->first_unacked_at + tp->user_timeout - now;
    if (left < t)
      t = left > 0 ? left : 1;
  }
  tp->persist = false;
  tp->tlp = false;
  if (tlp_eligible(tp)) {
    /* PTO = 2 * SRTT plus, as Linux's tcp_schedule_loss_probe(), room
     * for a delayed ACK (RTO_MIN, RFC 8985 7.2's WCDelAckT) when only one
     * segment is out and a floor of TCP_TIMEOUT_MIN otherwise: on a
     * sub-millisecond path 2 * SRTT alone fires before an ACK that is
     * merely late, and the probe is a spurious retransmission.  Capped
     * at the RTO, when the probe goes in the timeout's place (the
     * timeout's cwnd collapse waits for the probe to go unanswered). */
    mynet_time pto = 2 * tp->srtt;
    if (tp->snd_max - tp->snd_una <= tp->mss)
      pto += MN_TCP_RTO_MIN;
    else
      pto += MN_TCP_TLP_FLOOR;
    if (pto < t)
      t = pto;
    tp->tlp = true;
  }
  mn_timer_arm(&tp->sk.st->timers, &tp->t_rexmt, now + t);
}

/* The first probe waits one RTO (at least RTO_MIN), later ones back off
 * exponentially, as Linux's tcp_probe0_when(). */
static void arm_persist_after(struct mn_tcp_sock *tp, mynet_time t)
{
  if (t < MN_TCP_RTO_MIN)
    t = MN_TCP_RTO_MIN;
  tp->persist = true;
  mn_timer_arm(&tp->sk.st->timers, &tp->t_rexmt, tp->sk.st->now + t);
}

void mn_tcp_arm_persist(struct mn_tcp_sock *tp)
{
  arm_persist_after(tp, tp->rto);
}

void mn_tcp_cancel_rexmt(struct mn_tcp_sock *tp)
{
  tp->persist = false;
  mn_timer_cancel(&tp->sk.st->timers, &tp->t_rexmt);
}

void mn_tcp_arm_delack(struct mn_tcp_sock *tp)
{
  if (!mn_timer_armed(&tp->t_delack))
    mn_timer_arm(&tp->sk.st->timers, &tp->t_delack, tp->sk.st->now + MN_TCP_DELACK);
}

void mn_tcp_arm_keep(struct mn_tcp_sock *tp, mynet_time after)
{
  mn_timer_arm(&tp->sk.st->timers, &tp->t_keep, tp->sk.st->now + after);
}

void mn_tcp_arm_keepalive(struct mn_tcp_sock *tp)
{
  tp->keep_probes = 0;
  mn_timer_arm(&tp->sk.st->timers, &tp->t_keep, tp->last_rcv + tp->keepidle);
}

void mn_tcp_reset_timers(struct mn_tcp_sock *tp)
{
  struct mn_timer_heap *h = &tp->sk.st->timers;
  mn_timer_cancel(h, &tp->t_rexmt);
  mn_timer_cancel(h, &tp->t_delack);
  mn_timer_cancel(h, &tp->t_keep);
  mn_timer_cancel(h, &tp->t_reorder);
  tp->persist = false;
}

/* Linux keeps the minimum RTT of the last five minutes
 * (net.ipv4.tcp_min_rtt_wlen = 300 s) so that a route change upwards is
 * eventually seen; a minimum older than that gives way to the next
 * sample. */
#define MN_TCP_MIN_RTT_WINDOW MYNET_SEC(300)

void mn_tcp_rtt_sample(struct mn_tcp_sock *tp, mynet_time r)
{
  if (r <= 0)
    r = 1;
  mynet_time now = tp->sk.st->now;
  if (!tp->stats.min_rtt || r <= tp->stats.min_rtt ||
      now - tp->stats.min_rtt_at > MN_TCP_MIN_RTT_WINDOW) {
    tp->stats.min_rtt = r;
    tp->stats.min_rtt_at = now;
  }
  /* RFC 6298 2.2 and 2.3, in microseconds. */
  if (tp->srtt == 0) {
    tp->srtt = r;
    tp->rttvar = r / 2;
  } else {
    mynet_time delta = tp->srtt > r ? tp->srtt - r : r - tp->srtt;
    tp->rttvar = (3 * tp->rttvar + delta) / 4;
    tp->srtt = (7 * tp->srtt + r) / 8;
  }
  /* Linux floors the variance term rather than the RTO itself, so the
   * RTO on a LAN is srtt + 200 ms. */
  mynet_time var = 4 * tp->rttvar;
  if (var < MN_TCP_RTO_MIN)
    var = MN_TCP_RTO_MIN;
  tp->rto = tp->srtt + var;
  if (tp->rto > MN_TCP_RTO_MAX)
    tp->rto = MN_TCP_RTO_MAX;
}

void mn_tcp_rto_recovered(struct mn_tcp_sock *tp)
{
  if (tp->rexmt_count)
    tp->stats.rto_time += tp->sk.st->now - tp->stats.rto_start;
  tp->rexmt_count = 0;
}

void mn_tcp_enter_time_wait(struct mn_tcp_sock *tp)
{
  struct mynet_stack *st = tp->sk.st;
  mn_tcp_cancel_rexmt(tp);
  mn_timer_cancel(&st->timers, &tp->t_delack);
  /* Past the bound the connection is simply closed, as the kernel does
   * when its time-wait table overflows. */
  if (st->tcp->time_wait_count >= MN_TCP_MAX_TIME_WAIT) {
    st->ctr.tcp_timewait_recycled++;
    mn_tcp_set_state(tp, MN_TCPS_TIME_WAIT);
    mn_tcp_close_final(tp);
    return;
  }
  mn_tcp_set_state(tp, MN_TCPS_TIME_WAIT);
  mn_ring_free(&tp->snd, &st->mem);
  tp->done = true;
  mn_tcp_arm_keep(tp, 2 * MN_TCP_MSL);
  mn_sock_wake(&tp->sk);
}

/* The peer stopped answering.  Like Linux, only a keepalive failure
 * tells it so with a reset (the peer may be alive but have lost the
 * connection); when retransmissions go unanswered a reset would most
 * likely be lost too, so the connection just ends. */
static void give_up(struct mn_tcp_sock *tp, bool send_rst)
{
  int err = tp->soft_error ? tp->soft_error : ETIMEDOUT;
  if (tp->state == MN_TCPS_SYN_SENT)
    tp->sk.st->ctr.tcp_attempt_fails++;
  if (send_rst && tp->state >= MN_TCPS_SYN_RECEIVED)
    mn_tcp_send_rst(tp);
  mn_tcp_drop(tp, err);
}

static void persist_fire(struct mn_tcp_sock *tp)
{
  tp->persist = false;
  if (tp->snd_max != tp->snd_una || !mn_tcp_unsent(tp))
    return; /* something in flight will bring the window back */
  /* A peer that stops answering probes is gone, like one that stops
   * acknowledging data: as many probes as retransmissions (Linux's
   * tcp_probe_timer()).  Any answer, even one keeping the window shut,
   * starts the count again. */
  int limit = tp->sk.user_closed ? MN_TCP_ORPHAN_RETRIES : MN_TCP_RETRIES2;
  if (tp->probes_out >= limit) {
    give_up(tp, false);
    return;
  }
  mn_tcp_send_probe(tp);
  if (mn_timer_armed(&tp->t_rexmt))
    return; /* data went out: the retransmission timer watches it */
  tp->probes_out++;
  if (tp->backoff < MN_TCP_MAX_BACKOFF)
    tp->backoff++;
  arm_persist_after(tp, mn_tcp_rto_now(tp));
}

/* RFC 8985 7.3: send new data if the windows allow, else the last
 * segment again, to draw an ACK with SACK information; then the RTO. */
static void tlp_fire(struct mn_tcp_sock *tp)
{
  tp->tlp = false;
  tp->tlp_sent = true;
  tp->sk.st->ctr.tcp_tlp_probes++;
  uint32_t flight = tp->snd_max - tp->snd_una;
  uint32_t off = tp->snd_nxt - tp->snd_una;
  uint32_t unsent = tp->snd.len > off ? (uint32_t)tp->snd.len - off : 0;
  if (unsent && tp->snd_wnd > flight && tp->snd_nxt == tp->snd_max) {
    uint32_t len = MN_MIN(MN_MIN(unsent, tp->snd_wnd - flight), (uint32_t)tp->mss);
    mn_tcp_send_segment(tp, tp->snd_nxt, MN_TCP_ACK | MN_TCP_PSH, len);
    tp->snd_nxt += len;
  } else {
    uint32_t data_end = tp->snd_una + (uint32_t)tp->snd.len;
    uint32_t end = SEQ_MIN(tp->snd_max, data_end);
    uint32_t len = MN_MIN(end - tp->snd_una, (uint32_t)tp->mss);
    if (len)
      mn_tcp_send_segment(tp, end - len, MN_TCP_ACK, len);
    else
      mn_tcp_output(tp); /* only a FIN is out: send it again the usual way */
  }
  mn_tcp_arm_rexmt(tp);
}

/* How many SYN (or SYN-ACK) timeouts a handshake survives: TCP_SYNCNT,
 * else net.ipv4.tcp_syn_retries, or tcp_synack_retries for a listener's
 * connection, whose TCP_SYNCNT counts SYN-ACKs (Linux's
 * reqsk_timer_handler()).  A connection held back by TCP_DEFER_ACCEPT
 * lives until the deferral is over, and its SYN-ACK is only resent in
 * the last period, to draw the ACK that completes it (syn_ack_recalc()).
 * Called with rexmt_count already counting this timeout. */
static int syn_limit(const struct mn_tcp_sock *tp, bool *resend)
{
  *resend = true;
  if (tp->state == MN_TCPS_SYN_SENT || !tp->listener)
    return tp->syn_retries ? tp->syn_retries : MN_TCP_SYN_RETRIES;
  int limit = tp->syn_retries ? tp->syn_retries : MN_TCP_SYNACK_RETRIES;
  int defer = tp->listener->defer_accept;
  if (!tp->defer_acked || !defer)
    return limit;
  *resend = tp->rexmt_count >= defer;
  return limit > defer ? limit : defer;
}

void mn_tcp_rexmt_timer(struct mn_timer *t, mynet_time now)
{
  struct mn_tcp_sock *tp = mn_container_of(t, struct mn_tcp_sock, t_rexmt);
  struct mynet_stack *st = tp->sk.st;
  if (tp->persist) {
    persist_fire(tp);
    return;
  }
  if (tp->tlp) {
    tlp_fire(tp);
    return;
  }
  if (tp->rexmt_count == 0) {
    tp->stats.total_rto_recoveries++;
    tp->stats.rto_start = now;
  }
  tp->stats.total_rto++;
  tp->rexmt_count++;
  st->ctr.tcp_timeouts++;
  MN_DEBUG(st,
           "tcp %u-%u: retransmission timeout %d: una %u nxt %u max %u cwnd %u wnd %u sacked %u "
           "in %d ranges, recovery %d, dupacks %d, high_rxt +%d",
           tp->sk.lport, tp->sk.rport, tp->rexmt_count, tp->snd_una, tp->snd_nxt, tp->snd_max,
           tp->cwnd, tp->snd_wnd, mn_seqset_bytes(&tp->sacked), tp->sacked.n, tp->in_recovery,
           tp->dupacks, (int)(tp->high_rxt - tp->snd_una));
  int limit = tp->sk.user_closed ? MN_TCP_ORPHAN_RETRIES : MN_TCP_RETRIES2;
  bool resend_syn = true;
  if (tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED)
    limit = syn_limit(tp, &resend_syn);
  /* As Linux, the user timeout is judged from the first retransmission
   * on: the data always gets one retransmission. */
  bool user_expired = tp->user_timeout && tp->first_unacked_at && tp->rexmt_count > 1 &&
                      now - tp->first_unacked_at >= tp->user_timeout;
  if (tp->rexmt_count > limit || user_expired) {
    give_up(tp, false);
    return;
  }
  if (tp->backoff < MN_TCP_MAX_BACKOFF)
    tp->backoff++;
  /* Karn (RFC 6298 5): no RTT sample from what is about to be resent. */
  tp->rtt_timing = false;
  if (tp->state == MN_TCPS_SYN_SENT || tp->state == MN_TCPS_SYN_RECEIVED) {
    if (!resend_syn) {
      mn_tcp_arm_rexmt(tp);
      return;
    }
    tp->snd_nxt = tp->iss;
    mn_tcp_output(tp);
    return;
  }
  /* RFC 5681 3.1 (equation 4) on the first timeout of a loss episode,
   * then go back to snd_una with a one-segment window. */
  if (tp->rexmt_count == 1 || tp->in_recovery)
    tp->ssthresh = mn_tcp_cc(tp->cc)->ssthresh(tp, now);
  tp->cwnd = tp->mss;
  tp->undo_possible = false;
  tp->in_recovery = false;
  tp->dupacks = 0;
  /* RFC 6675 5.1: the scoreboard stays in use after a timeout, so what
   * the receiver has SACKed is not sent again.  A second timeout in a row
   * may mean the receiver reneged (RFC 2018 8): then forget it. */
  if (tp->rexmt_count > 1)
    mn_seqset_clear(&tp->sacked);
  tp->after_rto = true;
  tp->high_rxt = tp->snd_una;
  tp->recover = tp->snd_max;
  tp->snd_nxt = tp->snd_una;
  tp->cubic.epoch = 0;
  mn_tcp_output(tp);
  if (!mn_timer_armed(&tp->t_rexmt))
    mn_tcp_arm_rexmt(tp);
}

void mn_tcp_delack_timer(struct mn_timer *t, mynet_time now)
{
  struct mn_tcp_sock *tp = mn_container_of(t, struct mn_tcp_sock, t_delack);
  if (tp->unacked_segs || tp->ack_now) {
    tp->ack_now = true;
    mn_tcp_output(tp);
    if (tp->ack_now)
      mn_tcp_send_ack(tp);
  }
}

void mn_tcp_keep_timer(struct mn_timer *t, mynet_time now)
{
  struct mn_tcp_sock *tp = mn_container_of(t, struct mn_tcp_sock, t_keep);
  switch (tp->state) {
  case MN_TCPS_TIME_WAIT:
    mn_tcp_close_final(tp); /* 2*MSL are over */
    return;
  case MN_TCPS_FIN_WAIT_2:
    /* An orphan whose peer never sent its FIN gives up; a half-closed
     * connection the application still reads from is only watched by
     * keepalive, as on Linux (the timer slot is shared). */
    if (tp->sk.user_closed) {
      mn_tcp_close_final(tp);
      return;
    }
    break;
  case MN_TCPS_ESTABLISHED:
  case MN_TCPS_CLOSE_WAIT:
  case MN_TCPS_FIN_WAIT_1:
  case MN_TCPS_CLOSING:
  case MN_TCPS_LAST_ACK:
    break;
  default:
    return;
  }
  if (!tp->sk.keepalive)
    return;
  /* Data in flight or waiting for the window: the retransmission or
   * persist timer watches the peer, keepalive stays quiet (as Linux's
   * tcp_keepalive_timer()). */
  if (tp->snd_max != tp->snd_una || mn_tcp_unsent(tp)) {
    mn_tcp_arm_keep(tp, tp->keepidle);
    return;
  }
  if (now - tp->last_rcv < tp->keepidle && tp->keep_probes == 0) {
    mn_timer_arm(&tp->sk.st->timers, &tp->t_keep, tp->last_rcv + tp->keepidle);
    return;
  }
  if (tp->keep_probes >= tp->keepcnt ||
      (tp->user_timeout && now - tp->last_rcv >= tp->user_timeout)) {
    give_up(tp, true);
    return;
  }
  /* RFC 1122 4.2.3.6: a segment with an old sequence number that makes
   * the peer answer with an ACK. */
  tp->keep_probes++;
  mn_tcp_send_segment(tp, tp->snd_una - 1, MN_TCP_ACK, 0);
  mn_tcp_arm_keep(tp, tp->keepintvl);
}

void mn_tcp_timers_init(struct mn_tcp_sock *tp)
{
  mn_timer_init(&tp->t_rexmt, MN_TIMER_TCP_REXMT);
  mn_timer_init(&tp->t_delack, MN_TIMER_TCP_DELACK);
  mn_timer_init(&tp->t_keep, MN_TIMER_TCP_KEEP);
  mn_timer_init(&tp->t_reorder, MN_TIMER_TCP_REORDER);
}
