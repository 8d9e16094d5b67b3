/* libFuzzer target: arbitrary frames into a stack with open sockets.
 *
 * The input is a sequence of records: one control byte, a two-byte
 * length, then that many bytes of Ethernet frame.  The stack has a UDP
 * socket, a TCP listener and one established TCP connection (set up by
 * the harness playing the peer), so that frames reach every layer.  The
 * control byte advances the virtual clock and, when its top bit is set,
 * makes a TCP segment for the established connection fit its sequence
 * space (the fuzzer cannot guess random ISNs), so the synchronized-state
 * code is reached too.  Whatever arrives, the stack must not crash, leak
 * or touch memory it does not own (ASan, UBSan).
 *
 * Built with clang -fsanitize=fuzzer (cmake -DMYNET_FUZZ=ON); with other
 * compilers a main() replays files given on the command line. */
#include "dev/device.h"
#include "port.h"
#include "stack_impl.h"
#include "transport/tcp_impl.h"
#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <mynet/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_dev {
  struct mn_device dev;
  struct mn_pbuf_queue rx;
};

static int fd_transmit(struct mn_device *d, struct mn_pbuf *p, mynet_time now)
{
  mn_pbuf_free(p); /* what the stack answers is not looked at */
  return 0;
}

static struct mn_pbuf *fd_receive(struct mn_device *d, struct mn_pool *pool, mynet_time now)
{
  return mn_pbuf_queue_pop(&((struct fuzz_dev *)d)->rx);
}

static mynet_time fd_deadline(const struct mn_device *d)
{
  return ((const struct fuzz_dev *)d)->rx.count ? 0 : MYNET_TIME_NEVER;
}

static int fd_fd(const struct mn_device *d)
{
  return -1;
}

static void fd_destroy(struct mn_device *d)
{
  mn_pbuf_queue_clear(&((struct fuzz_dev *)d)->rx);
  free(d);
}

static const struct mn_device_ops fd_ops = {fd_transmit, fd_receive, fd_deadline, fd_fd,
                                            fd_destroy};

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};
#define OUR_IP 0xc0000202u  /* 192.0.2.2 */
#define PEER_IP 0xc0000201u /* 192.0.2.1 */

static void inject(mynet_stack *st, struct fuzz_dev *dev, const uint8_t *frame, size_t len)
{
  struct mn_pbuf *p = mn_pbuf_alloc(&st->pool, MN_PBUF_HEADROOM, len);
  if (!p)
    return;
  memcpy(p->data, frame, len);
  mn_pbuf_queue_push(&dev->rx, p);
}

/* A TCP segment from the peer, checksummed. */
static size_t build_tcp(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                        uint8_t flags)
{
  struct mn_eth_hdr eth = {.type = MN_ETHERTYPE_IPV4};
  memcpy(eth.dst, our_mac, 6);
  memcpy(eth.src, peer_mac, 6);
  mn_eth_emit(&eth, f);
  struct mn_tcp_hdr th = {
      .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .win = 65535};
  if (flags & MN_TCP_SYN) {
    th.opt.mss_set = th.opt.sack_ok = th.opt.ws_set = true;
    th.opt.mss = 1460;
    th.opt.wscale = 7;
  }
  size_t tl = mn_tcp_emit(&th, f + 34, 0, PEER_IP, OUR_IP);
  struct mn_ipv4_hdr ip = {.total_len = (uint16_t)(20 + tl),
                           .ttl = 64,
                           .proto = MN_IPPROTO_TCP,
                           .src = PEER_IP,
                           .dst = OUR_IP};
  mn_ipv4_emit(&ip, f + 14);
  return 34 + tl;
}

/* Make a frame a TCP segment of the established connection: Ethernet
 * and IPv4 headers rewritten, ports and sequence numbers near the window
 * edges the control byte picks, checksums right; the fuzzer's bytes stay
 * in the flags, window, data offset, options and payload. */
