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

shim python3 "$DATA/tcp_semantics.py" "$KERNEL_IP" "$PORT" >"$WORK/got.txt" 2>&1 ||
  fail "the probe under the shim failed: $(cat "$WORK/got.txt")"
# MYNET_E2E_RECORD=1 with MYNET_E2E_STACK=kernel rewrites the expected
# output from the kernel's behaviour.
if [[ ${MYNET_E2E_RECORD:-} == 1 ]] && kernel_mode; then
  cp "$WORK/got.txt" "$DATA/tcp_semantics.expected"
  log "recorded $DATA/tcp_semantics.expected"
fi
if ! diff -u "$DATA/tcp_semantics.expected" "$WORK/got.txt" >"$WORK/diff.txt"; then
  cat "$WORK/diff.txt"
  fail "socket semantics differ from Linux's (- expected, + under the shim)"
fi
pass "$(wc -l <"$WORK/got.txt") observations identical to Linux's"
