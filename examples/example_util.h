/* Small helpers the example programs share: byte counts with suffixes,
 * a monotonic clock in seconds, and a write that finishes.  Plain libc, so
 * the examples stay ordinary BSD-socket programs. */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Parse a byte count with an optional K, M or G suffix; -1 if malformed. */
__attribute__((unused)) static int parse_size(const char *s, long long lo, long long *out)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || v < 0)
    return -1;
  long long mult = 1;
  switch (*end) {
  case '\0':
    break;
  case 'K':
  case 'k':
    mult = 1LL << 10;
    end++;
    break;
  case 'M':
  case 'm':
    mult = 1LL << 20;
    end++;
    break;
  case 'G':
  case 'g':
    mult = 1LL << 30;
    end++;
    break;
  default:
    return -1;
  }
  if (*end != '\0' || v > LLONG_MAX / mult || v * mult < lo)
    return -1;
  *out = v * mult;
  return 0;
}

__attribute__((unused)) static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((unused)) static int write_all(int fd, const unsigned char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

#endif
