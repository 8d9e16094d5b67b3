/* getsockopt(TCP_INFO): the connection as Linux's tcp_get_info() reports
 * it, filled from the control block and the counters tcp_input.c and
 * tcp_output.c keep (struct mn_tcp_stats).  Units are Linux's: times in
 * microseconds (rto, ato, rtt) or milliseconds ago (last_*), windows in
 * segments (snd_cwnd, snd_ssthresh), queues in segments (unacked, sacked,
 * lost, retrans).  What the stack does not measure is 0. */
#include "transport/tcp_impl.h"

#include "stack_impl.h"

#include <errno.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <string.h>

/* Linux's state numbers (include/net/tcp_states.h), which <linux/tcp.h>
 * does not export. */
enum {
  LINUX_TCP_ESTABLISHED = 1,
  LINUX_TCP_SYN_SENT,
  LINUX_TCP_SYN_RECV,
  LINUX_TCP_FIN_WAIT1,
  LINUX_TCP_FIN_WAIT2,
  LINUX_TCP_TIME_WAIT,
  LINUX_TCP_CLOSE,
  LINUX_TCP_CLOSE_WAIT,
  LINUX_TCP_LAST_ACK,
  LINUX_TCP_LISTEN,
  LINUX_TCP_CLOSING,
};

/* Linux's TCP_INFINITE_SSTHRESH: no slow-start threshold yet. */
#define LINUX_INFINITE_SSTHRESH 0x7fffffffu

/* The fields Linux appended after tcpi_snd_wnd (6.2: rcv_wnd, rehash;
 * 6.7: the RTO totals; 6.18: Accurate ECN counters), laid out as in the
 * kernel's uapi header.  An older <linux/tcp.h> (Debian 12 has 6.1's)
 * does not declare them, so they are written after tcpi_snd_wnd by
 * offset: with a newer header the same bytes are its own fields. */
struct tcp_info_tail {
  uint32_t rcv_wnd;
  uint32_t rehash;
  uint16_t total_rto;
  uint16_t total_rto_recoveries;
  uint32_t total_rto_time;
  uint32_t accecn_counters[7];
  uint16_t accecn_fail_mode, accecn_opt_seen;
};

#define TAIL_OFFSET (offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(uint32_t))
#define INFO_LEN MN_MAX(sizeof(struct tcp_info), TAIL_OFFSET + sizeof(struct tcp_info_tail))

static uint8_t linux_state(enum mn_tcp_state s)
{
  switch (s) {
  case MN_TCPS_LISTEN:
    return LINUX_TCP_LISTEN;
  case MN_TCPS_SYN_SENT:
    return LINUX_TCP_SYN_SENT;
  case MN_TCPS_SYN_RECEIVED:
    return LINUX_TCP_SYN_RECV;
  case MN_TCPS_ESTABLISHED:
    return LINUX_TCP_ESTABLISHED;
  case MN_TCPS_CLOSE_WAIT:
    return LINUX_TCP_CLOSE_WAIT;
  case MN_TCPS_FIN_WAIT_1:
    return LINUX_TCP_FIN_WAIT1;
  case MN_TCPS_CLOSING:
    return LINUX_TCP_CLOSING;
  case MN_TCPS_LAST_ACK:
    return LINUX_TCP_LAST_ACK;
  case MN_TCPS_FIN_WAIT_2:
    return LINUX_TCP_FIN_WAIT2;
  case MN_TCPS_TIME_WAIT:
    /* Linux hands TIME_WAIT to a separate mini-socket: the application's
     * own socket reports CLOSE from then on. */
  case MN_TCPS_CLOSED:
  default:
    return LINUX_TCP_CLOSE;
  }
}

/* Linux's loss-recovery state (tcp_set_ca_state). */
static uint8_t ca_state(const struct mn_tcp_sock *tp)
{
  if (tp->after_rto)
    return TCP_CA_Loss;
  if (tp->in_recovery)
    return TCP_CA_Recovery;
  if (tp->dupacks || tp->sacked.n)
    return TCP_CA_Disorder;
  return TCP_CA_Open; /* never CWR: no ECN, no local congestion */
}

