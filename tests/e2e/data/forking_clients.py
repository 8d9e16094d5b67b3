"""Kernel-side clients of forking_server.py: ROUNDS rounds of N clients.
In a round every client connects and sends its own line first, then each
reads its answer, and only then do they all close: the server's children
for one round are all alive at once, so their pids are distinct.

    forking_clients.py HOST PORT N ROUNDS SERVER_PID

Checks every answer (the client's own line, a pid other than the
server's, a parent pid that is the server's, distinct pids within a
round), prints one line per client and exits 1 on the first bad answer.
"""
import os
import socket
import sys


def main():
    host, port, n, rounds, server_pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    for r in range(1, rounds + 1):
        conns = []
        for i in range(1, n + 1):
            s = socket.create_connection((host, port), timeout=20)
            line = f"round {r} client {i} {os.urandom(8).hex()}"
            s.sendall(line.encode() + b"\n")
            conns.append((s, line))
        pids = set()
        for s, line in conns:
            answer = s.makefile("rb").readline().decode().rstrip("\n")
            words = answer.split(" ", 5)
            if len(words) != 6 or words[0] != "pid" or words[2] != "ppid" or words[4] != "echo":
                sys.exit(f"{line}: unexpected answer {answer!r}")
            pid, ppid, echo = int(words[1]), int(words[3]), words[5]
            if echo != line:
                sys.exit(f"{line}: the answer echoes {echo!r}")
            if pid == server_pid:
                sys.exit(f"{line}: answered by the server process itself (pid {pid}), not a child")
            if ppid != server_pid:
                sys.exit(f"{line}: answered by pid {pid} whose parent is {ppid}, not the server {server_pid}")
            if pid in pids:
                sys.exit(f"{line}: pid {pid} already served another client of this round")
            pids.add(pid)
            print(f"{line}: served by child {pid}", flush=True)
        for s, _ in conns:
            s.close()


if __name__ == "__main__":
    main()
