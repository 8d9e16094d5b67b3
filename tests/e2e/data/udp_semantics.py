# UDP socket semantics as a program sees them: one line per observation.
# tests/e2e/data/udp_semantics.expected is what Linux prints with its peer
# across a link (recorded with MYNET_E2E_STACK=kernel); under the shim the
# output must be the same, byte for byte.  The peer echoes on PORT and has
# nothing on PORT + 1.
import os, select, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import tryit

HOST = sys.argv[1]; PORT = int(sys.argv[2])

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("fresh_name", u.getsockname())
print("fresh_poll", [len(x) for x in select.select([u], [u], [u], 0)])
u.setblocking(False)
tryit("recv_empty", lambda: u.recvfrom(100))
tryit("send_no_dest", lambda: u.send(b"x"))
tryit("sendto_port0", lambda: u.sendto(b"x", (HOST, 0)))
tryit("sendto_bcast", lambda: u.sendto(b"x", ("255.255.255.255", PORT)))
tryit("sendto_big", lambda: u.sendto(b"x" * 65508, (HOST, PORT)))
tryit("sendto", lambda: u.sendto(b"hello peer", (HOST, PORT)))
print("bound_port_nonzero", u.getsockname()[1] != 0)
select.select([u], [], [], 3)
tryit("peek", lambda: u.recv(5, socket.MSG_PEEK))
tryit("trunc_len", lambda: len(u.recv(5, socket.MSG_TRUNC)))
tryit("recv_empty2", lambda: u.recvfrom(100))
u.close()

c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tryit("bind_nonlocal", lambda: c.bind(("203.0.113.9", 0)))
tryit("shutdown_unconnected", lambda: c.shutdown(socket.SHUT_RD))
c.close()

c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect((HOST, PORT + 1))
print("connected_peer", c.getpeername())
tryit("send_closed_port", lambda: c.send(b"anyone?"))
time.sleep(0.5)
print("poll_after_icmp", [len(x) for x in select.select([c], [], [], 0)])
tryit("recv_after_icmp", lambda: c.recv(100))
tryit("recv_again", lambda: (c.setblocking(False), c.recv(100))[1])
c.connect((HOST, PORT))
tryit("send_echo", lambda: c.send(b"ping"))
c.setblocking(True); c.settimeout(3)
tryit("recv_echo", lambda: c.recv(100))
tryit("shutdown_connected", lambda: c.shutdown(socket.SHUT_WR))
tryit("send_after_shutwr", lambda: c.send(b"x"))
c.close()
