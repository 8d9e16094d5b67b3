/* The TCP control block and the functions the TCP files share.  Variable
 * names follow RFC 9293 (snd_una, snd_nxt, rcv_nxt, snd_wl1...). */
#ifndef MN_TCP_IMPL_H
#define MN_TCP_IMPL_H

#include "core/ring.h"
#include "core/timer.h"
#include "socket_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"
#include "transport/tcp_fsm.h"
#include "transport/tcp_seq.h"
#include "transport/tcp_seqset.h"
#include "wire/tcp.h"

#include <stdbool.h>
#include <stdint.h>

/* Linux's constants where the RFCs leave a choice, so behaviour compares
 * one to one with the kernel. */
#define MN_TCP_RTO_MIN MYNET_MS(200) /* RFC 6298 says 1 s; Linux uses 200 ms */
#define MN_TCP_RTO_MAX MYNET_SEC(120)
#define MN_TCP_RTO_INIT MYNET_SEC(1)     /* RFC 6298 2.1 */
#define MN_TCP_RTO_FALLBACK MYNET_SEC(3) /* RFC 6298 5.7: after a lost SYN */
#define MN_TCP_DELACK MYNET_MS(40)       /* Linux's minimum delayed-ACK time */
#define MN_TCP_TLP_FLOOR MYNET_MS(2)     /* Linux's TCP_TIMEOUT_MIN (2 jiffies at HZ=1000) */
#define MN_TCP_MSL MYNET_SEC(30)         /* TIME_WAIT lasts 2*MSL = 60 s, as on Linux */
#define MN_TCP_FIN_TIMEOUT MYNET_SEC(60) /* orphaned FIN_WAIT_2 */
#define MN_TCP_SYN_RETRIES 6
#define MN_TCP_SYNACK_RETRIES 5
#define MN_TCP_RETRIES2 15
#define MN_TCP_ORPHAN_RETRIES 8
#define MN_TCP_KEEPIDLE MYNET_SEC(7200)
#define MN_TCP_KEEPINTVL MYNET_SEC(75)
#define MN_TCP_KEEPCNT 9
#define MN_TCP_DEFAULT_MSS 536   /* RFC 9293 3.7.1 without an MSS option */
#define MN_TCP_INIT_CWND_SEGS 10 /* RFC 6928 */
#define MN_TCP_WSCALE 7          /* what Linux offers by default */
#define MN_TCP_MAX_TIME_WAIT 4096
#define MN_TCP_CHALLENGE_ACK_PER_SEC 1000 /* RFC 5961 10 */
#define MN_TCP_DUPTHRESH 3
#define MN_TCP_TIMERS 4 /* t_rexmt, t_delack, t_keep, t_reorder */
/* Full segments one batched ACK may cover.  Fewer ACKs cost fewer system
 * calls, but each lost ACK then leaves the sender without news of more
 * data: a small window (after losses) needs an ACK every second segment.
 * So the limit starts at 2, doubles when one batch brings at least four
 * times the limit in order (the window then still sees four ACKs or
 * more), and drops back to 2 when anything arrives out of order. */
#define MN_TCP_ACK_BATCH_MIN 2
#define MN_TCP_ACK_BATCH_MAX 16
/* Default buffer sizes: Linux starts at tcp_rmem[1] = 128 KiB and grows;
 * with no autotuning yet we start larger so a LAN transfer is not
 * window-limited. */
#define MN_TCP_RCVBUF_DEFAULT (1024 * 1024)
#define MN_TCP_SNDBUF_DEFAULT (1024 * 1024)

/* What connect() remembers beside the TCP state, as the kernel's socket
 * state does: it decides between EINPROGRESS, EALREADY, 0 and EISCONN. */
enum mn_tcp_connect_state { MN_SS_UNCONNECTED, MN_SS_CONNECTING, MN_SS_CONNECTED };

/* What one connection did, for TCP_INFO (tcp_info.c): counted where it
 * happens, in RFC 4898's terms where Linux uses them.  Zeroed when a
 * socket connects again, as Linux's tcp_disconnect() does. */
