/* The lock of a region shared by processes (mynet/region.h). */
#include <mynet/region.h>

#include <errno.h>

MYNET_API int mynet_plock_init(mynet_plock *l)
{
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (r == 0)
    r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (r == 0)
    r = pthread_mutex_init(l, &a);
  pthread_mutexattr_destroy(&a);
  return -r;
}

MYNET_API int mynet_plock_lock(mynet_plock *l)
{
  int r = pthread_mutex_lock(l);
  if (r == EOWNERDEAD) {
    /* Without this the next unlock makes it unusable for good
     * (ENOTRECOVERABLE): the others would never take it again. */
    pthread_mutex_consistent(l);
    return 1;
  }
  return 0;
}

MYNET_API void mynet_plock_unlock(mynet_plock *l)
{
  pthread_mutex_unlock(l);
}
