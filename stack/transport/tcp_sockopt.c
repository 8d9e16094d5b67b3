/* TCP's socket options (IPPROTO_TCP), and what TCP does when a SOL_SOCKET
 * option changes.  As in sockopt.c, each option is honoured with Linux's
 * semantics, checked against the kernel (do_tcp_setsockopt and
 * do_tcp_getsockopt), or refused with ENOPROTOOPT; the behaviour behind
 * each lives with the code it changes (input, output, timers). */
#include "transport/tcp_impl.h"

#include "stack_impl.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43 /* Linux 5.16 */
#endif

/* Linux's limits (include/net/tcp.h). */
#define MAX_TCP_SYNCNT 127
#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPCNT 127
#define TCP_MIN_MSS 88
#define MAX_TCP_WINDOW 32767
#define TCP_FIN_TIMEOUT_MAX MYNET_SEC(120)
#define TCP_CA_NAME_MAX 16
#define SOMAXCONN_DEFAULT 4096
/* The smallest clamp TCP_WINDOW_CLAMP sets: half of Linux's smallest
 * receive buffer (SOCK_MIN_RCVBUF / 2). */
#define WINDOW_CLAMP_MIN 1152
/* Quick-ACK mode lasts this many ACKs (Linux's TCP_MAX_QUICKACKS). */
#define MAX_QUICKACKS 16

/* TCP_DEFER_ACCEPT: Linux keeps the number of SYN-ACK timeouts (1 s,
 * doubling up to 120 s) whose periods add up to the seconds asked for,
 * and getsockopt turns that back into the end of the last period: 5 s
 * reads back as 7. */
static uint8_t defer_from_secs(int secs)
{
  const int first = (int)(MN_TCP_RTO_INIT / MYNET_SEC(1)),
            max = (int)(MN_TCP_RTO_MAX / MYNET_SEC(1));
  if (secs <= 0)
    return 0;
  uint8_t n = 1;
  for (int timeout = first, period = first; secs > period && n < 255; n++) {
    timeout = MN_MIN(timeout * 2, max);
    period += timeout;
  }
  return n;
}

static int defer_to_secs(uint8_t n)
{
  const int first = (int)(MN_TCP_RTO_INIT / MYNET_SEC(1)),
            max = (int)(MN_TCP_RTO_MAX / MYNET_SEC(1));
  int period = 0;
  for (int i = 0, timeout = first; i < n; i++, timeout = MN_MIN(timeout * 2, max))
    period += timeout;
  return period;
}

/* The name is copied up to TCP_CA_NAME_MAX - 1 bytes and stops at a NUL. */
static int set_congestion(struct mn_tcp_sock *tp, const void *val, socklen_t len)
{
  char name[TCP_CA_NAME_MAX] = {0};
  if ((int)len < 1)
    return -EINVAL;
  if (!val)
    return -EFAULT;
  memcpy(name, val, MN_MIN((size_t)len, sizeof(name) - 1));
  int kind = mn_tcp_cc_find(name);
  if (kind < 0)
    return kind;
  tp->cc = (enum mn_tcp_cc_kind)kind;
  if (MN_TCPS_HAVE_ESTABLISHED(tp->state))
    mn_tcp_cc(tp->cc)->init(tp);
  return 0;
}

static int get_congestion(const struct mn_tcp_sock *tp, void *val, socklen_t *len)
{
  /* Linux copies its whole zero-padded name field. */
  char name[TCP_CA_NAME_MAX] = {0};
  strncpy(name, mn_tcp_cc(tp->cc)->name, sizeof(name) - 1);
  return mn_sockopt_put(val, len, name, sizeof(name));
}

/* TCP_QUICKACK 1: the pending ACK goes now, and, as in Linux's quick-ACK
 * mode, the next segments are acknowledged at once; not for ever: the
 * mode ends after MAX_QUICKACKS ACKs (Linux also leaves it by itself).
 * 0: delayed ACKs (Linux's "pingpong"), what getsockopt reports.  An
 * even value other than 0 pushes a pending ACK and then delays again. */
static void set_quickack(struct mn_tcp_sock *tp, int v)
{
  tp->pingpong = v == 0;
  tp->quick = v ? MAX_QUICKACKS : 0;
  if (!v || !(tp->state == MN_TCPS_ESTABLISHED || tp->state == MN_TCPS_CLOSE_WAIT) ||
      !tp->unacked_segs)
    return;
  tp->ack_now = true;
  mn_tcp_output(tp);
  if (!(v & 1)) {
    tp->pingpong = true;
    tp->quick = 0;
  }
}

