/* TCP connection states (RFC 9293 3.3.2), ordered as in BSD so that "has
 * reached ESTABLISHED" and "has received a FIN" are cheap tests. */
#ifndef MN_TCP_FSM_H
#define MN_TCP_FSM_H

enum mn_tcp_state {
  MN_TCPS_CLOSED = 0,
  MN_TCPS_LISTEN,
  MN_TCPS_SYN_SENT,
  MN_TCPS_SYN_RECEIVED,
  MN_TCPS_ESTABLISHED,
  MN_TCPS_CLOSE_WAIT,
  MN_TCPS_FIN_WAIT_1,
  MN_TCPS_CLOSING,
  MN_TCPS_LAST_ACK,
  MN_TCPS_FIN_WAIT_2,
  MN_TCPS_TIME_WAIT,
};

#define MN_TCPS_HAVE_ESTABLISHED(s) ((s) >= MN_TCPS_ESTABLISHED)
/* Our FIN has been queued: no more data may be added. */
#define MN_TCPS_SENT_FIN(s) ((s) >= MN_TCPS_FIN_WAIT_1)
/* Our FIN has been acknowledged: nothing of ours is left to send. */
#define MN_TCPS_FIN_ACKED(s) ((s) == MN_TCPS_FIN_WAIT_2 || (s) == MN_TCPS_TIME_WAIT)
#define MN_TCPS_HAVE_RCVD_FIN(s)                                                                   \
  ((s) == MN_TCPS_CLOSE_WAIT || (s) == MN_TCPS_CLOSING || (s) == MN_TCPS_LAST_ACK ||               \
   (s) == MN_TCPS_TIME_WAIT)

const char *mn_tcp_state_name(enum mn_tcp_state s);

#endif
