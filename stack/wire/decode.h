/* Human-readable decoding of a frame for trace logs: one header field per
 * line, the way a reader compares with tshark -V. */
#ifndef MN_WIRE_DECODE_H
#define MN_WIRE_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Writes a NUL-terminated description into out (truncated to cap);
 * returns the length it wanted.  Never reads outside frame[0..len). */
size_t mn_decode_frame(const uint8_t *frame, size_t len, char *out, size_t cap);

#endif
