/* Sockets over the stack's loopback, for the tests that run preloaded
 * (preload.h): addresses, listeners and connected pairs, checked. */
#ifndef MN_TEST_LO_H
#define MN_TEST_LO_H

#include <netinet/in.h>
#include <stdbool.h>

/* 127.0.0.1:port. */
struct sockaddr_in lo_addr(int port);
/* Under the shim a stack socket answers getsockopt but is an eventfd to
 * the kernel. */
bool is_stack_socket(int fd);
/* A stack TCP socket listening on 127.0.0.1:port (SO_REUSEADDR). */
int tcp_listener(int port);
/* A connected pair over loopback: *c the client, *s the accepted side. */
void tcp_pair(int port, int *c, int *s);

#endif