struct mn_tcp_stats {
  uint64_t bytes_acked;                 /* sequence space the peer acknowledged (our FIN too) */
  uint64_t bytes_received;              /* sequence space received in order (the peer's FIN too) */
  uint64_t bytes_sent;                  /* payload sent, retransmissions included */
  uint64_t bytes_retrans;               /* payload retransmitted */
  uint32_t segs_out, segs_in;           /* every segment, pure ACKs included */
  uint32_t data_segs_out, data_segs_in; /* segments carrying payload */
  uint32_t total_retrans;               /* segments retransmitted (SYNs too) */
  uint32_t delivered;                   /* segments the peer got: acknowledged or SACKed */
  uint32_t dsack_dups;                  /* segments a D-SACK reported received twice */
  uint32_t reord_seen;                  /* holes filled without a retransmission */
  uint32_t rcv_ooopack;                 /* segments received out of order and kept */
  uint32_t total_rto, total_rto_recoveries;
  mynet_time rto_time;  /* time spent retransmitting after timeouts, finished episodes */
  mynet_time rto_start; /* when the current episode began (rexmt_count > 0) */
  mynet_time last_data_sent, last_data_recv, last_ack_recv;
  mynet_time min_rtt, min_rtt_at; /* the smallest RTT sample of the last 5 minutes */
  /* Delivery rate: bytes delivered since rate_start while an interval
   * runs, and the last complete sample in bytes per second. */
  bool rate_running;
  uint64_t rate_bytes;
  mynet_time rate_start;
  uint64_t delivery_rate;
};

struct mn_tcp_sock {
  struct mynet_sock sk;
  enum mn_tcp_state state;
  enum mn_tcp_connect_state ss;
  bool hashed;               /* in the connection or listener table */
  bool proto_ref;            /* the protocol's reference on sk is held */
  struct mn_tcp_sock *hnext; /* connection hash chain, or listener list */

  /* Passive open: the listener, and its queues of children. */
  struct mn_tcp_sock *listener;
  struct mn_tcp_sock *aq_next; /* accept queue link */
  struct mn_tcp_sock *aq_head, *aq_tail;
  int aq_len, syn_len, backlog;

  /* Send sequence space (RFC 9293 3.3.1). */
  uint32_t iss, snd_una, snd_nxt, snd_max;
  uint32_t snd_sml; /* end of the last small segment sent (Minshall's Nagle) */
  uint32_t snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
  uint8_t snd_wscale, rcv_wscale;
  bool ws_ok, ts_ok, sack_ok;
  uint16_t peer_mss;  /* from the peer's SYN */
  uint16_t mss;       /* payload bytes per segment we send, options excluded */
  uint16_t adv_mss;   /* what we advertise */
  struct mn_ring snd; /* bytes from snd_una on, sent or not */
  bool fin_queued;    /* the application is done sending */
  bool rst_on_close;

  /* Receive sequence space. */
  uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge we advertised */
  struct mn_ring rcv;             /* in-order bytes, then out-of-order ones at their offset */
  struct mn_seqset ofo;
  bool dsack;                      /* report [dsack_start, dsack_end) received twice (RFC 2883) */
  uint32_t dsack_start, dsack_end; /* out-of-order ranges above rcv_nxt */
  bool ofo_fin;                    /* a FIN came ahead of a hole, at ofo_fin_seq */
  uint32_t ofo_fin_seq;
  bool rcv_shut; /* FIN received or SHUT_RD: reads end at the data */
  bool snd_shut; /* SHUT_WR or close: writes fail with EPIPE */
  bool done;     /* closed after reset or orderly end: reads give 0 */
  bool fin_rcvd; /* the stream ended in order (Linux's SOCK_DONE) */

  /* RFC 7323 timestamps. */
  uint32_t ts_recent, ts_offset, last_ack_sent;

