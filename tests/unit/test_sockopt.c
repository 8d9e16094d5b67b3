/* SOL_SOCKET and IP options: values, errnos and what getsockopt reports,
 * as the kernel gives them, and the behaviour behind each one. */
#include "helpers/peer.h"
#include "helpers/run.h"

#include <limits.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>

#define GW mn_ip4(192, 0, 2, 254)

static int get_rc(mynet_sock *s, int level, int name)
{
  int v;
  socklen_t len = sizeof(v);
  return mynet_getsockopt(s, level, name, &v, &len);
}

START_TEST(test_unknown_options_and_levels_get_linux_errnos)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *tcp = tn_socket(&t, SOCK_STREAM), *udp = tn_socket(&t, SOCK_DGRAM);
  mynet_sock *both[] = {tcp, udp};
  for (int i = 0; i < 2; i++) {
    mynet_sock *s = both[i];
    ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, 200, 1), -ENOPROTOOPT);
    ck_assert_int_eq(get_rc(s, SOL_SOCKET, 200), -ENOPROTOOPT);
    short two = 1; /* Linux checks the length before the name */
    ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, 200, &two, sizeof(two)), -EINVAL);
    ck_assert_int_eq(tn_set_int(s, IPPROTO_IP, 200, 1), -ENOPROTOOPT);
    ck_assert_int_eq(get_rc(s, IPPROTO_IP, 200), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, 99, 1, 1), -ENOPROTOOPT);
    ck_assert_int_eq(get_rc(s, 99, 1), -EOPNOTSUPP);
    /* Not done by the stack, known to Linux: refused, not pretended. */
    ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_TIMESTAMP, 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_NO_CHECK, 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_PEEK_OFF, 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_INCOMING_CPU, 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, IPPROTO_IP, IP_RECVERR, 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_set_int(s, IPPROTO_IP, IP_MTU_DISCOVER, 0), -ENOPROTOOPT);
    /* Timeouts are the caller's waits (the shim serves them). */
    ck_assert_int_eq(get_rc(s, SOL_SOCKET, SO_RCVTIMEO), -ENOPROTOOPT);
    /* Read-only options cannot be set. */
    static const int ro[] = {SO_TYPE,     SO_PROTOCOL, SO_DOMAIN, SO_ERROR,
                             SO_SNDLOWAT, SO_PEERNAME, SO_COOKIE, SO_ACCEPTCONN};
    for (size_t k = 0; k < sizeof(ro) / sizeof(ro[0]); k++)
      ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, ro[k], 1), -ENOPROTOOPT);
    ck_assert_int_eq(tn_get_int(s, SOL_SOCKET, SO_SNDLOWAT), 1);
    ck_assert_int_eq(tn_get_int(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
  }
  /* A protocol level on the other protocol's socket. */
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_TCP, TCP_NODELAY, 1), -ENOPROTOOPT);
  ck_assert_int_eq(get_rc(udp, IPPROTO_TCP, TCP_NODELAY), -EOPNOTSUPP);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_UDP, 1 /* UDP_CORK */, 1), -ENOPROTOOPT);
  ck_assert_int_eq(get_rc(udp, IPPROTO_UDP, 1), -ENOPROTOOPT);
  ck_assert_int_eq(get_rc(tcp, IPPROTO_UDP, 1), -EOPNOTSUPP);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_zerocopy_and_credential_passing_are_refused_and_msg_zerocopy_is_a_plain_send)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *udp = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_ZEROCOPY, 1), -EOPNOTSUPP);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_ZEROCOPY), 0);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_PASSCRED, 1), -EOPNOTSUPP);
  ck_assert_int_eq(get_rc(udp, SOL_SOCKET, SO_PASSCRED), -EOPNOTSUPP);
  struct iovec iov = {"zc", 2};
  struct sockaddr_in to = tn_sin(TN_PEER, 4000);
  ck_assert_int_eq(mynet_sendmsg(udp, &iov, 1, &to, MSG_ZEROCOPY), 2);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_ZEROCOPY, 1), -EOPNOTSUPP);
  ck_assert_int_eq(mynet_sendmsg(s, &iov, 1, NULL, MSG_ZEROCOPY), 2);
  peer_expect(&p, MN_TCP_ACK | MN_TCP_PSH, p.stack_iss + 1, p.snd_nxt, 2);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_flags_without_effect_are_kept_reported_and_inherited)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  mynet_sock *l = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_DEBUG, 1), 0);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_OOBINLINE, 1), 0);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_MARK, 77), 0);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_BUSY_POLL, 50), 0);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_BUSY_POLL, -1), -EINVAL);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_PRIORITY, 1000), 0);
  ck_assert_int_eq(tn_set_int(l, SOL_SOCKET, SO_BSDCOMPAT, 1), 0);
  ck_assert_int_eq(tn_get_int(l, SOL_SOCKET, SO_BSDCOMPAT), 0); /* ignored, as by Linux */
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(l, &a), 0);
  ck_assert_int_eq(mynet_listen(l, 4), 0);
  ck_assert_int_eq(tn_get_int(l, SOL_SOCKET, SO_ACCEPTCONN), 1);
  peer_syn_to_listener(&p);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(l, &c, NULL), 0);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_DEBUG), 1);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_OOBINLINE), 1);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_MARK), 77);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_BUSY_POLL), 50);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_PRIORITY), 1000);
  ck_assert_int_eq(tn_get_int(c, SOL_SOCKET, SO_ACCEPTCONN), 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_rcvlowat_and_buffer_sizes_follow_linux_rules)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *udp = tn_socket(&t, SOCK_DGRAM), *tcp = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_RCVLOWAT, -1), 0);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_RCVLOWAT), INT_MAX);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_RCVLOWAT, 0), 0);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_RCVLOWAT), 1);
  /* TCP's buffers never grow: at most half of it can be asked for. */
  ck_assert_int_eq(tn_set_int(tcp, SOL_SOCKET, SO_RCVLOWAT, 10000000), 0);
  ck_assert_int_eq(tn_get_int(tcp, SOL_SOCKET, SO_RCVLOWAT), MN_TCP_RCVBUF_DEFAULT / 2);
  ck_assert_int_eq(tn_set_int(tcp, SOL_SOCKET, SO_RCVBUF, 10000), 0);
  ck_assert_int_eq(tn_get_int(tcp, SOL_SOCKET, SO_RCVBUF), 20000);
  ck_assert_int_eq(tn_set_int(tcp, SOL_SOCKET, SO_RCVLOWAT, 100000), 0);
  ck_assert_int_eq(tn_get_int(tcp, SOL_SOCKET, SO_RCVLOWAT), 10000);
  /* A negative size is a huge one, except for the FORCE variants. */
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_RCVBUF, -1), 0);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_RCVBUF), MN_SOCK_BUF_MAX);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_SNDBUFFORCE, -1), 0);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_SNDBUF), 4608);
  /* SO_LINGER: the whole struct; switching off keeps the time. */
  int half = 1;
  ck_assert_int_eq(mynet_setsockopt(tcp, SOL_SOCKET, SO_LINGER, &half, sizeof(half)), -EINVAL);
  struct linger lg = {1, 5};
  ck_assert_int_eq(mynet_setsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  lg = (struct linger){0, 9};
  ck_assert_int_eq(mynet_setsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  socklen_t len = sizeof(lg);
  ck_assert_int_eq(mynet_getsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
  ck_assert_int_eq(lg.l_onoff, 0);
  ck_assert_int_eq(lg.l_linger, 5);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_receive_buffer_change_takes_effect_once_the_ring_is_empty)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  mynet_sock *s = peer_establish(&p, &t);
  peer_send(&p, MN_TCP_ACK | MN_TCP_PSH, "abc", 3);
  ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_SNDBUF, 50000), 0);
  ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_RCVBUF, 300000), 0);
  ck_assert_uint_eq(tcp_of(s)->snd.cap, 100000);                /* empty: at once */
  ck_assert_uint_eq(tcp_of(s)->rcv.cap, MN_TCP_RCVBUF_DEFAULT); /* holds data */
  char buf[4];
  ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), 3);
  /* Not below the window already offered (RFC 7323 2.4). */
  ck_assert_uint_eq(tcp_of(s)->rcv.cap, MN_TCP_RCVBUF_DEFAULT);
  ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_RCVBUF, 1000000), 0);
  ck_assert_uint_eq(tcp_of(s)->rcv.cap, 2000000);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_smaller_receive_buffer_bounds_the_window_at_once_and_the_ring_once_drained)
{
  struct tn t;
  tn_setup(&t, true);
  struct peer p;
  peer_init(&p, &t, 1000);
  p.so_rcvbuf = 20000; /* a 40000-byte ring */
  struct mn_tcp_opts o = peer_linux_opts();
  o.ws_set = false;
  mynet_sock *s = peer_open_active(&p, &o);
  ck_assert_int_eq(tn_set_int(s, SOL_SOCKET, SO_RCVBUF, 5000), 0);
  /* The window already offered is honoured (RFC 7323 2.4), never grown. */
  static uint8_t data[1000];
  char buf[sizeof(data)];
  for (int i = 0; i < 40; i++) {
    peer_send(&p, MN_TCP_ACK, data, sizeof(data));
    ck_assert_int_eq(peer_read(s, buf, sizeof(buf)), (ssize_t)sizeof(data));
    struct mn_pbuf *f;
    while ((f = tn_pop(&t)))
      mn_pbuf_free(f);
  }
  ck_assert_uint_eq(tcp_of(s)->rcv.cap, 10000);
  peer_send(&p, MN_TCP_ACK, data, 100);
  tn_advance(&t, MN_TCP_DELACK);
  struct mn_tcp_hdr h = peer_expect(&p, MN_TCP_ACK, p.stack_iss + 1, p.snd_nxt, 0);
  ck_assert_uint_le(h.win, 10000);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_cookie_peername_and_peercred_are_reported_as_linux_does)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *a = tn_socket(&t, SOCK_DGRAM), *b = tn_socket(&t, SOCK_STREAM);
  uint64_t c1 = 0, c2 = 0, c3 = 0;
  socklen_t len = sizeof(c1);
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_COOKIE, &c1, &len), 0);
  ck_assert_uint_eq(len, 8);
  len = 16;
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_COOKIE, &c2, &len), 0);
  ck_assert_uint_eq(len, 8);
  len = 8;
  ck_assert_int_eq(mynet_getsockopt(b, SOL_SOCKET, SO_COOKIE, &c3, &len), 0);
  ck_assert_uint_ne(c1, 0);
  ck_assert_uint_eq(c1, c2);
  ck_assert_uint_ne(c1, c3);
  len = 4;
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_COOKIE, &c1, &len), -EINVAL);
  struct sockaddr_in peer;
  len = sizeof(peer);
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_PEERNAME, &peer, &len), -ENOTCONN);
  struct sockaddr_in to = tn_sin(TN_PEER, 53);
  ck_assert_int_eq(mynet_connect(a, (struct sockaddr *)&to, sizeof(to)), 0);
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_PEERNAME, &peer, &len), 0);
  ck_assert_uint_eq(len, sizeof(peer));
  ck_assert_mem_eq(&peer, &to, sizeof(peer));
  uint8_t big[32];
  len = sizeof(big); /* more room than an address needs */
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_PEERNAME, big, &len), -EINVAL);
  len = 4;
  ck_assert_int_eq(mynet_getsockopt(a, SOL_SOCKET, SO_PEERNAME, big, &len), 0);
  ck_assert_uint_eq(len, 4);
  struct ucred cred;
  len = sizeof(cred);
  ck_assert_int_eq(mynet_getsockopt(b, SOL_SOCKET, SO_PEERCRED, &cred, &len), 0);
  ck_assert_int_eq(cred.pid, 0);
  ck_assert_int_eq((int)cred.uid, -1);
  ck_assert_int_eq((int)cred.gid, -1);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ip_tos_masks_ecn_for_tcp_and_sets_the_priority)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *tcp = tn_socket(&t, SOCK_STREAM), *udp = tn_socket(&t, SOCK_DGRAM);
  ck_assert_int_eq(tn_set_int(tcp, IPPROTO_IP, IP_TOS, 0xff), 0);
  ck_assert_int_eq(tn_get_int(tcp, IPPROTO_IP, IP_TOS), 0xfc);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TOS, 0xff), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_TOS), 0xff);
  /* rt_tos2priority(): Linux's pfifo_fast bands. */
  static const struct {
    int tos, prio;
  } bands[] = {{0x00, 0}, {0x02, 0}, {0x04, 0}, {0x08, 2}, {0x10, 6}, {0x18, 4}, {0xff, 4}};
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TOS, 0x01), 0);
  for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
    ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TOS, bands[i].tos), 0);
    ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_PRIORITY), bands[i].prio);
  }
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TOS, 0x100), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_TOS), 0);
  /* A byte is enough, and a byte comes back to a caller with less than
   * an int; no byte at all sets 0. */
  uint8_t b = 0xb8;
  ck_assert_int_eq(mynet_setsockopt(udp, IPPROTO_IP, IP_TOS, &b, 1), 0);
  b = 0;
  socklen_t len = 1;
  ck_assert_int_eq(mynet_getsockopt(udp, IPPROTO_IP, IP_TOS, &b, &len), 0);
  ck_assert_uint_eq(len, 1);
  ck_assert_uint_eq(b, 0xb8);
  ck_assert_int_eq(mynet_setsockopt(udp, IPPROTO_IP, IP_TOS, &b, 0), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_TOS), 0);
  /* IP_TTL: 1..255, -1 for the default. */
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TTL, 0), -EINVAL);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TTL, 256), -EINVAL);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TTL, -2), -EINVAL);
  ck_assert_int_eq(mynet_setsockopt(udp, IPPROTO_IP, IP_TTL, &b, 0), -EINVAL);
  b = 33;
  ck_assert_int_eq(mynet_setsockopt(udp, IPPROTO_IP, IP_TTL, &b, 1), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_TTL), 33);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TTL, -1), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_TTL), 64);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_tos_and_ttl_reach_the_ip_header_of_udp_and_tcp)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *udp = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TOS, 0x10), 0);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_TTL, 7), 0);
  ck_assert_int_eq(tn_send(udp, TN_PEER, 4000, "x", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  ck_assert_uint_eq(ip.tos, 0x10);
  ck_assert_uint_eq(ip.ttl, 7);
  /* TCP: the SYN and what follows, and the SYN-ACK of a listener's
   * connection (inherited). */
  mynet_sock *c = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(tn_set_int(c, IPPROTO_IP, IP_TOS, 0xb9), 0); /* ECN bits dropped */
  ck_assert_int_eq(tn_set_int(c, IPPROTO_IP, IP_TTL, 9), 0);
  tn_tcp_connect_start(c, TN_PEER, 80);
  struct mn_pbuf *pb = tn_expect_ipv4(&t, MN_IPPROTO_TCP, &ip);
  mn_pbuf_free(pb);
  ck_assert_uint_eq(ip.tos, 0xb8);
  ck_assert_uint_eq(ip.ttl, 9);
  mynet_sock *l = tn_tcp_listener(&t, PEER_STACK_PORT, 4);
  ck_assert_int_eq(tn_set_int(l, IPPROTO_IP, IP_TOS, 0x08), 0);
  ck_assert_int_eq(tn_set_int(l, IPPROTO_IP, IP_TTL, 3), 0);
  struct peer p;
  peer_init(&p, &t, 1000);
  peer_inject(&p, 1000, 0, MN_TCP_SYN, NULL, 0);
  pb = tn_expect_ipv4(&t, MN_IPPROTO_TCP, &ip);
  mn_pbuf_free(pb);
  ck_assert_uint_eq(ip.tos, 0x08);
  ck_assert_uint_eq(ip.ttl, 3);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ip_mtu_is_the_route_mtu_of_a_connected_socket)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *udp = tn_socket(&t, SOCK_DGRAM);
  ck_assert_int_eq(get_rc(udp, IPPROTO_IP, IP_MTU), -ENOTCONN);
  ck_assert_int_eq(tn_set_int(udp, IPPROTO_IP, IP_MTU, 1000), -ENOPROTOOPT);
  struct sockaddr_in to = tn_sin(TN_PEER, 53);
  ck_assert_int_eq(mynet_connect(udp, (struct sockaddr *)&to, sizeof(to)), 0);
  ck_assert_int_eq(tn_get_int(udp, IPPROTO_IP, IP_MTU), 1500);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_dontroute_reaches_only_the_link)
{
  struct tn t;
  tn_setup(&t, true);
  ck_assert_int_eq(mn_route_add(t.st, 0, 0, GW), 0);
  mynet_sock *udp = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(tn_set_int(udp, SOL_SOCKET, SO_DONTROUTE, 1), 0);
  ck_assert_int_eq(tn_get_int(udp, SOL_SOCKET, SO_DONTROUTE), 1);
  ck_assert_int_eq(tn_send(udp, mn_ip4(10, 8, 0, 7), 53, "x", 1), -ENETUNREACH);
  ck_assert_int_eq(tn_send(udp, TN_PEER, 53, "x", 1), 1);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  mn_pbuf_free(tn_expect_udp(&t, &ip, &u));
  /* MSG_DONTROUTE does the same for one datagram. */
  mynet_sock *other = tn_udp_bound(&t, 0, 5001);
  struct iovec iov = {"x", 1};
  struct sockaddr_in far = tn_sin(mn_ip4(10, 8, 0, 7), 53);
  ck_assert_int_eq(mynet_sendmsg(other, &iov, 1, &far, MSG_DONTROUTE), -ENETUNREACH);
  mynet_sock *tcp = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(tn_set_int(tcp, SOL_SOCKET, SO_DONTROUTE, 1), 0);
  ck_assert_int_eq(mynet_connect(tcp, (struct sockaddr *)&far, sizeof(far)), -ENETUNREACH);
  tn_teardown(&t);
}
END_TEST

