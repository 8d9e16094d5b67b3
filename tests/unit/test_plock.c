/* The lock of a region shared by processes (mynet/region.h): mutual
 * exclusion between processes, and recovery when the holder dies with it:
 * a process that exits, one killed with SIGKILL while it waits inside,
 * and a thread that ends, each holding the lock.  The next taker gets it
 * (told that its holder died), and after that it is an ordinary lock. */
#include "helpers/run.h"

#include <mynet/region.h>

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
  mynet_plock lock;
  volatile long count;
};

static struct shared *shared_new(void)
{
  struct shared *sh =
      mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(sh, MAP_FAILED);
  ck_assert_int_eq(mynet_plock_init(&sh->lock), 0);
  return sh;
}

static void wait_child(pid_t pid, int want_signal)
{
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  if (want_signal) {
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), want_signal);
  } else {
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
  }
}

/* After a recovery: plain lock and unlock again, from both processes. */
static void assert_ordinary(struct shared *sh)
{
  ck_assert_int_eq(mynet_plock_lock(&sh->lock), 0);
  mynet_plock_unlock(&sh->lock);
  pid_t pid = fork();
  if (pid == 0)
    _exit(mynet_plock_lock(&sh->lock) == 0 ? (mynet_plock_unlock(&sh->lock), 0) : 1);
  wait_child(pid, 0);
  ck_assert_int_eq(mynet_plock_lock(&sh->lock), 0);
  mynet_plock_unlock(&sh->lock);
}

#define ROUNDS 20000

static void add_rounds(struct shared *sh)
{
  for (int i = 0; i < ROUNDS; i++) {
    mynet_plock_lock(&sh->lock);
    long v = sh->count; /* a read and a write apart: lost without the lock */
    sh->count = v + 1;
    mynet_plock_unlock(&sh->lock);
  }
}

START_TEST(test_plock_excludes_another_process)
{
  struct shared *sh = shared_new();
  pid_t pid = fork();
  if (pid == 0) {
    add_rounds(sh);
    _exit(0);
  }
  add_rounds(sh);
  wait_child(pid, 0);
  ck_assert_int_eq(sh->count, 2 * ROUNDS);
  munmap(sh, sizeof *sh);
}
END_TEST

START_TEST(test_plock_a_process_that_exits_holding_it_leaves_it_to_the_next)
{
  struct shared *sh = shared_new();
  pid_t pid = fork();
  if (pid == 0) {
    mynet_plock_lock(&sh->lock);
    sh->count = 1;
    _exit(0);
  }
  wait_child(pid, 0);
  ck_assert_int_eq(mynet_plock_lock(&sh->lock), 1);
  ck_assert_int_eq(sh->count, 1);
  mynet_plock_unlock(&sh->lock);
  assert_ordinary(sh);
  munmap(sh, sizeof *sh);
}
END_TEST

START_TEST(test_plock_a_process_killed_inside_leaves_it_to_the_next)
{
  struct shared *sh = shared_new();
  int ready[2];
  ck_assert_int_eq(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    mynet_plock_lock(&sh->lock);
    (void)!write(ready[1], "x", 1);
    for (;;)
      pause(); /* inside, until killed */
  }
  char c;
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  /* The child holds it now: a second process waits... */
  pid_t waiter = fork();
  if (waiter == 0)
    _exit(mynet_plock_lock(&sh->lock) == 1 ? (mynet_plock_unlock(&sh->lock), 0) : 1);
  /* ...and gets it, told, once the holder is killed. */
  kill(pid, SIGKILL);
  wait_child(pid, SIGKILL);
  wait_child(waiter, 0);
  assert_ordinary(sh);
  close(ready[0]);
  close(ready[1]);
  munmap(sh, sizeof *sh);
}
END_TEST

static void *lock_and_end(void *arg)
{
  mynet_plock_lock(arg);
  return NULL;
}

START_TEST(test_plock_a_thread_that_ends_holding_it_leaves_it_to_the_next)
{
  struct shared *sh = shared_new();
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, lock_and_end, &sh->lock), 0);
  pthread_join(t, NULL);
  ck_assert_int_eq(mynet_plock_lock(&sh->lock), 1);
  mynet_plock_unlock(&sh->lock);
  assert_ordinary(sh);
  munmap(sh, sizeof *sh);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("plock");
  TCase *tc = tcase_create("plock");
  tcase_add_test(tc, test_plock_excludes_another_process);
  tcase_add_test(tc, test_plock_a_process_that_exits_holding_it_leaves_it_to_the_next);
  tcase_add_test(tc, test_plock_a_process_killed_inside_leaves_it_to_the_next);
  tcase_add_test(tc, test_plock_a_thread_that_ends_holding_it_leaves_it_to_the_next);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return mn_test_run(suite());
}
