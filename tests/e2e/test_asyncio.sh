#!/bin/bash
# Python asyncio (its selector event loop, epoll) over the stack: a server
# and a client exchange 10 MB each way at once on one connection, each
# checking the other's bytes by SHA-256.  First the server runs under the
# shim and the client on the kernel's side, then the other way round.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3 ss
setup

script=$(dirname "$0")/data/asyncio_exchange.py

# 1. The server under the shim, the client on the kernel.
shim_bg server python3 "$script" server 0.0.0.0 9700
wait_log server '^listening on' 15 || fail "the asyncio server under the shim did not start"
out=$(in_ns python3 "$script" client "$STACK_IP" 9700 2>&1) ||
  fail "the kernel's asyncio client failed: $out"
log "$out"
wait_exit server 30 || fail "the asyncio server under the shim failed (status $?)"
grep -q '^server: received 10485760 bytes, sha256 matches' "$(logof server)" ||
  fail "the asyncio server under the shim did not get the client's 10 MB intact"
pass "asyncio server under the shim: 10 MB each way intact"

# 2. The server on the kernel, the client under the shim.
in_ns_bg kserver python3 "$script" server "$KERNEL_IP" 9701 </dev/null
wait_listen 9701 || fail "the kernel's asyncio server did not start"
out=$(shim python3 "$script" client "$KERNEL_IP" 9701 2>&1) ||
  fail "the asyncio client under the shim failed: $out"
log "$out"
wait_exit kserver 30 || fail "the kernel's asyncio server failed (status $?)"
grep -q '^server: received 10485760 bytes, sha256 matches' "$(logof kserver)" ||
  fail "the kernel's asyncio server did not get the client's 10 MB intact"
pass "asyncio client under the shim: 10 MB each way intact"
