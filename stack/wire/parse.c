/* Names for parser verdicts, for logs and counters. */
#include "wire/parse.h"

const char *mn_parse_str(enum mn_parse r)
{
  switch (r) {
  case MN_PARSE_OK:
    return "ok";
  case MN_PARSE_TRUNCATED:
    return "truncated";
  case MN_PARSE_BAD_VERSION:
    return "bad version";
  case MN_PARSE_BAD_HDRLEN:
    return "bad header length";
  case MN_PARSE_BAD_LENGTH:
    return "bad length";
  case MN_PARSE_BAD_CHECKSUM:
    return "bad checksum";
  case MN_PARSE_UNSUPPORTED:
    return "unsupported";
  case MN_PARSE_BAD_NAME:
    return "bad name";
  }
  return "unknown";
}