static void steer(const struct mn_tcp_sock *tp, uint8_t ctl, uint8_t *f, size_t len)
{
  if (len < 54)
    return;
  memcpy(f, our_mac, 6);
  memcpy(f + 6, peer_mac, 6);
  mn_put16(f + 12, MN_ETHERTYPE_IPV4);
  struct mn_ipv4_hdr ip = {.total_len = (uint16_t)(len - 14),
                           .ttl = 64,
                           .proto = MN_IPPROTO_TCP,
                           .src = PEER_IP,
                           .dst = OUR_IP};
  mn_ipv4_emit(&ip, f + 14);
  uint8_t *t = f + 34;
  size_t tl = len - 34;
  mn_put16(t, tp->sk.rport);
  mn_put16(t + 2, tp->sk.lport);
  uint32_t skew = (uint32_t)(ctl & 0x0f) * 1000 - 4000;
  mn_put32(t + 4, tp->rcv_nxt + ((ctl & 0x10) ? skew : 0));
  mn_put32(t + 8, tp->snd_una + ((ctl & 0x20) ? skew : 0));
  /* A data offset that fits, from the fuzzer's nibble. */
  size_t doff = 5 + (t[12] >> 4) % 11;
  if (doff * 4 > tl)
    doff = 5;
  t[12] = (uint8_t)(doff << 4);
  mn_put16(t + 16, 0);
  uint32_t sum = mn_csum_pseudo(PEER_IP, OUR_IP, MN_IPPROTO_TCP, (uint16_t)tl);
  mn_put16(t + 16, mn_csum_fold(mn_csum_add(sum, t, tl)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  mynet_time now = MYNET_SEC(1000);
  struct mynet_stack_params prm = {.seed = 1, .now = now, .pool_bytes = 4u << 20, .log_level = -1};
  mynet_stack *st;
  if (mynet_stack_new(&prm, &st) < 0)
    abort();
  struct fuzz_dev *dev = calloc(1, sizeof(*dev));
  dev->dev.ops = &fd_ops;
  strcpy(dev->dev.name, "fuzz0");
  dev->dev.mtu = 1500;
  int index = mn_iface_add(st, dev->dev.name, dev->dev.mtu, our_mac, OUR_IP, 24, false);
  mynet_port *port = index < 0 ? NULL : mn_port_new(&dev->dev, index);
  if (!port)
    abort();
  /* Teach the stack the peer's MAC, so replies go out at once. */
  uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0,   1, 0x08, 0x06,
                     0,    1,    0x08, 0,    6,    4,    0, 1, 2, 0, 0,   0, 0,    1,
                     192,  0,    2,    1,    0,    0,    0, 0, 0, 0, 192, 0, 2,    2};
  inject(st, dev, arp, sizeof(arp));

  mynet_sock *udp, *listener, *conn;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5000)};
  mynet_socket(st, SOCK_DGRAM, 0, &udp);
  mynet_bind(udp, &a);
  mynet_socket(st, SOCK_STREAM, 0, &listener);
  a.sin_port = htons(80);
  mynet_bind(listener, &a);
  mynet_listen(listener, 4);
  /* One established connection, opened by the peer. */
  uint8_t f[2048];
  inject(st, dev, f, build_tcp(f, 40000, 80, 1000, 0, MN_TCP_SYN));
  mynet_stack_poll(st, &port, 1, now);
  struct mn_tcp_sock *child = NULL;
  for (struct mynet_sock *s = st->all_socks; s; s = s->all_next)
    if (s->type == SOCK_STREAM && s != listener)
      child = (struct mn_tcp_sock *)s;
  if (child) {
    inject(st, dev, f, build_tcp(f, 40000, 80, 1001, child->iss + 1, MN_TCP_ACK));
    mynet_stack_poll(st, &port, 1, now);
  }
  struct sockaddr_in peer;
  conn = NULL;
  if (mynet_accept(listener, &conn, &peer) < 0)
    abort(); /* the harness must reach ESTABLISHED, or it fuzzes little */
  {
    static const char hello[] = "data the stack has to send";
    struct iovec iov = {(void *)hello, sizeof(hello)};
    mynet_sendmsg(conn, &iov, 1, NULL, 0);
  }

  while (size >= 3) {
    uint8_t ctl = data[0];
    size_t len = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;
    if (len > size)
      len = size;
    if (len > sizeof(f))
      len = sizeof(f);
    memcpy(f, data, len);
    data += len;
    size -= len;
    if ((ctl & 0x80) && ((struct mn_tcp_sock *)conn)->state != MN_TCPS_CLOSED)
      steer((const struct mn_tcp_sock *)conn, ctl, f, len);
    inject(st, dev, f, len);
    now += (mynet_time)(ctl & 0x40 ? MYNET_MS(300) : MYNET_US(50));
    mynet_stack_poll(st, &port, 1, now);
    if ((ctl & 0x0f) == 0x0f) {
      uint8_t buf[512];
      struct iovec iov = {buf, sizeof(buf)};
      mynet_recvmsg(conn, &iov, 1, NULL, 0, NULL);
    }
  }
  /* Let every timer run out: TIME_WAIT, retransmissions, ARP. */
  mynet_close(conn);
  mynet_close(listener);
  mynet_close(udp);
  for (int i = 0; i < 200 && mynet_stack_deadline(st) != MYNET_TIME_NEVER; i++) {
    now = mynet_stack_deadline(st) > now ? mynet_stack_deadline(st) : now + 1;
    mynet_stack_poll(st, &port, 1, now);
  }
  mynet_port_close(port);
  if (mn_stack_free_report(st) != 0)
    abort(); /* a packet buffer or a timer leaked */
  return 0;
}

#ifndef MYNET_LIBFUZZER
/* Without libFuzzer: replay the files named on the command line. */
int main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) {
      perror(argv[i]);
      return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, n);
  }
  return 0;
}
#endif
