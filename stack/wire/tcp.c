/* TCP header (RFC 9293 section 3.1) and options (RFC 9293 section 3.2,
 * RFC 7323, RFC 2018). */
#include "wire/tcp.h"

#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include <string.h>

enum {
  OFF_SPORT = 0,
  OFF_DPORT = 2,
  OFF_SEQ = 4,
  OFF_ACK = 8,
  OFF_DOFF = 12,
  OFF_FLAGS = 13,
  OFF_WIN = 14,
  OFF_CSUM = 16,
  OFF_URG = 18,
};

enum {
  OPT_EOL = 0,
  OPT_NOP = 1,
  OPT_MSS = 2,
  OPT_WS = 3,
  OPT_SACK_OK = 4,
  OPT_SACK = 5,
  OPT_TS = 8,
};

enum {
  OPTLEN_MSS = 4,
  OPTLEN_WS = 3,
  OPTLEN_SACK_OK = 2,
  OPTLEN_SACK_BASE = 2,
  OPTLEN_SACK_BLOCK = 8,
  OPTLEN_TS = 10,
};

/* RFC 7323 section 2.3: a shift above 14 is treated as 14. */
#define TCP_MAX_WSCALE 14

#define TCP_MAX_OPT_LEN (MN_TCP_MAX_HDR_LEN - MN_TCP_HDR_LEN)

/* One option whose kind and length have been checked against the header;
 * p points at the kind byte and n bytes are readable from there. */
static void parse_option(const uint8_t *p, size_t n, struct mn_tcp_opts *o)
{
  /* A known option with the wrong length is ignored, not trusted (Linux's
   * tcp_parse_options() does the same); parsing goes on after it. */
  switch (p[0]) {
  case OPT_MSS:
    if (n == OPTLEN_MSS) {
      o->mss_set = true;
      o->mss = mn_get16(p + 2);
    }
    break;
  case OPT_WS:
    if (n == OPTLEN_WS) {
      o->ws_set = true;
      o->wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
    }
    break;
  case OPT_SACK_OK:
    if (n == OPTLEN_SACK_OK)
      o->sack_ok = true;
    break;
  case OPT_SACK:
    /* RFC 2018 section 3: 2 + 8n bytes; the 40-byte option space holds at
     * most 4 blocks, so n <= MN_TCP_MAX_SACK always holds here. */
    if (n >= OPTLEN_SACK_BASE + OPTLEN_SACK_BLOCK &&
        (n - OPTLEN_SACK_BASE) % OPTLEN_SACK_BLOCK == 0) {
      size_t nb = (n - OPTLEN_SACK_BASE) / OPTLEN_SACK_BLOCK;
      if (nb > MN_TCP_MAX_SACK)
        nb = MN_TCP_MAX_SACK;
      for (size_t i = 0; i < nb; i++) {
        const uint8_t *b = p + OPTLEN_SACK_BASE + i * OPTLEN_SACK_BLOCK;
        o->sack[i].left = mn_get32(b);
        o->sack[i].right = mn_get32(b + 4);
      }
      o->nsack = (uint8_t)nb;
    }
    break;
  case OPT_TS:
    if (n == OPTLEN_TS) {
      o->ts_set = true;
      o->tsval = mn_get32(p + 2);
      o->tsecr = mn_get32(p + 6);
    }
    break;
  default:
    /* Unknown kinds are skipped by their length (RFC 9293 section 3.2,
     * MUST-6/MUST-68). */
    break;
  }
}

static void parse_options(const uint8_t *p, size_t n, struct mn_tcp_opts *o)
{
  size_t i = 0;
  while (i < n) {
    uint8_t kind = p[i];
    if (kind == OPT_EOL)
      break;
    if (kind == OPT_NOP) {
      i++;
      continue;
    }
    /* RFC 9293 section 3.2 (MUST-7): be prepared for an illegal length.
     * One below 2 would loop or overlap; one past the header end cannot be
     * trusted.  Either ends parsing and the segment is still processed
     * with what was read so far. */
    if (i + 1 >= n)
      break;
    size_t olen = p[i + 1];
    if (olen < 2 || olen > n - i)
      break;
    parse_option(p + i, olen, o);
    i += olen;
  }
}

enum mn_parse mn_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
                           struct mn_tcp_hdr *h)
{
  if (len < MN_TCP_HDR_LEN)
    return MN_PARSE_TRUNCATED;
  /* Data offset counts 32-bit words, at least 5 (RFC 9293 section 3.1). */
  size_t hl = (size_t)(buf[OFF_DOFF] >> 4) * 4;
  if (hl < MN_TCP_HDR_LEN || hl > len)
    return MN_PARSE_BAD_HDRLEN;
  /* RFC 9293 section 3.1: the checksum covers pseudo-header, header and
   * data; the segment length is the IP payload length. */
  uint32_t sum = mn_csum_pseudo(src, dst, MN_IPPROTO_TCP, (uint16_t)len);
  if (mn_csum_fold(mn_csum_add(sum, buf, len)) != 0)
    return MN_PARSE_BAD_CHECKSUM;

