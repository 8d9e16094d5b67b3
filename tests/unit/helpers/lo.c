#include "helpers/lo.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct sockaddr_in lo_addr(int port)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool is_stack_socket(int fd)
{
  char path[64], link[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n < 0 ? 0 : n] = '\0';
  return strcmp(link, "anon_inode:[eventfd]") == 0;
}

int tcp_listener(int port)
{
  int l = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert(is_stack_socket(l));
  int on = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(l, 8), 0);
  return l;
}

void tcp_pair(int port, int *c, int *s)
{
  int l = tcp_listener(port);
  *c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = lo_addr(port);
  ck_assert_int_eq(connect(*c, (struct sockaddr *)&a, sizeof a), 0);
  *s = accept(l, NULL, NULL);
  ck_assert_int_ge(*s, 0);
  close(l);
}
