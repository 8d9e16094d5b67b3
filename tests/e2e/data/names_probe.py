"""What Python's resolver calls answer for some names and addresses, one
line per call, for test_names.sh to compare between a program under the
shim and the same program on the kernel's stack (no timings, so that the
lines compare exactly).

usage: names_probe.py NAME... -- ADDRESS...
"""
import socket
import sys


def show(label, call):
    try:
        result = call()
    except OSError as e:
        result = "%s %s" % (type(e).__name__, e)
    print(label, result)


def main(argv):
    sep = argv.index("--") if "--" in argv else len(argv)
    for name in argv[:sep]:
        show("getaddrinfo %s 80" % name, lambda: socket.getaddrinfo(name, 80))
        show("getaddrinfo %s http AF_INET SOCK_STREAM AI_CANONNAME" % name,
             lambda: socket.getaddrinfo(name, "http", socket.AF_INET, socket.SOCK_STREAM, 0,
                                        socket.AI_CANONNAME))
        show("getaddrinfo %s 80 AF_INET6" % name,
             lambda: socket.getaddrinfo(name, 80, socket.AF_INET6, socket.SOCK_STREAM))
        show("gethostbyname_ex %s" % name, lambda: socket.gethostbyname_ex(name))
    for addr in argv[sep + 1:]:
        show("getnameinfo %s 80" % addr, lambda: socket.getnameinfo((addr, 80), 0))
        show("gethostbyaddr %s" % addr, lambda: socket.gethostbyaddr(addr))


if __name__ == "__main__":
    main(sys.argv[1:])
