# The peer for udp_semantics.py: echoes datagrams on PORT for a while.
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(20)
try:
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)
except socket.timeout:
    pass