static int bind_dev(mynet_sock *s, const char *name)
{
  return mynet_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name));
}

START_TEST(test_bindtodevice_takes_the_stack_interface_names_and_reports_them)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = tn_socket(&t, SOCK_DGRAM);
  char name[IFNAMSIZ + 8];
  socklen_t len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(bind_dev(s, "nosuch"), -ENODEV);
  ck_assert_int_eq(bind_dev(s, "test0"), 0);
  memset(name, 'x', sizeof(name));
  len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
  ck_assert_uint_eq(len, 6);
  ck_assert_str_eq(name, "test0");
  len = IFNAMSIZ - 1;
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len), -EINVAL);
  /* At most IFNAMSIZ - 1 bytes are read, up to a NUL. */
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo\0junk", 7), 0);
  len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
  ck_assert_str_eq(name, "lo");
  ck_assert_int_eq(
      mynet_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0x", 17), 0);
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, NULL, 3), -EFAULT);
  ck_assert_int_eq(mynet_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, NULL, 0), 0);
  len = sizeof(name);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
  ck_assert_uint_eq(len, 0);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_bindtodevice_restricts_what_a_udp_socket_sends_and_receives)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *lo = tn_udp_bound(&t, 0, 5000);
  ck_assert_int_eq(bind_dev(lo, "lo"), 0);
  /* From the wire: not for a socket bound to the loopback. */
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "wire", 4);
  struct mn_ipv4_hdr ip;
  struct mn_icmp_hdr ic;
  mn_pbuf_free(tn_expect_icmp(&t, &ip, &ic)); /* port unreachable */
  char buf[8];
  ck_assert_int_eq(tn_recv(lo, buf, sizeof(buf), NULL), -EAGAIN);
  ck_assert_int_eq(tn_send(lo, TN_PEER, 4000, "x", 1), -ENETUNREACH);
  ck_assert_int_eq(tn_send(lo, mn_ip4(127, 0, 0, 1), 5000, "self", 4), 4);
  tn_poll(&t);
  ck_assert_int_eq(tn_recv(lo, buf, sizeof(buf), NULL), 4);
  /* Bound to the test device: the wire, not the loopback; an address
   * with no route is assumed to be on the link, as Linux does. */
  mynet_sock *dev = tn_udp_bound(&t, 0, 5001);
  ck_assert_int_eq(bind_dev(dev, "test0"), 0);
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5001, "wire", 4);
  ck_assert_int_eq(tn_recv(dev, buf, sizeof(buf), NULL), 4);
  ck_assert_int_eq(tn_send(dev, mn_ip4(127, 0, 0, 1), 5000, "x", 1), -ENETUNREACH);
  ck_assert_int_eq(tn_send(dev, mn_ip4(10, 8, 0, 7), 53, "x", 1), 1);
  struct mn_arp_pkt arp;
  mn_pbuf_free(tn_expect_arp(&t, &arp));
  ck_assert_uint_eq(arp.tpa, mn_ip4(10, 8, 0, 7));
  /* Our own address arrives on its interface, though it travels through
   * the loopback device. */
  mynet_sock *sender = tn_udp_bound(&t, 0, 5002);
  ck_assert_int_eq(tn_send(sender, TN_ADDR, 5001, "self", 4), 4);
  tn_poll(&t);
  ck_assert_int_eq(tn_recv(dev, buf, sizeof(buf), NULL), 4);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_bindtodevice_restricts_tcp_listeners_and_connections)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *lo = tn_socket(&t, SOCK_STREAM), *dev = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(bind_dev(lo, "lo"), 0);
  ck_assert_int_eq(bind_dev(dev, "test0"), 0);
  /* Different devices may share a port. */
  struct sockaddr_in a = tn_sin(0, PEER_STACK_PORT);
  ck_assert_int_eq(mynet_bind(lo, &a), 0);
  ck_assert_int_eq(mynet_bind(dev, &a), 0);
  ck_assert_int_eq(mynet_listen(lo, 4), 0);
  ck_assert_int_eq(mynet_listen(dev, 4), 0);
  struct peer p;
  peer_init(&p, &t, 1000);
  peer_syn_to_listener(&p);
  peer_send(&p, MN_TCP_ACK, NULL, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(lo, &c, NULL), -EAGAIN);
  ck_assert_int_eq(mynet_accept(dev, &c, NULL), 0);
  /* With only the loopback's listener, the wire's SYN meets a reset. */
  mynet_close(dev);
  p.port = PEER_PORT + 1;
  struct mn_tcp_opts o = peer_linux_opts();
  peer_inject_opts(&p, 5000, 0, MN_TCP_SYN, &o, NULL, 0);
  struct mn_tcp_hdr h;
  peer_recv(&p, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_RST | MN_TCP_ACK);
  /* A connection bound to the loopback cannot reach the wire. */
  mynet_sock *out = tn_socket(&t, SOCK_STREAM);
  ck_assert_int_eq(bind_dev(out, "lo"), 0);
  struct sockaddr_in to = tn_sin(TN_PEER, 80);
  ck_assert_int_eq(mynet_connect(out, (struct sockaddr *)&to, sizeof(to)), -ENETUNREACH);
  tn_teardown(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("sockopt");
  TCase *tc = tcase_create("sockopt");
  tcase_add_test(tc, test_unknown_options_and_levels_get_linux_errnos);
  tcase_add_test(tc,
                 test_zerocopy_and_credential_passing_are_refused_and_msg_zerocopy_is_a_plain_send);
  tcase_add_test(tc, test_flags_without_effect_are_kept_reported_and_inherited);
  tcase_add_test(tc, test_rcvlowat_and_buffer_sizes_follow_linux_rules);
  tcase_add_test(tc, test_a_receive_buffer_change_takes_effect_once_the_ring_is_empty);
  tcase_add_test(tc,
                 test_a_smaller_receive_buffer_bounds_the_window_at_once_and_the_ring_once_drained);
  tcase_add_test(tc, test_cookie_peername_and_peercred_are_reported_as_linux_does);
  tcase_add_test(tc, test_ip_tos_masks_ecn_for_tcp_and_sets_the_priority);
  tcase_add_test(tc, test_tos_and_ttl_reach_the_ip_header_of_udp_and_tcp);
  tcase_add_test(tc, test_ip_mtu_is_the_route_mtu_of_a_connected_socket);
  tcase_add_test(tc, test_dontroute_reaches_only_the_link);
  tcase_add_test(tc, test_bindtodevice_takes_the_stack_interface_names_and_reports_them);
  tcase_add_test(tc, test_bindtodevice_restricts_what_a_udp_socket_sends_and_receives);
  tcase_add_test(tc, test_bindtodevice_restricts_tcp_listeners_and_connections);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
