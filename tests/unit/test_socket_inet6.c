/* AF_INET6 sockets: IPv4 through IPv4-mapped addresses, the kernel's
 * address rules, v6-only sockets and the IPPROTO_IPV6 options. */
#include "helpers/run.h"
#include "helpers/testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

static struct sockaddr_in6 sin6_mapped(uint32_t v4, uint16_t port)
{
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  a.sin6_addr.s6_addr[10] = 0xff;
  a.sin6_addr.s6_addr[11] = 0xff;
  uint32_t be = htonl(v4);
  memcpy(a.sin6_addr.s6_addr + 12, &be, 4);
  return a;
}

static struct sockaddr_in6 sin6_text(const char *text, uint16_t port)
{
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  ck_assert_int_eq(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
  return a;
}

static mynet_sock *sock6(struct tn *t, int type)
{
  mynet_sock *s;
  ck_assert_int_eq(mynet_socket_in(t->st, AF_INET6, type, 0, &s), 0);
  ck_assert_int_eq(mynet_sock_family(s), AF_INET6);
  return s;
}

START_TEST(test_an_inet6_socket_takes_mapped_addresses_and_gives_them_back)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = sock6(&t, SOCK_DGRAM);
  struct sockaddr_in6 any = sin6_text("::", 5000);
  ck_assert_int_eq(mynet_bind_addr(s, (struct sockaddr *)&any, sizeof any), 0);
  struct sockaddr_in name;
  struct sockaddr_storage out;
  ck_assert_int_eq(mynet_getsockname(s, &name), 0);
  ck_assert_uint_eq(mynet_sock_addr_out(s, &name, &out), sizeof(struct sockaddr_in6));
  struct sockaddr_in6 *o = (struct sockaddr_in6 *)&out;
  ck_assert_int_eq(o->sin6_family, AF_INET6);
  ck_assert_int_eq(ntohs(o->sin6_port), 5000);
  ck_assert(IN6_IS_ADDR_UNSPECIFIED(&o->sin6_addr)); /* [::], not ::ffff:0.0.0.0 */
  /* an IPv4 datagram arrives, its source mapped */
  tn_inject_udp(&t, TN_PEER, 4000, TN_ADDR, 5000, "v4", 2);
  char buf[8];
  struct sockaddr_in from;
  ck_assert_int_eq(tn_recv(s, buf, sizeof buf, &from), 2);
  mynet_sock_addr_out(s, &from, &out);
  struct sockaddr_in6 want = sin6_mapped(TN_PEER, 4000);
  ck_assert_mem_eq(&o->sin6_addr, &want.sin6_addr, 16);
  /* and a reply to a mapped address goes out as IPv4 */
  struct sockaddr_in to;
  ck_assert_int_eq(
      mynet_sock_addr_in(s, MYNET_ADDR_SEND, (struct sockaddr *)&want, sizeof want, &to), 0);
  struct iovec iov = {"re", 2};
  ck_assert_int_eq(mynet_sendmsg(s, &iov, 1, &to, 0), 2);
  struct mn_ipv4_hdr ip;
  struct mn_udp_hdr u;
  struct mn_pbuf *p = tn_expect_udp(&t, &ip, &u);
  ck_assert_uint_eq(ip.dst, TN_PEER);
  ck_assert_uint_eq(u.dport, 4000);
  mn_pbuf_free(p);
  mynet_close(s);
  tn_teardown(&t);
}
END_TEST

