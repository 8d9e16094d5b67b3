/* Every unit-test program's main(): run one suite, exit 0 only if all of
 * its tests passed. */
#ifndef MN_TEST_RUN_H
#define MN_TEST_RUN_H

#include <check.h>

static inline int mn_test_run_mode(Suite *s, enum fork_status mode)
{
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, mode);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

static inline int mn_test_run(Suite *s)
{
  return mn_test_run_mode(s, CK_FORK_GETENV);
}

/* The shim's tests: in the preloaded process itself, whose stack and
 * descriptors are what they test. */
static inline int mn_test_run_in_process(Suite *s)
{
  return mn_test_run_mode(s, CK_NOFORK);
}

#endif