static int set_window_clamp(struct mn_tcp_sock *tp, int v)
{
  if (v == 0) {
    if (tp->state != MN_TCPS_CLOSED)
      return -EINVAL;
    tp->window_clamp = 0;
    return 0;
  }
  tp->window_clamp = v < WINDOW_CLAMP_MIN ? WINDOW_CLAMP_MIN : (uint32_t)v;
  return 0;
}

/* A SOL_SOCKET option the common code has stored. */
static int socket_option_changed(struct mn_tcp_sock *tp, int name)
{
  switch (name) {
  case SO_KEEPALIVE:
    if (MN_TCPS_HAVE_ESTABLISHED(tp->state) && tp->state != MN_TCPS_TIME_WAIT) {
      if (tp->sk.keepalive)
        mn_tcp_arm_keepalive(tp);
      else
        mn_timer_cancel(&tp->sk.st->timers, &tp->t_keep);
    }
    return 0;
  case SO_RCVBUF:
  case SO_RCVBUFFORCE:
  case SO_SNDBUF:
  case SO_SNDBUFFORCE:
    mn_tcp_apply_buffer_sizes(tp);
    return 0;
  default:
    return 0;
  }
}

static int set_int_option(struct mn_tcp_sock *tp, int name, int v)
{
  struct mynet_sock *s = &tp->sk;
  switch (name) {
  case TCP_NODELAY:
    tp->nodelay = v != 0;
    if (tp->nodelay)
      mn_tcp_output(tp);
    return 0;
  case TCP_CORK:
    tp->cork = v != 0;
    if (!tp->cork)
      mn_tcp_output(tp);
    return 0;
  case TCP_KEEPIDLE:
  case TCP_KEEPINTVL:
    if (v < 1 || v > MAX_TCP_KEEPIDLE)
      return -EINVAL;
    if (name == TCP_KEEPIDLE)
      tp->keepidle = MYNET_SEC(v);
    else
      tp->keepintvl = MYNET_SEC(v);
    if (s->keepalive && MN_TCPS_HAVE_ESTABLISHED(tp->state) && tp->state != MN_TCPS_TIME_WAIT)
      mn_tcp_arm_keepalive(tp);
    return 0;
  case TCP_KEEPCNT:
    if (v < 1 || v > MAX_TCP_KEEPCNT)
      return -EINVAL;
    tp->keepcnt = v;
    return 0;
  case TCP_USER_TIMEOUT:
    if (v < 0)
      return -EINVAL;
    tp->user_timeout = MYNET_MS(v);
    return 0;
  case TCP_MAXSEG:
    if (v && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW))
      return -EINVAL;
    tp->user_mss_set = v != 0;
    tp->user_mss = (uint16_t)v;
    return 0;
  case TCP_QUICKACK:
    set_quickack(tp, v);
    return 0;
  case TCP_SYNCNT:
    /* SYN retransmissions, or a listener's SYN-ACK retransmissions. */
    if (v < 1 || v > MAX_TCP_SYNCNT)
      return -EINVAL;
    tp->syn_retries = v;
    return 0;
  case TCP_LINGER2:
    /* How long an orphan waits in FIN_WAIT_2; negative: not at all. */
    tp->linger2 = v < 0 ? -1 : MN_MIN(MYNET_SEC(v), TCP_FIN_TIMEOUT_MAX);
    return 0;
  case TCP_DEFER_ACCEPT:
    tp->defer_accept = defer_from_secs(v);
    return 0;
  case TCP_WINDOW_CLAMP:
    return set_window_clamp(tp, v);
  case TCP_FASTOPEN:
    /* Linux's default (net.ipv4.tcp_fastopen = 1) has the server side
     * off: a listener takes the queue length and every connection still
     * goes through an ordinary handshake.  So does the stack's. */
    if (v < 0 || (tp->state != MN_TCPS_CLOSED && tp->state != MN_TCPS_LISTEN))
      return -EINVAL;
    tp->fastopen_qlen = MN_MIN(v, SOMAXCONN_DEFAULT);
    return 0;
  case TCP_FASTOPEN_CONNECT:
    /* No client Fast Open: what Linux answers with it disabled. */
    return v < 0 || v > 1 ? -EINVAL : -EOPNOTSUPP;
  case TCP_NOTSENT_LOWAT:
    tp->notsent_lowat = (uint32_t)v;
    mn_sock_wake(s); /* POLLOUT may have changed */
    return 0;
  case TCP_THIN_DUPACK:
    /* Obsolete: Linux checks the value and ignores it. */
    return v < 0 || v > 1 ? -EINVAL : 0;
  case TCP_TIMESTAMP:
    return -EPERM; /* Linux allows it in repair mode only */
  default:
    return -ENOPROTOOPT;
  }
}

