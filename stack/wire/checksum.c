/* The Internet checksum (RFC 1071).
 *
 * The sum is taken over 32-bit words loaded in host byte order into a
 * 64-bit accumulator: no carry handling inside the loop, and four bytes per
 * addition instead of two.  RFC 1071 section 2(B) shows the one's
 * complement sum is byte-order independent up to a final byte swap, so the
 * folded result is swapped once on little-endian hosts.  The value passed
 * between calls is always the network-order (big-endian word) sum, so
 * pieces computed here and by mn_csum_pseudo() add up directly. */
#include "wire/checksum.h"

#include <string.h>

/* Fold a wide one's complement sum to 16 bits (end-around carry). */
static uint32_t fold16(uint64_t s)
{
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint32_t)s;
}

uint32_t mn_csum_add(uint32_t sum, const void *data, size_t len)
{
  const uint8_t *p = data;
  uint64_t acc = 0;
  uint32_t w32;
  uint16_t w16;

  /* memcpy keeps the loads legal at any alignment; compilers turn it into
   * one plain load. */
  while (len >= 16) {
    uint32_t a, b, c, d;
    memcpy(&a, p, 4);
    memcpy(&b, p + 4, 4);
    memcpy(&c, p + 8, 4);
    memcpy(&d, p + 12, 4);
    acc += (uint64_t)a + b + c + d;
    p += 16;
    len -= 16;
  }
  while (len >= 4) {
    memcpy(&w32, p, 4);
    acc += w32;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    memcpy(&w16, p, 2);
    acc += w16;
    p += 2;
    len -= 2;
  }
  if (len) {
    /* An odd last byte is padded with a zero byte (RFC 1071 section 1). */
    uint8_t pad[2] = {p[0], 0};
    memcpy(&w16, pad, 2);
    acc += w16;
  }

  uint32_t s = fold16(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  s = ((s & 0xff) << 8) | (s >> 8);
#endif
  return fold16((uint64_t)sum + s);
}

uint16_t mn_csum_fold(uint32_t sum)
{
  return (uint16_t)~fold16(sum);
}

uint32_t mn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
  /* RFC 768 / RFC 9293 section 3.1: source, destination, zero, protocol,
   * length, as 16-bit words. */
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}
