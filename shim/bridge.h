/* Standard input, output and error of a program exec()ed on a stack
 * socket (inetd style, socat's EXEC, a shell's redirections).
 *
 * Such a program may read and write them through stdio, whose reads and
 * writes are libc's internal calls that no preload library sees: on the
 * eventfd behind a stack socket they would read counters and lose the
 * data.  So its standard descriptors become one end of a kernel socket
 * pair, and a relay process (socat's way) moves the bytes between the
 * other end and the stack socket.  Every call reaches the same data that
 * way; the socket's addresses and options are still the stack socket's
 * (getpeername, getsockname, TCP options), and the program keeps holding
 * it, so its connection lives as long as on the kernel.  The relay ends
 * when both directions have: the program's end closed (every copy of it,
 * its exit included) and what it wrote delivered; the peer's FIN passed
 * on as an end of file. */
#ifndef SHIM_BRIDGE_H
#define SHIM_BRIDGE_H

/* In a program that took up its stack after exec, before main: relays for
 * the stream sockets among descriptors 0-2.  Without the lock. */
void shim_bridge_stdio(void);

#endif