int mn_tcp_setsockopt(struct mynet_sock *s, int level, int name, const void *val, socklen_t len)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (level == SOL_SOCKET)
    return socket_option_changed(tp, name);
  switch (name) {
  case TCP_CONGESTION:
    return set_congestion(tp, val, len);
  case TCP_ULP:
    /* No upper-layer protocols (kTLS...): Linux without the module
     * answers the same. */
    if ((int)len < 1)
      return -EINVAL;
    return val ? -ENOENT : -EFAULT;
  default:
    break;
  }
  int v;
  int rc = mn_sockopt_get_int(val, len, &v);
  return rc < 0 ? rc : set_int_option(tp, name, v);
}

static int get_int_option(const struct mn_tcp_sock *tp, int name, int *v)
{
  switch (name) {
  case TCP_NODELAY:
    *v = tp->nodelay;
    return 0;
  case TCP_CORK:
    *v = tp->cork;
    return 0;
  case TCP_KEEPIDLE:
    *v = (int)(tp->keepidle / MYNET_SEC(1));
    return 0;
  case TCP_KEEPINTVL:
    *v = (int)(tp->keepintvl / MYNET_SEC(1));
    return 0;
  case TCP_KEEPCNT:
    *v = tp->keepcnt;
    return 0;
  case TCP_USER_TIMEOUT:
    *v = (int)(tp->user_timeout / 1000);
    return 0;
  case TCP_MAXSEG:
    *v = MN_TCPS_HAVE_ESTABLISHED(tp->state) ? tp->mss
         : tp->user_mss_set                  ? tp->user_mss
                                             : MN_TCP_DEFAULT_MSS;
    return 0;
  case TCP_QUICKACK:
    *v = !tp->pingpong;
    return 0;
  case TCP_SYNCNT:
    *v = tp->syn_retries ? tp->syn_retries : MN_TCP_SYN_RETRIES;
    return 0;
  case TCP_LINGER2:
    *v = tp->linger2 < 0 ? -1
                         : (int)((tp->linger2 ? tp->linger2 : MN_TCP_FIN_TIMEOUT) / MYNET_SEC(1));
    return 0;
  case TCP_DEFER_ACCEPT:
    *v = defer_to_secs(tp->defer_accept);
    return 0;
  case TCP_WINDOW_CLAMP:
    /* Once connected, Linux reports the window the buffer allows. */
    *v = (int)(tp->window_clamp ? tp->window_clamp : tp->adv_mss ? mn_tcp_window_max(tp) : 0);
    return 0;
  case TCP_FASTOPEN:
    *v = tp->fastopen_qlen;
    return 0;
  case TCP_FASTOPEN_CONNECT:
  case TCP_THIN_DUPACK:
  case TCP_IS_MPTCP:
    *v = 0;
    return 0;
  case TCP_NOTSENT_LOWAT:
    *v = (int)tp->notsent_lowat;
    return 0;
  case TCP_TIMESTAMP:
    *v = (int)mn_tcp_ts_now(tp);
    return 0;
  default:
    return -ENOPROTOOPT;
  }
}

int mn_tcp_getsockopt(struct mynet_sock *s, int level, int name, void *val, socklen_t *len)
{
  struct mn_tcp_sock *tp = tcp_of(s);
  if (level == SOL_SOCKET) /* the one the common code asks for */
    return mn_sockopt_put_int(val, len, name == SO_ACCEPTCONN && tp->state == MN_TCPS_LISTEN);
  switch (name) {
  case TCP_INFO:
    return mn_tcp_get_info(tp, val, len);
  case TCP_CONGESTION:
    return get_congestion(tp, val, len);
  case TCP_ULP:
  case TCP_CC_INFO:
    /* No upper-layer protocol; CUBIC and Reno have no extra figures. */
    *len = 0;
    return 0;
  default:
    break;
  }
  int v;
  int rc = get_int_option(tp, name, &v);
  return rc < 0 ? rc : mn_sockopt_put_int(val, len, v);
}
