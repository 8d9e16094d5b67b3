/* The Internet checksum (RFC 1071), in pieces so that a pseudo-header and a
 * payload that live in different places can be summed without copying. */
#ifndef MN_WIRE_CHECKSUM_H
#define MN_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes to a running 32-bit sum.  Pieces after the first must
 * start at an even offset of the summed message (all callers sum a header
 * and then a payload, both even-aligned). */
uint32_t mn_csum_add(uint32_t sum, const void *data, size_t len);
/* Fold to 16 bits and complement: the value to store in the header. */
uint16_t mn_csum_fold(uint32_t sum);
/* The TCP/UDP pseudo-header (RFC 768, RFC 9293 3.1); addresses in host order. */
uint32_t mn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
