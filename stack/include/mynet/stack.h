/* The stack object: one value that owns every piece of protocol state.
 *
 * The stack never reads a clock, sleeps, blocks, starts a thread or sets
 * errno.  Its driver (the shim's runtime, or a unit test) hands it the
 * current time, calls mynet_stack_poll() when a device has frames or a
 * deadline has passed, and asks mynet_stack_deadline() when it must come
 * back.  Every call into a stack must be serialised by the caller (the
 * shim holds one lock per stack). */
#ifndef MYNET_STACK_H
#define MYNET_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MYNET_BUILDING) && defined(__GNUC__)
#define MYNET_API __attribute__((visibility("default")))
#else
#define MYNET_API
#endif

/* Monotonic time in microseconds; the origin is the driver's choice. */
typedef int64_t mynet_time;
#define MYNET_TIME_NEVER INT64_MAX
#define MYNET_US(x) ((mynet_time)(x))
#define MYNET_MS(x) ((mynet_time)(x)*1000)
#define MYNET_SEC(x) ((mynet_time)(x)*1000000)

typedef struct mynet_stack mynet_stack;
/* A range of memory with the stack's allocator over it (stack/core/region.h). */
struct mn_region;

enum mynet_log_level {
  MYNET_LOG_ERROR = 0,
  MYNET_LOG_WARN,
  MYNET_LOG_INFO,
  MYNET_LOG_DEBUG,
  MYNET_LOG_TRACE,
};

enum mynet_frame_dir { MYNET_FRAME_IN = 0, MYNET_FRAME_OUT = 1 };

struct mynet_stack_params {
  uint64_t seed; /* random source: ISNs, ports, IP IDs, MACs */
  mynet_time now;
  /* Messages above this level are never formatted; the others wait in the
   * stack for mynet_stack_take_log().  -1: none. */
  int log_level;
  size_t pool_bytes; /* bound on packet-buffer memory; 0 = default (32 MiB) */
  /* Lowest number for the descriptors a port opens (the TAP): a driver
   * living inside another program keeps them out of the program's way.
   * 0: wherever the kernel puts them. */
  int fd_floor;
  /* Where everything the stack owns is allocated, the stack object
   * included (its devices excepted: they belong to one process); NULL:
   * malloc.  The region must outlive the stack. */
  struct mn_region *region;
};

MYNET_API int mynet_stack_new(const struct mynet_stack_params *p, mynet_stack **out);
MYNET_API void mynet_stack_free(mynet_stack *st);

/* Advance the stack's idea of the current time (never backwards). */
MYNET_API void mynet_stack_set_now(mynet_stack *st, mynet_time now);
MYNET_API mynet_time mynet_stack_now(const mynet_stack *st);

/* A port: a device one process has opened for one of the stack's
 * interfaces (its TAP queue, a test device), with what the process
 * wraps around it (fault injection, a capture hook).  Ports are each
 * process's own and never part of the stack's state: the stack queues the
 * frames an interface sends, and whoever drives it (holding the lock)
 * hands them to its port and the port's received frames to the stack. */
typedef struct mynet_port mynet_port;

/* Receive what the ports have, deliver loopback traffic, run due timers,
 * and hand every frame the stack queued meanwhile to the ports of its
 * interface.  Returns the number of frames received. */
MYNET_API int mynet_stack_poll(mynet_stack *st, mynet_port *const *ports, int nports,
                               mynet_time now);
/* Hand the frames the stack queued (by calls made since the last poll) to
 * the ports of their interfaces. */
MYNET_API void mynet_stack_flush(mynet_stack *st, mynet_port *const *ports, int nports);

/* The earliest time at which mynet_stack_poll() must be called even if no
 * frame arrives; MYNET_TIME_NEVER if none, a time <= now if immediately.
 * Ports have deadlines of their own (mynet_port_deadline). */
MYNET_API mynet_time mynet_stack_deadline(const mynet_stack *st);

/* The next message the stack logged (at or below params.log_level), or 0
 * when none waits: its length is returned and up to cap - 1 bytes of it
 * are copied to buf with a NUL; *level gets its level.  Messages that did
 * not fit in the stack's log buffer are counted (log.dropped). */
MYNET_API size_t mynet_stack_take_log(mynet_stack *st, int *level, char *buf, size_t cap);

/* Capture hook of a port: every frame it receives or sends. */
typedef void (*mynet_frame_fn)(void *ctx, int dir, const uint8_t *frame, size_t len,
                               mynet_time now);
MYNET_API void mynet_port_set_frame_hook(mynet_port *p, mynet_frame_fn fn, void *ctx);
/* A kernel fd that becomes readable when the port has frames, or -1. */
MYNET_API int mynet_port_fd(const mynet_port *p);
/* When the port will have frames that no fd event announces (its own
 * delay queues); MYNET_TIME_NEVER if never. */
MYNET_API mynet_time mynet_port_deadline(const mynet_port *p);
MYNET_API void mynet_port_close(mynet_port *p);

/* True while some closed socket still has data or a FIN exchange to finish,
 * or packets wait for address resolution:
 * the driver keeps polling before exit while this holds. */
MYNET_API bool mynet_stack_lingering(const mynet_stack *st);

/* Counters by name ("ip.in_hdr_errors", ...), for tests and diagnostics.
 * Returns -1 for an unknown name. */
MYNET_API int64_t mynet_stack_counter(const mynet_stack *st, const char *name);
/* Every non-zero counter as "name=value" separated by spaces, truncated to
 * cap; returns the length wanted. */
MYNET_API size_t mynet_stack_counters_text(const mynet_stack *st, char *buf, size_t cap);

/* pcapng capture (little-endian, one Ethernet interface) for the driver.
 * The file header is a section header and the interface (named ifname,
 * if not NULL); returns its length.  A packet is written as head, the
 * first caplen bytes of the frame, tail: the frame's direction
 * (MYNET_FRAME_IN or _OUT) and comment (NULL for none) go in the tail,
 * whose length is returned.  Texts are cut at MYNET_PCAPNG_TEXT_MAX. */
#define MYNET_PCAPNG_TEXT_MAX 96
#define MYNET_PCAPNG_FILE_HDR_MAX (44 + 28 + MYNET_PCAPNG_TEXT_MAX)
#define MYNET_PCAPNG_PKT_HEAD_LEN 28
#define MYNET_PCAPNG_PKT_TAIL_MAX (3 + 8 + 4 + MYNET_PCAPNG_TEXT_MAX + 4 + 4)
MYNET_API size_t mynet_pcapng_file_header(uint8_t out[MYNET_PCAPNG_FILE_HDR_MAX],
                                          const char *ifname, uint32_t snaplen);
MYNET_API size_t mynet_pcapng_packet(uint8_t head[MYNET_PCAPNG_PKT_HEAD_LEN],
                                     uint8_t tail[MYNET_PCAPNG_PKT_TAIL_MAX], int64_t unix_us,
                                     uint32_t caplen, uint32_t len, int dir, const char *comment);

#ifdef __cplusplus
}
#endif
#endif
