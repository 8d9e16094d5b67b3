#include "helpers/preload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHILD_MARK "MN_TEST_PRELOADED"

bool mn_test_preloaded(void)
{
  return getenv(CHILD_MARK) != NULL;
}

int mn_test_reexec_preloaded(char **argv)
{
  return mn_test_reexec_preloaded_env(argv, NULL);
}

int mn_test_reexec_preloaded_env(char **argv, const char *const *env)
{
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return perror("readlink /proc/self/exe"), 1;
  self[n] = '\0';
  char lib[PATH_MAX + 16];
  snprintf(lib, sizeof lib, "%.*s/libmynet.so", (int)(strrchr(self, '/') - self), self);
  if (access(lib, R_OK) != 0) {
    fprintf(stderr, "%s: %s not found: build the mynet target first\n", self, lib);
    return 1;
  }
  setenv("LD_PRELOAD", lib, 1);
  setenv("MYNET_TAP", "none", 1);
  setenv("CK_FORK", "no", 1);
  /* A sanitizer build: the runtime comes in with the test itself. */
  setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 0);
  setenv(CHILD_MARK, "1", 1);
  /* Only the variables the tests mean; the library rejects unknown ones. */
  static const char *const drop[] = {"MYNET_ADDR", "MYNET_GW",        "MYNET_ROUTES",
                                     "MYNET_PCAP", "MYNET_FAULTS",    "MYNET_LINGER",
                                     "MYNET_LIB",  "MYNET_BUILD_DIR", "MYNET_SOURCE_DIR"};
  for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
    unsetenv(drop[i]);
  for (; env && *env; env++)
    putenv((char *)*env);
  execv(self, argv);
  perror("execv");
  return 1;
}
