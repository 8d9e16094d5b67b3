/* Tests of the preload library seen from a program: the test binary
 * re-executes itself with libmynet.so (next to it in the build tree) in
 * LD_PRELOAD and the stack on loopback only (MYNET_TAP=none). */
#ifndef MN_TEST_PRELOAD_H
#define MN_TEST_PRELOAD_H

#include <stdbool.h>

/* True in the re-executed, preloaded process. */
bool mn_test_preloaded(void);

/* Re-executes argv[0] preloaded; returns only on failure (exit status). */
int mn_test_reexec_preloaded(char **argv);
/* The same with more variables ("NAME=value", NULL-terminated). */
int mn_test_reexec_preloaded_env(char **argv, const char *const *env);

#endif
