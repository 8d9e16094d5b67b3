# TCP socket semantics as a program sees them: one line per observation.
# tests/e2e/data/tcp_semantics.expected is what Linux prints for a peer
# across a link (recorded with MYNET_E2E_STACK=kernel); under the shim the
# output must be the same, byte for byte.
import os, select, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import tryit

HOST = sys.argv[1]; PORT = int(sys.argv[2])

# 1. non-blocking connect: EINPROGRESS, then (once writable) 0, then EISCONN
s = socket.socket(); s.setblocking(False)
tryit("connect1", lambda: s.connect((HOST, PORT)))
select.select([], [s], [], 5)
print("so_error", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
tryit("connect2", lambda: s.connect((HOST, PORT)))
tryit("connect3", lambda: s.connect((HOST, PORT)))
s.setblocking(True)
# the server echoes "hello world" then waits for our data, echoes it, closes
time.sleep(0.2)
print("peek", s.recv(5, socket.MSG_PEEK))
print("read", s.recv(5))
print("waitall", s.recv(6, socket.MSG_WAITALL))
s.setblocking(False)
tryit("recv_empty", lambda: s.recv(10))
s.setblocking(True)
s.sendall(b"x" * 1000)
print("echo", len(s.recv(1000, socket.MSG_WAITALL)))
s.shutdown(socket.SHUT_WR)
tryit("send_after_shutwr", lambda: s.send(b"y"))
print("eof", s.recv(10))
print("eof2", s.recv(10))
r, w, x = select.select([s], [s], [s], 1)
print("select", len(r), len(w), len(x))
s.close()

# 2. unconnected sockets
u = socket.socket()
tryit("unconn_recv", lambda: u.recv(1))
tryit("unconn_send", lambda: u.send(b"z"))
tryit("unconn_getpeername", lambda: u.getpeername())
tryit("unconn_shutdown", lambda: u.shutdown(socket.SHUT_RDWR))
print("unconn_poll", select.select([u], [u], [u], 0)[1] != [])
u.close()

# 3. refused
c = socket.socket()
tryit("refused", lambda: c.connect((HOST, PORT + 1)))
c.close()

# 4. bind conflicts and a listener's options
a = socket.socket(); a.bind(("0.0.0.0", 40123)); a.listen(1)
b = socket.socket()
tryit("bind_inuse", lambda: b.bind(("0.0.0.0", 40123)))
b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tryit("bind_inuse_reuse", lambda: b.bind(("0.0.0.0", 40123)))
print("acceptconn", a.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
a.setblocking(False)
tryit("accept_empty", lambda: a.accept())
a.close(); b.close()
print("nodelay", socket.socket().getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
