/* Logging into the stack's own buffer.  The level is checked before the
 * arguments are formatted, so a disabled trace line costs one compare.
 * Messages wait in a bounded ring inside the stack until whoever drives
 * it takes them (mynet_stack_take_log) and writes them where its process
 * logs: the stack calls no hook, as its state holds no function pointers
 * and several processes may drive one stack. */
#ifndef MN_CORE_LOG_H
#define MN_CORE_LOG_H

#include <mynet/stack.h>
#include <stddef.h>
#include <stdint.h>

struct mynet_stack;

#define MN_LOG_RING_BYTES (64 * 1024)

struct mn_log_ring {
  int level;         /* messages above it are never formatted; -1 none */
  size_t head, used; /* the oldest record's offset; bytes in use */
  uint64_t dropped;  /* messages that did not fit */
  char buf[MN_LOG_RING_BYTES];
};

void mn_log_ring_init(struct mn_log_ring *r, int level);
/* Appends a message (truncated to fit a record); false if there was no
 * room, counted in dropped. */
bool mn_log_ring_put(struct mn_log_ring *r, int level, const char *msg);
/* The oldest message, as mynet_stack_take_log() says. */
size_t mn_log_ring_take(struct mn_log_ring *r, int *level, char *buf, size_t cap);

void mn_log_emit(struct mynet_stack *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mn_log_level(const struct mynet_stack *st);

#define MN_LOG(st, level, ...)                                                                     \
  do {                                                                                             \
    if ((level) <= mn_log_level(st))                                                               \
      mn_log_emit((st), (level), __VA_ARGS__);                                                     \
  } while (0)

#define MN_ERROR(st, ...) MN_LOG(st, MYNET_LOG_ERROR, __VA_ARGS__)
#define MN_WARN(st, ...) MN_LOG(st, MYNET_LOG_WARN, __VA_ARGS__)
#define MN_INFO(st, ...) MN_LOG(st, MYNET_LOG_INFO, __VA_ARGS__)
#define MN_DEBUG(st, ...) MN_LOG(st, MYNET_LOG_DEBUG, __VA_ARGS__)
#define MN_TRACE(st, ...) MN_LOG(st, MYNET_LOG_TRACE, __VA_ARGS__)

#endif
