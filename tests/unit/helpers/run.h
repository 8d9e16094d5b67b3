/* Every unit-test program's main(): run one suite, exit 0 only if all of
 * its tests passed. */
#ifndef MN_TEST_RUN_H
#define MN_TEST_RUN_H

#include <check.h>

static inline int mn_test_run(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}

#endif