static uint32_t segs(const struct mn_tcp_sock *tp, uint32_t bytes)
{
  uint32_t mss = tp->mss ? tp->mss : MN_TCP_DEFAULT_MSS;
  return (bytes + mss - 1) / mss;
}

/* Milliseconds since t; a time never set reads as the time since the
 * clock's origin, as Linux's jiffies-based fields do for "never". */
static uint32_t ms_ago(mynet_time now, mynet_time t)
{
  return (uint32_t)((now - t) / 1000);
}

static uint32_t sacked_segs(const struct mn_tcp_sock *tp)
{
  uint32_t n = 0;
  for (int i = 0; i < tp->sacked.n; i++)
    n += segs(tp, tp->sacked.r[i].end - tp->sacked.r[i].start);
  return n;
}

/* The largest window we would offer now: buffer, clamp and scaling. */
static uint32_t window_max(const struct mn_tcp_sock *tp)
{
  uint64_t max = (uint64_t)65535 << tp->rcv_wscale;
  return (uint32_t)(tp->rcv.cap < max ? tp->rcv.cap : max);
}

static void fill_listener(const struct mn_tcp_sock *tp, struct tcp_info *i)
{
  /* Linux reports a listener's accept queue in tcpi_unacked and its
   * backlog in tcpi_sacked, and little else. */
  i->tcpi_unacked = (uint32_t)tp->aq_len;
  i->tcpi_sacked = (uint32_t)tp->backlog;
}

