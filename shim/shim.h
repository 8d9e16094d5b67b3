/* Included first by every shim source: the build settings the interposed
 * definitions need, the list of interposed calls and small helpers.
 *
 * _FORTIFY_SOURCE would turn read(), recv() & co. into inline functions
 * that clash with our definitions of the same names, so it is off here
 * whatever the toolchain's default (Ubuntu's gcc turns it on). */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#undef _FORTIFY_SOURCE

#include "interpose.h"

#include <errno.h>
#include <sys/types.h>

/* Thread-local variables of a preloaded library can use the static TLS
 * block: no __tls_get_addr call on the hot path. */
#define SHIM_TLS __attribute__((tls_model("initial-exec")))

/* The stack's convention (a value >= 0 or a negative errno) turned into
 * libc's (-1 with errno set). */
static inline ssize_t shim_result(ssize_t r)
{
  if (r < 0) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

#endif