  /* RFC 6298 round-trip estimation, in microseconds. */
  mynet_time srtt, rttvar, rto;
  int backoff;
  bool rtt_timing;
  uint32_t rtt_seq;
  mynet_time rtt_start;
  mynet_time last_rcv;         /* for keepalive idle time */
  mynet_time first_unacked_at; /* TCP_USER_TIMEOUT reference */

  /* Congestion control (RFC 5681, 6582, 6675). */
  enum mn_tcp_cc_kind cc;
  struct mn_cubic cubic;
  uint32_t cwnd, ssthresh;
  int dupacks;
  bool in_recovery;
  uint32_t recover;                    /* RecoveryPoint / NewReno "recover"; starts at the ISS */
  uint32_t high_rxt;                   /* RFC 6675 HighRxt */
  struct mn_seqset sacked;             /* the scoreboard */
  uint32_t rxt_fence;                  /* snd_max when a hole was last retransmitted */
  uint32_t prior_cwnd, prior_ssthresh; /* before this recovery, for an undo */
  int undo_retrans;                    /* retransmissions not yet shown spurious by a D-SACK */
  struct mn_seqset rexmitted;          /* what this recovery retransmitted: only a D-SACK of
                                          these shows a spurious retransmission, not one
                                          of a copy the network made */
  bool undo_possible;
  bool after_rto; /* going back over [snd_una, recover) after a timeout */
  bool tlp;       /* t_rexmt is a tail loss probe timeout (RFC 8985 7) */
  bool tlp_sent;  /* a probe is out; no other until new data is acknowledged */
  uint32_t prr_delivered;
  /* RFC 8985's reordering window, at the entry into recovery: once the
   * path has been seen to reorder, a loss the duplicate threshold
   * suggests is acted on only after the window has passed with the hole
   * still open (t_reorder), so late segments are not resent.  The window
   * is min_RTT/4 times steps, at most SRTT; a D-SACK of a retransmission
   * adds a step, and 16 recoveries without one take the steps back to 1,
   * as Linux's tcp_rack_update_reo_wnd(). */
  mynet_time loss_suspected_at; /* when the threshold was first met; 0: not now */
  uint8_t reo_wnd_steps;
  /* How far the path has reordered, in segments (Linux's tp->reordering:
   * 3 to start, raised to the distance of a reordering seen, at most
   * 300); reported in TCP_INFO only, the duplicate threshold stays 3. */
  uint16_t reordering;
  uint8_t reo_wnd_persist; /* recoveries left before the steps go back to 1 */
  bool reo_wnd_grown;      /* a step was added in this recovery */

  /* Delayed ACK (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3). */
  int unacked_segs;
  bool ack_now;
  bool ack_deferred;
  uint16_t ack_batch;   /* segments a batched ACK may cover now */
  uint64_t batch_epoch; /* the receive batch batch_rcvd counts in */
  uint32_t batch_rcvd;  /* on the stack's list of ACKs sent after the batch */
  struct mn_tcp_sock *ack_next;
  uint8_t quick;    /* ACKs still to send at once (TCP_QUICKACK's quick-ACK mode) */
  bool pingpong;    /* TCP_QUICKACK 0 was asked for (what getsockopt reports) */
  uint16_t rcv_mss; /* largest segment the peer sent: what "full-sized" means */

  /* Timers (MN_TCP_TIMERS of them). */
  struct mn_timer t_rexmt; /* retransmission, or persist when the window is zero */
  bool persist;            /* t_rexmt is the persist timer */
  int rexmt_count;
  int probes_out; /* zero-window probes since the peer last answered */
  struct mn_timer t_delack;
  struct mn_timer t_keep;    /* keepalive, connection establishment, FIN_WAIT_2, TIME_WAIT */
  struct mn_timer t_reorder; /* the reordering window before recovery (loss_suspected_at) */
  int keep_probes;

