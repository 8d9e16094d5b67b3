/* The classic pcap file format (the libpcap "savefile", also described in
 * draft-ietf-opsawg-pcap), written little-endian so the magic number reads
 * 0xa1b2c3d4 on the machines we run on: microsecond timestamps. */
#include <mynet/stack.h>

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_LINKTYPE_ETHERNET 1

enum {
  OFF_MAGIC = 0,
  OFF_VMAJOR = 4,
  OFF_VMINOR = 6,
  OFF_THISZONE = 8,
  OFF_SIGFIGS = 12,
  OFF_SNAPLEN = 16,
  OFF_LINKTYPE = 20,
};

enum {
  OFF_TS_SEC = 0,
  OFF_TS_USEC = 4,
  OFF_CAPLEN = 8,
  OFF_LEN = 12,
};

/* The only little-endian fields in mynet; be.h stays big-endian only. */
static void put16le(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

MYNET_API void mynet_pcap_file_header(uint8_t out[MYNET_PCAP_FILE_HDR_LEN], uint32_t snaplen)
{
  put32le(out + OFF_MAGIC, PCAP_MAGIC);
  put16le(out + OFF_VMAJOR, PCAP_VERSION_MAJOR);
  put16le(out + OFF_VMINOR, PCAP_VERSION_MINOR);
  put32le(out + OFF_THISZONE, 0); /* timestamps are UTC */
  put32le(out + OFF_SIGFIGS, 0);
  put32le(out + OFF_SNAPLEN, snaplen);
  put32le(out + OFF_LINKTYPE, PCAP_LINKTYPE_ETHERNET);
}

MYNET_API void mynet_pcap_record_header(uint8_t out[MYNET_PCAP_REC_HDR_LEN], int64_t unix_us,
                                        uint32_t caplen, uint32_t len)
{
  /* Floor division, so a time before 1970 still has 0 <= usec < 10^6. */
  int64_t sec = unix_us / 1000000;
  int64_t usec = unix_us % 1000000;
  if (usec < 0) {
    usec += 1000000;
    sec -= 1;
  }
  put32le(out + OFF_TS_SEC, (uint32_t)sec);
  put32le(out + OFF_TS_USEC, (uint32_t)usec);
  put32le(out + OFF_CAPLEN, caplen);
  put32le(out + OFF_LEN, len);
}
