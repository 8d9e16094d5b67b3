"""A socketserver.ForkingTCPServer: every connection is served by a forked
child.  The child reads one line, answers "pid PID ppid PPID echo LINE"
and then waits for the client to close before it exits, so that the
clients of one round hold their children alive at the same time.

    forking_server.py ADDR PORT

Prints "listening on ADDR:PORT pid PID" once listening.
"""
import os
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode().rstrip("\n")
        self.wfile.write(f"pid {os.getpid()} ppid {os.getppid()} echo {line}\n".encode())
        self.wfile.flush()
        # Hold the child until the client closes (end of stream).
        while self.rfile.read(4096):
            pass


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    with Server((addr, port), Handler) as server:
        print(f"listening on {addr}:{port} pid {os.getpid()}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