  /* Options (tcp_sockopt.c). */
  bool nodelay, cork, keepalive_on;
  mynet_time keepidle, keepintvl;
  int keepcnt;
  mynet_time user_timeout;
  int soft_error;
  int syn_retries; /* TCP_SYNCNT; 0: Linux's defaults */
  bool user_mss_set;
  uint16_t user_mss;
  mynet_time linger2;     /* TCP_LINGER2: orphaned FIN_WAIT_2; 0: default, < 0: none */
  uint8_t defer_accept;   /* TCP_DEFER_ACCEPT, in SYN-ACK timeouts as Linux keeps it */
  bool defer_acked;       /* a child whose bare ACK was held back by defer_accept */
  uint32_t window_clamp;  /* TCP_WINDOW_CLAMP; 0: none */
  int fastopen_qlen;      /* TCP_FASTOPEN (kept; Fast Open itself is not done) */
  uint32_t notsent_lowat; /* TCP_NOTSENT_LOWAT; 0: no limit */

  uint16_t pmtu; /* the route's MTU when the connection was set up */
  struct mn_tcp_stats stats;
};

struct mn_tcp_table {
  struct mn_tcp_sock **conn; /* hash of connections by 4-tuple */
  size_t conn_buckets;
  struct mn_tcp_sock *listeners;
  uint64_t secret[2]; /* RFC 6528 / 6056 key */
  uint32_t port_counter;
  int time_wait_count;
  int challenge_tokens;
  mynet_time challenge_second;
  uint64_t bound_count;
  bool loss_probes;
  struct mn_tcp_sock
      *deferred_acks; /* RFC 8985 tail loss probes (Linux: net.ipv4.tcp_early_retrans) */
};

static inline struct mn_tcp_sock *tcp_of(struct mynet_sock *s)
{
  return (struct mn_tcp_sock *)s;
}

/* tcp.c */
/* Tail loss probes on or off for the whole stack (on by default), so a
 * test can watch the retransmission timer alone. */
void mn_tcp_set_loss_probes(struct mynet_stack *st, bool on);
void mn_tcp_set_state(struct mn_tcp_sock *tp, enum mn_tcp_state s);
void mn_tcp_hash(struct mn_tcp_sock *tp);
void mn_tcp_unhash(struct mn_tcp_sock *tp);
struct mn_tcp_sock *mn_tcp_lookup(struct mynet_stack *st, uint32_t laddr, uint16_t lport,
                                  uint32_t raddr, uint16_t rport);
/* The listener for a SYN that arrived on interface in_if. */
struct mn_tcp_sock *mn_tcp_lookup_listener(struct mynet_stack *st, uint32_t laddr, uint16_t lport,
                                           int in_if);
struct mn_tcp_sock *mn_tcp_new_child(struct mn_tcp_sock *listener);
uint32_t mn_tcp_isn(struct mynet_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                    uint16_t rport);
/* The connection is over: unhash, stop timers, wake the owner, drop the
 * protocol's reference (which may free tp: touch nothing after). */
void mn_tcp_close_final(struct mn_tcp_sock *tp);
/* Abort with an error for the application (0 = none): RST already sent
 * or not needed. */
void mn_tcp_drop(struct mn_tcp_sock *tp, int err);
void mn_tcp_enter_established(struct mn_tcp_sock *tp);
void mn_tcp_setup_mss(struct mn_tcp_sock *tp);
uint32_t mn_tcp_rcv_window(const struct mn_tcp_sock *tp);
/* The largest window we would ever offer: buffer, clamp and scaling. */
uint32_t mn_tcp_window_max(const struct mn_tcp_sock *tp);
/* SO_RCVBUF and SO_SNDBUF: a ring is resized once it is empty (and the
 * receive ring never below the window already offered). */
void mn_tcp_apply_buffer_sizes(struct mn_tcp_sock *tp);
/* The application has closed tp and its FIN was acknowledged: wait in
 * FIN_WAIT_2 as TCP_LINGER2 says.  Returns false if tp was closed. */