  memset(h, 0, sizeof(*h));
  h->sport = mn_get16(buf + OFF_SPORT);
  h->dport = mn_get16(buf + OFF_DPORT);
  h->seq = mn_get32(buf + OFF_SEQ);
  h->ack = mn_get32(buf + OFF_ACK);
  h->hdr_len = (uint8_t)hl;
  h->flags = buf[OFF_FLAGS];
  h->win = mn_get16(buf + OFF_WIN);
  h->urg = mn_get16(buf + OFF_URG);
  parse_options(buf + MN_TCP_HDR_LEN, hl - MN_TCP_HDR_LEN, &h->opt);
  return MN_PARSE_OK;
}

/* Option bytes other than SACK blocks, in the layout emit_options() uses. */
static size_t fixed_opts_len(const struct mn_tcp_opts *o)
{
  size_t n = 0;
  if (o->mss_set)
    n += 4;
  if (o->ts_set)
    n += 12; /* SACK-permitted shares these 12 bytes when both are set */
  else if (o->sack_ok)
    n += 4;
  if (o->ws_set)
    n += 4;
  return n;
}

/* SACK blocks that fit in what is left of the 40 option bytes: 3 next to
 * timestamps, as Linux sends (RFC 2018 section 3).  The other options take
 * at most 20 bytes, so at least 2 blocks always fit. */
static size_t sack_blocks(const struct mn_tcp_opts *o)
{
  size_t nb = o->nsack > MN_TCP_MAX_SACK ? MN_TCP_MAX_SACK : o->nsack;
  size_t room = (TCP_MAX_OPT_LEN - fixed_opts_len(o) - 4) / OPTLEN_SACK_BLOCK;
  return nb < room ? nb : room;
}

size_t mn_tcp_opts_len(const struct mn_tcp_opts *o)
{
  size_t n = fixed_opts_len(o);
  size_t nb = sack_blocks(o);
  if (nb)
    n += 4 + nb * OPTLEN_SACK_BLOCK;
  return (n + 3) & ~(size_t)3;
}

/* Linux's tcp_options_write() layout: every option starts on its natural
 * alignment, padded with NOPs in front, so the result is always a multiple
 * of 4 and receivers can read fields as aligned words. */
static size_t emit_options(const struct mn_tcp_opts *o, uint8_t *p)
{
  uint8_t *start = p;
  if (o->mss_set) {
    p[0] = OPT_MSS;
    p[1] = OPTLEN_MSS;
    mn_put16(p + 2, o->mss);
    p += 4;
  }
  if (o->ts_set) {
    if (o->sack_ok) {
      p[0] = OPT_SACK_OK;
      p[1] = OPTLEN_SACK_OK;
    } else {
      p[0] = OPT_NOP;
      p[1] = OPT_NOP;
    }
    p[2] = OPT_TS;
    p[3] = OPTLEN_TS;
    mn_put32(p + 4, o->tsval);
    mn_put32(p + 8, o->tsecr);
    p += 12;
  } else if (o->sack_ok) {
    p[0] = OPT_NOP;
    p[1] = OPT_NOP;
    p[2] = OPT_SACK_OK;
    p[3] = OPTLEN_SACK_OK;
    p += 4;
  }
  if (o->ws_set) {
    p[0] = OPT_NOP;
    p[1] = OPT_WS;
    p[2] = OPTLEN_WS;
    p[3] = o->wscale;
    p += 4;
  }
  size_t nb = sack_blocks(o);
  if (nb) {
    p[0] = OPT_NOP;
    p[1] = OPT_NOP;
    p[2] = OPT_SACK;
    p[3] = (uint8_t)(OPTLEN_SACK_BASE + nb * OPTLEN_SACK_BLOCK);
    p += 4;
    for (size_t i = 0; i < nb; i++) {
      mn_put32(p, o->sack[i].left);
      mn_put32(p + 4, o->sack[i].right);
      p += OPTLEN_SACK_BLOCK;
    }
  }
  /* The layout above is already word-aligned; pad defensively with EOL
   * (RFC 9293 section 3.1: the header is padded with zeros). */
  while ((size_t)(p - start) % 4)
    *p++ = OPT_EOL;
  return (size_t)(p - start);
}

size_t mn_tcp_emit(const struct mn_tcp_hdr *h, uint8_t *buf, size_t payload_len, uint32_t src,
                   uint32_t dst)
{
  size_t hl = MN_TCP_HDR_LEN + emit_options(&h->opt, buf + MN_TCP_HDR_LEN);
  mn_put16(buf + OFF_SPORT, h->sport);
  mn_put16(buf + OFF_DPORT, h->dport);
  mn_put32(buf + OFF_SEQ, h->seq);
  mn_put32(buf + OFF_ACK, h->ack);
  buf[OFF_DOFF] = (uint8_t)(hl / 4 << 4);
  buf[OFF_FLAGS] = h->flags;
  mn_put16(buf + OFF_WIN, h->win);
  mn_put16(buf + OFF_CSUM, 0);
  mn_put16(buf + OFF_URG, h->urg);
  size_t seglen = hl + payload_len;
  uint32_t sum = mn_csum_pseudo(src, dst, MN_IPPROTO_TCP, (uint16_t)seglen);
  mn_put16(buf + OFF_CSUM, mn_csum_fold(mn_csum_add(sum, buf, seglen)));
  return hl;
}