START_TEST(test_inet6_addresses_follow_the_kernels_length_family_and_route_rules)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = sock6(&t, SOCK_STREAM);
  struct sockaddr_in out;
  struct sockaddr_in6 mapped = sin6_mapped(TN_PEER, 80);
  /* shorter than the RFC 2133 sockaddr_in6: EINVAL; wrong family */
  ck_assert_int_eq(mynet_sock_addr_in(s, MYNET_ADDR_BIND, (struct sockaddr *)&mapped, 23, &out),
                   -EINVAL);
  struct sockaddr_in v4 = tn_sin(TN_ADDR, 80);
  struct sockaddr_storage big = {0};
  memcpy(&big, &v4, sizeof v4);
  ck_assert_int_eq(mynet_bind_addr(s, (struct sockaddr *)&big, sizeof(struct sockaddr_in6)),
                   -EAFNOSUPPORT);
  /* native IPv6: no address of ours, no route */
  struct sockaddr_in6 native = sin6_text("2001:db8::1", 80);
  ck_assert_int_eq(mynet_bind_addr(s, (struct sockaddr *)&native, sizeof native), -EADDRNOTAVAIL);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&native, sizeof native), -ENETUNREACH);
  struct sockaddr_in6 lo6 = sin6_text("::1", 80);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&lo6, sizeof lo6), -ENETUNREACH);
  /* a mapped destination starts an IPv4 handshake */
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&mapped, sizeof mapped), -EINPROGRESS);
  struct mn_tcp_hdr h;
  tn_expect_tcp(&t, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN);
  ck_assert_uint_eq(h.dport, 80);
  mynet_close(s);
  tn_poll(&t);
  while (tn_device_tx_count(t.dev))
    mn_pbuf_free(tn_pop(&t));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_a_v6only_socket_never_carries_ipv4)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = sock6(&t, SOCK_STREAM);
  int on = 1, v = -1;
  socklen_t len = sizeof v;
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
  ck_assert_int_eq(v, 0); /* net.ipv6.bindv6only's default */
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), 0);
  struct sockaddr_in6 mapped = sin6_mapped(TN_ADDR, 80);
  ck_assert_int_eq(mynet_bind_addr(s, (struct sockaddr *)&mapped, sizeof mapped), -EINVAL);
  struct sockaddr_in6 peer = sin6_mapped(TN_PEER, 80);
  ck_assert_int_eq(mynet_connect(s, (struct sockaddr *)&peer, sizeof peer), -ENETUNREACH);
  /* [::]:80 v6-only next to 0.0.0.0:80: no conflict, and IPv4 goes to
   * the IPv4 listener */
  struct sockaddr_in6 any = sin6_text("::", 80);
  ck_assert_int_eq(mynet_bind_addr(s, (struct sockaddr *)&any, sizeof any), 0);
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on), -EINVAL);
  ck_assert_int_eq(mynet_listen(s, 4), 0);
  mynet_sock *l4;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_STREAM, 0, &l4), 0);
  struct sockaddr_in a4 = tn_sin(0, 80);
  ck_assert_int_eq(mynet_bind(l4, &a4), 0);
  ck_assert_int_eq(mynet_listen(l4, 4), 0);
  tn_inject_tcp(&t, 40000, 80, 1000, 0, MN_TCP_SYN, 65535, NULL, NULL, 0);
  struct mn_tcp_hdr h;
  tn_expect_tcp(&t, &h, NULL, 0);
  ck_assert_uint_eq(h.flags, MN_TCP_SYN | MN_TCP_ACK);
  tn_inject_tcp(&t, 40000, 80, 1001, h.seq + 1, MN_TCP_ACK, 65535, NULL, NULL, 0);
  ck_assert_uint_eq(mynet_sock_events(s), 0);
  ck_assert_uint_ne(mynet_sock_events(l4) & POLLIN, 0);
  mynet_sock *c;
  ck_assert_int_eq(mynet_accept(s, &c, NULL), -EAGAIN);
  ck_assert_int_eq(mynet_accept(l4, &c, NULL), 0);
  ck_assert_int_eq(mynet_sock_family(c), AF_INET);
  v = 0;
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
  ck_assert_int_eq(v, 1);
  mynet_close(c);
  mynet_close(l4);
  mynet_close(s);
  tn_advance(&t, MYNET_SEC(1));
  while (tn_device_tx_count(t.dev))
    mn_pbuf_free(tn_pop(&t));
  tn_teardown(&t);
}
END_TEST

START_TEST(test_ipv6_options_exist_only_on_inet6_sockets)
{
  struct tn t;
  tn_setup(&t, true);
  mynet_sock *s = sock6(&t, SOCK_DGRAM), *s4;
  ck_assert_int_eq(mynet_socket(t.st, SOCK_DGRAM, 0, &s4), 0);
  int v = 0x28, got = 0;
  socklen_t len = sizeof got;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof v), 0);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &got, &len), 0);
  ck_assert_int_eq(got, 0x28);
  ck_assert_int_eq(mynet_getsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &got, &len), 0);
  ck_assert_int_eq(got, 64);
  v = 256;
  ck_assert_int_eq(mynet_setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v), -EINVAL);
  ck_assert_int_eq(mynet_setsockopt(s4, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v), -ENOPROTOOPT);
  ck_assert_int_eq(mynet_getsockopt(s, SOL_SOCKET, SO_DOMAIN, &got, &len), 0);
  ck_assert_int_eq(got, AF_INET6);
  mynet_sock *bad;
  ck_assert_int_eq(mynet_socket_in(t.st, AF_PACKET, SOCK_DGRAM, 0, &bad), -EAFNOSUPPORT);
  mynet_close(s);
  mynet_close(s4);
  tn_teardown(&t);
}
END_TEST

static Suite *inet6_suite(void)
{
  Suite *s = suite_create("socket_inet6");
  TCase *tc = tcase_create("mapped");
  tcase_add_test(tc, test_an_inet6_socket_takes_mapped_addresses_and_gives_them_back);
  tcase_add_test(tc, test_inet6_addresses_follow_the_kernels_length_family_and_route_rules);
  tcase_add_test(tc, test_a_v6only_socket_never_carries_ipv4);
  tcase_add_test(tc, test_ipv6_options_exist_only_on_inet6_sockets);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(inet6_suite());
}
