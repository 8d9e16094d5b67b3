/* Small helpers shared by every layer. */
#ifndef MN_CORE_UTIL_H
#define MN_CORE_UTIL_H

#include <stddef.h>

#define mn_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define MN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define MN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
