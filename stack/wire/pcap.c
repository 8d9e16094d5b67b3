/* The pcapng capture format (draft-ietf-opsawg-pcapng), little-endian:
 * one section and one Ethernet interface, then an Enhanced Packet Block
 * per frame.  pcapng rather than the classic format because a frame can
 * carry its direction and a comment, which is how a capture written by
 * several processes of one stack says which of them handled each frame,
 * and because a block is self-contained: processes appending whole blocks
 * to one file still write a valid capture. */
#include <mynet/stack.h>

#include <string.h>

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define LINKTYPE_ETHERNET 1

#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_EPB_FLAGS 2
#define EPB_FLAG_INBOUND 1u
#define EPB_FLAG_OUTBOUND 2u

#define PAD4(n) (((n) + 3u) & ~3u)

/* The only little-endian fields in mynet; be.h stays big-endian only. */
static void put16le(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
  put16le(p, (uint16_t)v);
  put16le(p + 2, (uint16_t)(v >> 16));
}

/* An option of len bytes of value, padded; returns its size. */
static size_t put_option(uint8_t *p, uint16_t code, const void *val, size_t len)
{
  put16le(p, code);
  put16le(p + 2, (uint16_t)len);
  memcpy(p + 4, val, len);
  memset(p + 4 + len, 0, PAD4(len) - len);
  return 4 + PAD4(len);
}

static size_t put_end(uint8_t *p)
{
  put32le(p, 0);
  return 4;
}

/* Both ends of a block carry its total length. */
static size_t close_block(uint8_t *start, size_t len)
{
  put32le(start + 4, (uint32_t)(len + 4));
  put32le(start + len, (uint32_t)(len + 4));
  return len + 4;
}

static size_t text_len(const char *s)
{
  return s ? strnlen(s, MYNET_PCAPNG_TEXT_MAX) : 0;
}

MYNET_API size_t mynet_pcapng_file_header(uint8_t out[MYNET_PCAPNG_FILE_HDR_MAX],
                                          const char *ifname, uint32_t snaplen)
{
  static const char appl[] = "mynet";
  uint8_t *p = out;
  size_t n = 0;
  put32le(p, BT_SHB);
  put32le(p + 8, BYTE_ORDER_MAGIC);
  put16le(p + 12, 1); /* version 1.0 */
  put16le(p + 14, 0);
  put32le(p + 16, 0xffffffffu); /* section length unknown: appended to */
  put32le(p + 20, 0xffffffffu);
  n = 24;
  n += put_option(p + n, OPT_SHB_USERAPPL, appl, sizeof appl - 1);
  n += put_end(p + n);
  n = close_block(p, n);

  p = out + n;
  size_t m = 0;
  put32le(p, BT_IDB);
  put16le(p + 8, LINKTYPE_ETHERNET);
  put16le(p + 10, 0);
  put32le(p + 12, snaplen);
  m = 16;
  size_t name = text_len(ifname);
  if (name)
    m += put_option(p + m, OPT_IF_NAME, ifname, name);
  m += put_end(p + m); /* if_tsresol absent: microseconds */
  return n + close_block(p, m);
}

MYNET_API size_t mynet_pcapng_packet(uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN],
                                     uint8_t tail[MYNET_PCAPNG_PKT_TAIL_MAX], int64_t unix_us,
                                     uint32_t caplen, uint32_t len, int dir, const char *comment)
{
  uint64_t ts = (uint64_t)unix_us; /* before 1970 is out of pcapng's range */
  put32le(head, BT_EPB);
  put32le(head + 8, 0); /* interface 0, the one the header describes */
  put32le(head + 12, (uint32_t)(ts >> 32));
  put32le(head + 16, (uint32_t)ts);
  put32le(head + 20, caplen);
  put32le(head + 24, len);

  size_t n = PAD4(caplen) - caplen;
  memset(tail, 0, n);
  uint8_t flags[4];
  put32le(flags, dir == MYNET_FRAME_IN ? EPB_FLAG_INBOUND : EPB_FLAG_OUTBOUND);
  n += put_option(tail + n, OPT_EPB_FLAGS, flags, sizeof flags);
  size_t clen = text_len(comment);
  if (clen)
    n += put_option(tail + n, OPT_COMMENT, comment, clen);
  n += put_end(tail + n);
  uint32_t total = (uint32_t)(MYNET_PCAPNG_PKT_HEAD_LEN + caplen + n + 4);
  put32le(head + 4, total);
  put32le(tail + n, total);
  return n + 4;
}
