"""A server that hands each accepted connection to a program it runs with
python's subprocess, the socket as the program's standard input and
output (inetd style), and closes its own copy at once.

usage: subprocess_server.py ADDR PORT CONNECTIONS MODE PROGRAM [ARGS...]
MODE: vfork (subprocess's default path: vfork, close_fds) or fork (a
preexec_fn makes subprocess fork, and the child exec()s with the library's
threads running).  Prints "listening on ADDR:PORT", then one line per
connection with the program's exit status; exits after CONNECTIONS.
"""
import socket
import subprocess
import sys

addr, port, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
program = sys.argv[5:]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((addr, port))
listener.listen(16)
print(f"listening on {addr}:{port}", flush=True)
for i in range(count):
    conn, _ = listener.accept()
    kwargs = {"preexec_fn": lambda: None} if mode == "fork" else {}
    child = subprocess.Popen(program, stdin=conn, stdout=conn, **kwargs)
    conn.close()
    print(f"connection {i + 1}: {program[0]} exited {child.wait()}", flush=True)
