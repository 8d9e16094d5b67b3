#!/bin/bash
# What a program sees of TCP through the shim is what Linux shows it: the
# non-blocking connect sequence (EINPROGRESS, 0, EISCONN), MSG_PEEK,
# MSG_WAITALL, EAGAIN, EPIPE after SHUT_WR, end of stream, select() on a
# closed stream, calls on unconnected sockets, ECONNREFUSED, EADDRINUSE,
# SO_ACCEPTCONN, TCP_NODELAY.  The expected output was recorded with the
# kernel in the stack's place (MYNET_E2E_STACK=kernel, a veth peer), and
# that mode checks it again on every run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3 ss
setup

DATA=$(dirname "$0")/data
PORT=9500
in_ns_bg server python3 "$DATA/tcp_semantics_server.py" "$KERNEL_IP" "$PORT"
wait_listen "$PORT" || fail "the kernel-side server did not start"

compare_with_linux tcp_semantics "$KERNEL_IP" "$PORT"
