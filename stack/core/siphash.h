/* SipHash-2-4: the keyed hash behind RFC 6528 initial sequence numbers
 * and RFC 6056 port offsets, so neither can be predicted off-path. */
#ifndef MN_CORE_SIPHASH_H
#define MN_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t mn_siphash(const uint64_t key[2], const void *data, size_t len);

#endif