static void fill_connection(const struct mn_tcp_sock *tp, struct tcp_info *i,
                            struct tcp_info_tail *x)
{
  const struct mn_tcp_stats *st = &tp->stats;
  mynet_time now = tp->sk.st->now;
  bool synced = tp->state >= MN_TCPS_SYN_SENT || st->segs_in || st->segs_out;
  i->tcpi_ca_state = ca_state(tp);
  i->tcpi_retransmits = (uint8_t)tp->rexmt_count;
  i->tcpi_probes = (uint8_t)(tp->probes_out ? tp->probes_out : tp->keep_probes);
  i->tcpi_backoff = (uint8_t)tp->backoff;
  if (tp->ts_ok)
    i->tcpi_options |= TCPI_OPT_TIMESTAMPS;
  if (tp->sack_ok)
    i->tcpi_options |= TCPI_OPT_SACK;
  if (tp->ws_ok) {
    i->tcpi_options |= TCPI_OPT_WSCALE;
    i->tcpi_snd_wscale = tp->snd_wscale & 0xf;
    i->tcpi_rcv_wscale = tp->rcv_wscale & 0xf;
  }
  i->tcpi_rto = (uint32_t)mn_tcp_rto_now(tp);
  i->tcpi_ato = st->data_segs_in ? (uint32_t)MN_TCP_DELACK : 0;
  i->tcpi_snd_mss = tp->mss ? tp->mss : MN_TCP_DEFAULT_MSS;
  i->tcpi_rcv_mss = synced ? tp->rcv_mss : 0;
  i->tcpi_unacked = segs(tp, tp->snd_max - tp->snd_una);
  i->tcpi_sacked = sacked_segs(tp);
  uint32_t lost, retrans;
  mn_tcp_scoreboard(tp, &lost, &retrans);
  i->tcpi_lost = segs(tp, lost);
  i->tcpi_retrans = segs(tp, retrans);
  i->tcpi_last_data_sent = ms_ago(now, st->last_data_sent);
  i->tcpi_last_data_recv = ms_ago(now, st->last_data_recv);
  i->tcpi_last_ack_recv = ms_ago(now, st->last_ack_recv);
  i->tcpi_pmtu = tp->pmtu;
  i->tcpi_rtt = (uint32_t)tp->srtt;
  /* Before a sample, Linux's mdev holds the initial RTO's share. */
  i->tcpi_rttvar = (uint32_t)(tp->srtt ? tp->rttvar : MN_TCP_RTO_INIT / 4);
  i->tcpi_snd_ssthresh = tp->ssthresh && tp->ssthresh < LINUX_INFINITE_SSTHRESH
                             ? tp->ssthresh / i->tcpi_snd_mss
                             : LINUX_INFINITE_SSTHRESH;
  i->tcpi_snd_cwnd = tp->cwnd ? tp->cwnd / i->tcpi_snd_mss : MN_TCP_INIT_CWND_SEGS;
  if (tp->adv_mss) {
    /* As Linux, the MSS we advertised less the timestamp option. */
    i->tcpi_advmss = tp->adv_mss - (tp->ts_ok ? 12 : 0);
    /* No receive-buffer autotuning: the space and the threshold the
     * window grows to are the whole window. */
    i->tcpi_rcv_ssthresh = window_max(tp);
    i->tcpi_rcv_space = window_max(tp);
  }
  i->tcpi_total_retrans = st->total_retrans;
  i->tcpi_bytes_acked = st->bytes_acked;
  i->tcpi_bytes_received = st->bytes_received;
  i->tcpi_segs_out = st->segs_out;
  i->tcpi_segs_in = st->segs_in;
  i->tcpi_notsent_bytes = mn_tcp_unsent_bytes(tp);
  i->tcpi_min_rtt = st->min_rtt ? (uint32_t)st->min_rtt : UINT32_MAX;
  i->tcpi_data_segs_in = st->data_segs_in;
  i->tcpi_data_segs_out = st->data_segs_out;
  i->tcpi_delivery_rate = st->delivery_rate;
  i->tcpi_delivered = st->delivered;
  i->tcpi_bytes_sent = st->bytes_sent;
  i->tcpi_bytes_retrans = st->bytes_retrans;
  i->tcpi_dsack_dups = st->dsack_dups;
  i->tcpi_reord_seen = st->reord_seen;
  i->tcpi_rcv_ooopack = st->rcv_ooopack;
  i->tcpi_snd_wnd = tp->snd_wnd;
  x->rcv_wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
  x->total_rto = (uint16_t)st->total_rto;
  x->total_rto_recoveries = (uint16_t)st->total_rto_recoveries;
  mynet_time rto_time = st->rto_time + (tp->rexmt_count ? now - st->rto_start : 0);
  x->total_rto_time = (uint32_t)(rto_time / 1000);
}

int mn_tcp_get_info(const struct mn_tcp_sock *tp, void *val, socklen_t *len)
{
  union {
    struct tcp_info info;
    uint8_t bytes[INFO_LEN];
  } out;
  struct tcp_info_tail tail;
  memset(&out, 0, sizeof(out));
  memset(&tail, 0, sizeof(tail));
  struct tcp_info *i = &out.info;
  i->tcpi_state = linux_state(tp->state);
  /* The stack never paces: the rates are unlimited, as Linux reports an
   * unset pacing rate. */
  i->tcpi_pacing_rate = UINT64_MAX;
  i->tcpi_max_pacing_rate = UINT64_MAX;
  i->tcpi_reordering = tp->reordering ? tp->reordering : MN_TCP_DUPTHRESH;
  i->tcpi_snd_cwnd = MN_TCP_INIT_CWND_SEGS;
  if (tp->state == MN_TCPS_LISTEN)
    fill_listener(tp, i);
  else
    fill_connection(tp, i, &tail);
  memcpy(out.bytes + TAIL_OFFSET, &tail, sizeof(tail));
  /* do_tcp_getsockopt(): min(len, size) bytes, and that length back. */
  socklen_t n = *len < INFO_LEN ? *len : (socklen_t)INFO_LEN;
  if (n && !val)
    return -EFAULT;
  if (n)
    memcpy(val, out.bytes, n);
  *len = n;
  return 0;
}
