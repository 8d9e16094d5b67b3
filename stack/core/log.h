/* Logging through the driver's hook.  The level is checked before the
 * arguments are formatted, so a disabled trace line costs one compare. */
#ifndef MN_CORE_LOG_H
#define MN_CORE_LOG_H

#include <mynet/stack.h>

struct mynet_stack;

void mn_log_emit(const struct mynet_stack *st, int level, const char *fmt, ...)
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
