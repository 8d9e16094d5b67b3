/* What a wire parser says about a buffer.  Each reason is a drop counter in
 * the layer that called the parser. */
#ifndef MN_WIRE_PARSE_H
#define MN_WIRE_PARSE_H

enum mn_parse {
  MN_PARSE_OK = 0,
  MN_PARSE_TRUNCATED,   /* shorter than the header, or than a length field says */
  MN_PARSE_BAD_VERSION, /* IP version, ARP hardware/protocol types */
  MN_PARSE_BAD_HDRLEN,  /* IHL or TCP data offset out of range */
  MN_PARSE_BAD_LENGTH,  /* a length field smaller than its own header */
  MN_PARSE_BAD_CHECKSUM,
  MN_PARSE_UNSUPPORTED, /* well-formed but not something we handle */
  MN_PARSE_BAD_NAME,    /* a DNS name: looping or forward pointer, reserved label, too long */
};

const char *mn_parse_str(enum mn_parse r);

#endif
