/* The exec family: the stack made ready for the exec (runtime.c,
 * shim_exec_prepare), then libc's exec; what the program exec()ed
 * inherits is taken up when the library loads in it.  Each name is interposed, not just execve:
 * libc's own execvp, execl and the rest reach execve inside libc, where no preload sees them. */
#include "shim.h"

#include "runtime.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

int execve(const char *path, char *const argv[], char *const envp[])
{
  shim_exec_prepare();
  int r = REAL(execve)(path, argv, envp);
  shim_exec_failed();
  return r;
}

int execv(const char *path, char *const argv[])
{
  shim_exec_prepare();
  int r = REAL(execv)(path, argv);
  shim_exec_failed();
  return r;
}

int execvp(const char *file, char *const argv[])
{
  shim_exec_prepare();
  int r = REAL(execvp)(file, argv);
  shim_exec_failed();
  return r;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
  shim_exec_prepare();
  int r = REAL(execvpe)(file, argv, envp);
  shim_exec_failed();
  return r;
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
  shim_exec_prepare();
  int r = REAL(fexecve)(fd, argv, envp);
  shim_exec_failed();
  return r;
}

/* The list forms gather their arguments into a vector on the stack (no
 * heap: a vfork child shares its parent's) and take the vector form.
 * Counted as glibc counts them: arg, then up to the first NULL; execle's
 * environment follows the NULL. */
enum exec_list_form { LIST_PATH, LIST_SEARCH, LIST_ENV };
enum { EXEC_MAX_LIST = 8192 };

static int exec_list(enum exec_list_form form, const char *path, const char *arg, va_list *ap)
{
  va_list count;
  va_copy(count, *ap);
  size_t n = 1;
  while (n <= EXEC_MAX_LIST && va_arg(count, char *) != NULL)
    n++;
  va_end(count);
  if (n > EXEC_MAX_LIST) { /* more than the kernel would take anyway */
    errno = E2BIG;
    return -1;
  }
  char *argv[n + 1];
  argv[0] = (char *)arg;
  for (size_t i = 1; i <= n; i++) /* the last, the list's NULL */
    argv[i] = va_arg(*ap, char *);
  switch (form) {
  case LIST_SEARCH:
    return execvp(path, argv);
  case LIST_ENV:
    return execve(path, argv, va_arg(*ap, char *const *));
  case LIST_PATH:
  default:
    return execv(path, argv);
  }
}

int execl(const char *path, const char *arg, ...)
{
  va_list ap;
  va_start(ap, arg);
  int r = exec_list(LIST_PATH, path, arg, &ap);
  va_end(ap);
  return r;
}

int execlp(const char *file, const char *arg, ...)
{
  va_list ap;
  va_start(ap, arg);
  int r = exec_list(LIST_SEARCH, file, arg, &ap);
  va_end(ap);
  return r;
}

int execle(const char *path, const char *arg, ...)
{
  va_list ap;
  va_start(ap, arg);
  int r = exec_list(LIST_ENV, path, arg, &ap);
  va_end(ap);
  return r;
}
