/* Resolution of the real functions behind every interposed name. */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

struct shim_real shim_real_fns;
bool shim_real_resolved;

static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool resolving SHIM_TLS;

void shim_resolve_real(void)
{
  /* dlsym() does not call any interposed function in glibc 2.36; if some
   * future one did, the nested call must not deadlock on resolve_lock. */
  if (resolving)
    return;
  int saved = errno;
  resolving = true;
  pthread_mutex_lock(&resolve_lock);
  if (!__atomic_load_n(&shim_real_resolved, __ATOMIC_ACQUIRE)) {
#define SHIM_RESOLVE_FIXED(ret, name, params, args)                                                \
  shim_real_fns.name = (ret(*) params)dlsym(RTLD_NEXT, #name);
#define SHIM_RESOLVE_VARIADIC(ret, name, params)                                                   \
  shim_real_fns.name = (ret(*) params)dlsym(RTLD_NEXT, #name);
    SHIM_INTERPOSED(SHIM_RESOLVE_FIXED, SHIM_RESOLVE_VARIADIC)
#undef SHIM_RESOLVE_FIXED
#undef SHIM_RESOLVE_VARIADIC
    /* glibc before 2.28 has no fcntl64; the two are the same call here. */
    if (!shim_real_fns.fcntl64)
      shim_real_fns.fcntl64 = shim_real_fns.fcntl;
    __atomic_store_n(&shim_real_resolved, true, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&resolve_lock);
  resolving = false;
  errno = saved;
}