bool mn_tcp_orphan_fin_wait_2(struct mn_tcp_sock *tp);
/* SO_SNDBUF or TCP_NOTSENT_LOWAT: room for more data (POLLOUT). */
bool mn_tcp_writable(const struct mn_tcp_sock *tp);
void mn_tcp_reset_timers(struct mn_tcp_sock *tp);

/* tcp_output.c */
/* Send what the windows, Nagle and the state allow, and any ACK owed. */
void mn_tcp_output(struct mn_tcp_sock *tp);
/* Send one segment now; data comes from the send ring at seq. */
int mn_tcp_send_segment(struct mn_tcp_sock *tp, uint32_t seq, uint8_t flags, uint32_t len);
void mn_tcp_send_ack(struct mn_tcp_sock *tp);
/* The receive window to advertise now, in bytes (before scaling). */
uint32_t mn_tcp_select_window(const struct mn_tcp_sock *tp);
/* RST in reply to a segment that has no connection (RFC 9293 3.10.7.1). */
void mn_tcp_send_rst_for(struct mynet_stack *st, const struct mn_ipv4_hdr *ip,
                         const struct mn_tcp_hdr *th, uint32_t seglen);
void mn_tcp_send_rst(struct mn_tcp_sock *tp);
/* A challenge ACK (RFC 5961), rate limited across the stack. */
void mn_tcp_send_challenge_ack(struct mn_tcp_sock *tp);
uint32_t mn_tcp_ts_now(const struct mn_tcp_sock *tp);
void mn_tcp_retransmit_lost(struct mn_tcp_sock *tp);
/* Is there data, or our FIN, not sent yet? */
bool mn_tcp_unsent(const struct mn_tcp_sock *tp);
/* Sequence space queued and not yet acknowledged, and the part of it not
 * yet sent: data plus our FIN once queued, as Linux's write_seq counts
 * (SIOCOUTQ, SIOCOUTQNSD, tcpi_notsent_bytes). */
uint32_t mn_tcp_unacked_bytes(const struct mn_tcp_sock *tp);
uint32_t mn_tcp_unsent_bytes(const struct mn_tcp_sock *tp);
/* RFC 6675's view of the outstanding data: bytes in holes judged lost,
 * and bytes retransmitted that are still in flight. */
void mn_tcp_scoreboard(const struct mn_tcp_sock *tp, uint32_t *lost, uint32_t *retrans);
/* The persist timer fired: send what the window allows, or probe it. */
void mn_tcp_send_probe(struct mn_tcp_sock *tp);

/* tcp_sockopt.c */
int mn_tcp_setsockopt(struct mynet_sock *s, int level, int name, const void *val, socklen_t len);
int mn_tcp_getsockopt(struct mynet_sock *s, int level, int name, void *val, socklen_t *len);

/* tcp_info.c */
/* getsockopt(TCP_INFO): Linux's struct tcp_info, min(*len, its size)
 * bytes, *len set to what was copied. */
int mn_tcp_get_info(const struct mn_tcp_sock *tp, void *val, socklen_t *len);

/* tcp_timer.c */
void mn_tcp_timers_init(struct mn_tcp_sock *tp);
void mn_tcp_arm_rexmt(struct mn_tcp_sock *tp);
void mn_tcp_arm_persist(struct mn_tcp_sock *tp);
void mn_tcp_cancel_rexmt(struct mn_tcp_sock *tp);
void mn_tcp_arm_delack(struct mn_tcp_sock *tp);
void mn_tcp_arm_keepalive(struct mn_tcp_sock *tp);
void mn_tcp_arm_keep(struct mn_tcp_sock *tp, mynet_time after);
void mn_tcp_rtt_sample(struct mn_tcp_sock *tp, mynet_time rtt);
/* The retransmission timeout with the current exponential backoff. */
mynet_time mn_tcp_rto_now(const struct mn_tcp_sock *tp);
/* New data was acknowledged: a run of retransmission timeouts is over. */
void mn_tcp_rto_recovered(struct mn_tcp_sock *tp);
void mn_tcp_enter_time_wait(struct mn_tcp_sock *tp);

#endif
