/* Human-readable decoding of a frame, one header field per line, indented
 * by layer.  It reads the bytes itself rather than through the parsers so
 * that a frame the parsers reject (bad checksum, odd lengths) is still
 * shown field by field, with the problem named where it is found.  Every
 * read is preceded by a length check against what is actually present. */
#include "wire/decode.h"

#include "wire/arp.h"
#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/eth.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Output that keeps counting past the end of the buffer, like snprintf. */
struct out {
  char *buf;
  size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
  if (o->len < o->cap) {
    size_t room = o->cap - o->len - 1; /* one byte stays for the NUL */
    size_t k = n < room ? n : room;
    memcpy(o->buf + o->len, s, k);
    o->buf[o->len + k] = '\0';
  }
  o->len += n;
}

/* One "field: value" line, indented two spaces per layer.  Lines are short;
 * one longer than the scratch buffer is cut, never overrun. */
static void line(struct out *o, int depth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(struct out *o, int depth, const char *fmt, ...)
{
  static const char spaces[] = "          ";
  char tmp[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(tmp))
    n = sizeof(tmp) - 1;
  put(o, spaces, (size_t)depth * 2 < sizeof(spaces) - 1 ? (size_t)depth * 2 : sizeof(spaces) - 1);
  put(o, tmp, (size_t)n);
  put(o, "\n", 1);
}

static void mac_str(const uint8_t *a, char *s)
{
  snprintf(s, 18, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Offsets repeated from the parsers: decode reads raw bytes on purpose. */
enum { ETH_DST = 0, ETH_SRC = 6, ETH_TYPE = 12 };
enum {
  ARP_HTYPE = 0,
  ARP_PTYPE = 2,
  ARP_HLEN = 4,
  ARP_PLEN = 5,
  ARP_OP = 6,
  ARP_SHA = 8,
  ARP_SPA = 14,
  ARP_THA = 18,
  ARP_TPA = 24,
};
enum {
  IP_VER_IHL = 0,
  IP_TOS = 1,
  IP_TOTAL_LEN = 2,
  IP_ID = 4,
  IP_FLAGS_FRAG = 6,
  IP_TTL = 8,
  IP_PROTO = 9,
  IP_CSUM = 10,
  IP_SRC = 12,
  IP_DST = 16,
};
enum { ICMP_TYPE = 0, ICMP_CODE = 1, ICMP_CSUM = 2, ICMP_ID = 4, ICMP_SEQ = 6 };
enum { UDP_SPORT = 0, UDP_DPORT = 2, UDP_LEN = 4, UDP_CSUM = 6 };
enum {
  TCP_SPORT = 0,
  TCP_DPORT = 2,
  TCP_SEQ = 4,
  TCP_ACK = 8,
  TCP_DOFF = 12,
  TCP_FLAGS = 13,
  TCP_WIN = 14,
  TCP_CSUM = 16,
  TCP_URG = 18,
};

/* What the transport decoders need from the IP header. */
struct l3 {
  uint32_t src, dst;
  bool complete; /* the whole datagram is present, so checksums can be checked */
};

static const char *csum_verdict(bool complete, uint32_t sum)
{
  if (!complete)
    return "unverified, truncated";
  return mn_csum_fold(sum) == 0 ? "good" : "bad";
}

static void decode_arp(struct out *o, const uint8_t *p, size_t len)
{
  char a[18], ip[16];
  line(o, 1, "ARP");
  if (len < MN_ARP_LEN) {
    line(o, 2, "truncated: %zu of %d bytes", len, MN_ARP_LEN);
    return;
  }
  uint16_t op = mn_get16(p + ARP_OP);
  line(o, 2, "hardware type: %u", mn_get16(p + ARP_HTYPE));
  line(o, 2, "protocol type: 0x%04x", mn_get16(p + ARP_PTYPE));
  line(o, 2, "hardware size: %u", p[ARP_HLEN]);
  line(o, 2, "protocol size: %u", p[ARP_PLEN]);
  line(o, 2, "opcode: %u (%s)", op,
       op == MN_ARP_REQUEST ? "request"
       : op == MN_ARP_REPLY ? "reply"
                            : "unknown");
  /* The address fields sit where they do only for 6-byte hardware and
   * 4-byte protocol addresses. */
  if (p[ARP_HLEN] != MN_ETH_ADDR_LEN || p[ARP_PLEN] != 4) {
    line(o, 2, "addresses: not Ethernet/IPv4, not decoded");
    return;
  }
  mac_str(p + ARP_SHA, a);
  line(o, 2, "sender mac: %s", a);
  line(o, 2, "sender ip: %s", mn_ip4_str(mn_get32(p + ARP_SPA), ip));
  mac_str(p + ARP_THA, a);
  line(o, 2, "target mac: %s", a);
  line(o, 2, "target ip: %s", mn_ip4_str(mn_get32(p + ARP_TPA), ip));
}

static const char *icmp_type_name(uint8_t t)
{
  switch (t) {
  case MN_ICMP_ECHO_REPLY:
    return "echo reply";
  case MN_ICMP_DEST_UNREACH:
    return "destination unreachable";
  case MN_ICMP_SOURCE_QUENCH:
    return "source quench";
  case MN_ICMP_ECHO_REQUEST:
    return "echo request";
  case MN_ICMP_TIME_EXCEEDED:
    return "time exceeded";
  case MN_ICMP_PARAM_PROBLEM:
    return "parameter problem";
  default:
    return "unknown";
  }
}

static void decode_icmp(struct out *o, const uint8_t *p, size_t len, const struct l3 *ip)
{
  line(o, 2, "ICMP");
  if (len < MN_ICMP_HDR_LEN) {
    line(o, 3, "truncated: %zu of %d bytes", len, MN_ICMP_HDR_LEN);
    return;
  }
  uint8_t type = p[ICMP_TYPE];
  line(o, 3, "type: %u (%s)", type, icmp_type_name(type));
  line(o, 3, "code: %u", p[ICMP_CODE]);
  line(o, 3, "checksum: 0x%04x (%s)", mn_get16(p + ICMP_CSUM),
       csum_verdict(ip->complete, mn_csum_add(0, p, len)));
  if (type == MN_ICMP_ECHO_REQUEST || type == MN_ICMP_ECHO_REPLY) {
    line(o, 3, "identifier: %u", mn_get16(p + ICMP_ID));
    line(o, 3, "sequence: %u", mn_get16(p + ICMP_SEQ));
  } else {
    line(o, 3, "rest of header: 0x%08x", mn_get32(p + ICMP_ID));
  }
  line(o, 3, "payload length: %zu", len - MN_ICMP_HDR_LEN);
}

static void decode_udp(struct out *o, const uint8_t *p, size_t len, const struct l3 *ip)
{
  line(o, 2, "UDP");
  if (len < MN_UDP_HDR_LEN) {
    line(o, 3, "truncated: %zu of %d bytes", len, MN_UDP_HDR_LEN);
    return;
  }
  uint16_t ulen = mn_get16(p + UDP_LEN);
  uint16_t csum = mn_get16(p + UDP_CSUM);
  line(o, 3, "source port: %u", mn_get16(p + UDP_SPORT));
  line(o, 3, "destination port: %u", mn_get16(p + UDP_DPORT));
  if (ulen < MN_UDP_HDR_LEN) {
    line(o, 3, "length: %u (bad, below header length)", ulen);
    return;
  }
  if (ulen > len) {
    line(o, 3, "length: %u (truncated, %zu bytes present)", ulen, len);
    line(o, 3, "checksum: 0x%04x (unverified, truncated)", csum);
    return;
  }
  line(o, 3, "length: %u", ulen);
  if (csum == 0) {
    line(o, 3, "checksum: 0x0000 (none)");
  } else {
    uint32_t sum = mn_csum_pseudo(ip->src, ip->dst, MN_IPPROTO_UDP, ulen);
    line(o, 3, "checksum: 0x%04x (%s)", csum,
         csum_verdict(ip->complete, mn_csum_add(sum, p, ulen)));
  }
  line(o, 3, "payload length: %u", ulen - MN_UDP_HDR_LEN);
}

static void decode_tcp_flags(struct out *o, uint8_t f)
{
  static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  char s[64];
  size_t n = 0;
  s[0] = '\0';
  for (int i = 0; i < 8; i++) {
    if (f & (1u << i))
      n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s", n ? " " : "", names[i]);
  }
  line(o, 3, "flags: 0x%02x (%s)", f, n ? s : "none");
}

/* Walks the options the way mn_tcp_parse() does, but names every option,
 * including the ones the parser ignores. */
static void decode_tcp_options(struct out *o, const uint8_t *p, size_t n)
{
  size_t i = 0;
  if (n == 0)
    return;
  line(o, 3, "options: %zu bytes", n);
  while (i < n) {
    uint8_t kind = p[i];
    if (kind == 0) {
      line(o, 4, "end of option list");
      return;
    }
    if (kind == 1) {
      line(o, 4, "nop");
      i++;
      continue;
    }
    if (i + 1 >= n) {
      line(o, 4, "kind %u: length missing (malformed, parsing stops)", kind);
      return;
    }
    size_t olen = p[i + 1];
    if (olen < 2 || olen > n - i) {
      line(o, 4, "kind %u: length %zu (malformed, parsing stops)", kind, olen);
      return;
    }
    const uint8_t *q = p + i;
    if (kind == 2 && olen == 4) {
      line(o, 4, "mss: %u", mn_get16(q + 2));
    } else if (kind == 3 && olen == 3) {
      line(o, 4, "window scale: %u", q[2]);
    } else if (kind == 4 && olen == 2) {
      line(o, 4, "sack permitted");
    } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
      for (size_t b = 2; b < olen; b += 8)
        line(o, 4, "sack: %u-%u", mn_get32(q + b), mn_get32(q + b + 4));
    } else if (kind == 8 && olen == 10) {
      line(o, 4, "timestamps: val %u ecr %u", mn_get32(q + 2), mn_get32(q + 6));
    } else if (kind == 2 || kind == 3 || kind == 4 || kind == 5 || kind == 8) {
      line(o, 4, "kind %u: length %zu (wrong for this kind, ignored)", kind, olen);
    } else {
      line(o, 4, "kind %u: length %zu (unknown, skipped)", kind, olen);
    }
    i += olen;
  }
}

static void decode_tcp(struct out *o, const uint8_t *p, size_t len, const struct l3 *ip)
{
  line(o, 2, "TCP");
  if (len < MN_TCP_HDR_LEN) {
    line(o, 3, "truncated: %zu of %d bytes", len, MN_TCP_HDR_LEN);
    return;
  }
  size_t hl = (size_t)(p[TCP_DOFF] >> 4) * 4;
  line(o, 3, "source port: %u", mn_get16(p + TCP_SPORT));
  line(o, 3, "destination port: %u", mn_get16(p + TCP_DPORT));
  line(o, 3, "seq: %u", mn_get32(p + TCP_SEQ));
  line(o, 3, "ack: %u", mn_get32(p + TCP_ACK));
  line(o, 3, "data offset: %u (%zu bytes)", p[TCP_DOFF] >> 4, hl);
  decode_tcp_flags(o, p[TCP_FLAGS]);
  line(o, 3, "window: %u", mn_get16(p + TCP_WIN));
  uint32_t sum = mn_csum_pseudo(ip->src, ip->dst, MN_IPPROTO_TCP, (uint16_t)len);
  line(o, 3, "checksum: 0x%04x (%s)", mn_get16(p + TCP_CSUM),
       csum_verdict(ip->complete, mn_csum_add(sum, p, len)));
  line(o, 3, "urgent pointer: %u", mn_get16(p + TCP_URG));
  if (hl < MN_TCP_HDR_LEN) {
    line(o, 3, "bad data offset: below %d bytes", MN_TCP_HDR_LEN);
    return;
  }
  if (hl > len) {
    line(o, 3, "truncated: header is %zu bytes, %zu present", hl, len);
    return;
  }
  decode_tcp_options(o, p + MN_TCP_HDR_LEN, hl - MN_TCP_HDR_LEN);
  line(o, 3, "payload length: %zu", len - hl);
}

static void decode_ipv4(struct out *o, const uint8_t *p, size_t len)
{
  char a[16];
  line(o, 1, "IPv4");
  if (len < MN_IPV4_HDR_LEN) {
    line(o, 2, "truncated: %zu of %d bytes", len, MN_IPV4_HDR_LEN);
    return;
  }
  unsigned ver = p[IP_VER_IHL] >> 4, ihl = p[IP_VER_IHL] & 0x0f;
  size_t hl = (size_t)ihl * 4;
  line(o, 2, "version: %u", ver);
  if (ver != 4) {
    line(o, 2, "bad version, not decoded");
    return;
  }
  line(o, 2, "ihl: %u (%zu bytes)", ihl, hl);
  if (hl < MN_IPV4_HDR_LEN) {
    line(o, 2, "bad ihl: below %d bytes", MN_IPV4_HDR_LEN);
    return;
  }
  if (hl > len) {
    line(o, 2, "truncated: header is %zu bytes, %zu present", hl, len);
    return;
  }
  uint16_t total = mn_get16(p + IP_TOTAL_LEN), ff = mn_get16(p + IP_FLAGS_FRAG);
  uint8_t proto = p[IP_PROTO];
  line(o, 2, "tos: 0x%02x", p[IP_TOS]);
  line(o, 2, "total length: %u", total);
  line(o, 2, "id: 0x%04x (%u)", mn_get16(p + IP_ID), mn_get16(p + IP_ID));
  char fl[24];
  snprintf(fl, sizeof(fl), "%s%s%s", ff & 0x8000 ? "reserved " : "", ff & 0x4000 ? "DF " : "",
           ff & 0x2000 ? "MF " : "");
  size_t fn = strlen(fl);
  if (fn)
    fl[fn - 1] = '\0';
  line(o, 2, "flags: 0x%x (%s)", ff >> 13, fn ? fl : "none");
  line(o, 2, "fragment offset: %u (%u bytes)", ff & 0x1fff, (ff & 0x1fff) * 8u);
  line(o, 2, "ttl: %u", p[IP_TTL]);
  line(o, 2, "protocol: %u (%s)", proto,
       proto == MN_IPPROTO_ICMP  ? "ICMP"
       : proto == MN_IPPROTO_TCP ? "TCP"
       : proto == MN_IPPROTO_UDP ? "UDP"
                                 : "unknown");
  line(o, 2, "checksum: 0x%04x (%s)", mn_get16(p + IP_CSUM),
       mn_csum_fold(mn_csum_add(0, p, hl)) == 0 ? "good" : "bad");
  line(o, 2, "src: %s", mn_ip4_str(mn_get32(p + IP_SRC), a));
  line(o, 2, "dst: %s", mn_ip4_str(mn_get32(p + IP_DST), a));
  if (hl > MN_IPV4_HDR_LEN)
    line(o, 2, "options: %zu bytes (not decoded)", hl - MN_IPV4_HDR_LEN);
  if (total < hl) {
    line(o, 2, "bad total length: below header length");
    return;
  }
  struct l3 ip = {mn_get32(p + IP_SRC), mn_get32(p + IP_DST), total <= len};
  size_t end = total <= len ? total : len;
  if (!ip.complete)
    line(o, 2, "truncated: %zu of %u bytes present", len, total);
  else if (len > total)
    line(o, 2, "link padding: %zu bytes", len - total);
  if ((ff & 0x1fff) != 0) {
    line(o, 2, "payload: non-first fragment, %zu bytes", end - hl);
    return;
  }
  switch (proto) {
  case MN_IPPROTO_ICMP:
    decode_icmp(o, p + hl, end - hl, &ip);
    break;
  case MN_IPPROTO_UDP:
    decode_udp(o, p + hl, end - hl, &ip);
    break;
  case MN_IPPROTO_TCP:
    decode_tcp(o, p + hl, end - hl, &ip);
    break;
  default:
    line(o, 2, "payload: %zu bytes", end - hl);
    break;
  }
}

size_t mn_decode_frame(const uint8_t *frame, size_t len, char *out, size_t cap)
{
  struct out o = {out, cap, 0};
  char a[18];
  if (cap)
    out[0] = '\0';
  line(&o, 0, "Ethernet");
  if (len < MN_ETH_HDR_LEN) {
    line(&o, 1, "truncated: %zu of %d bytes", len, MN_ETH_HDR_LEN);
    return o.len;
  }
  uint16_t type = mn_get16(frame + ETH_TYPE);
  mac_str(frame + ETH_DST, a);
  line(&o, 1, "dst: %s", a);
  mac_str(frame + ETH_SRC, a);
  line(&o, 1, "src: %s", a);
  const uint8_t *p = frame + MN_ETH_HDR_LEN;
  size_t plen = len - MN_ETH_HDR_LEN;
  switch (type) {
  case MN_ETHERTYPE_ARP:
    line(&o, 1, "type: 0x%04x (ARP)", type);
    decode_arp(&o, p, plen);
    break;
  case MN_ETHERTYPE_IPV4:
    line(&o, 1, "type: 0x%04x (IPv4)", type);
    decode_ipv4(&o, p, plen);
    break;
  default:
    if (type < 0x0600)
      line(&o, 1, "type: 0x%04x (802.3 length, not decoded)", type);
    else
      line(&o, 1, "type: 0x%04x (unknown)", type);
    line(&o, 1, "payload: %zu bytes", plen);
    break;
  }
  return o.len;
}
