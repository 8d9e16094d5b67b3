# The peer for tcp_semantics.py: sends "hello world", echoes 1000 bytes,
# waits for the FIN, closes.
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(5)
c, _ = l.accept()
c.sendall(b"hello world")
got = b""
while len(got) < 1000:
    d = c.recv(1000 - len(got))
    if not d: break
    got += d
c.sendall(got)
c.recv(10)  # wait for the client's FIN
c.close()
