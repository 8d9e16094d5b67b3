#!/bin/bash
# A bulk TCP stream each way between OpenBSD netcat under the shim and the
# kernel's netcat: nc -l under the shim (passive open, accept) receives
# 50 MB from the kernel, then the kernel's nc -l receives 50 MB from nc
# under the shim (active open).  nc -N shuts the sending side down at the
# end of its input, so each stream ends with a FIN the receiver must see,
# and both programs must exit on their own.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_nc_openbsd
require sha256sum ss
setup

size=50M
bytes=$((50 << 20))

# 1. Kernel -> stack: nc -l under the shim receives.
random_file "$WORK/to-stack.bin" "$size"
# shellcheck disable=SC2016 # expanded by the inner sh
shim_bg shim_recv sh -c 'exec nc -l -n -p 9001 >"$1"' sh "$WORK/at-stack.bin" </dev/null
wait_stack_up 10 || fail "the stack under nc -l does not answer ping"
# Until nc under the shim listens, a connection attempt is refused (RST);
# try again a few times.
sent=false
start=$EPOCHREALTIME
for attempt in 1 2 3 4 5; do
  if in_ns nc -N -n "$STACK_IP" 9001 <"$WORK/to-stack.bin" 2>"$WORK/kernel-send.err"; then
    sent=true
    break
  fi
  log "attempt $attempt: the kernel's nc failed: $(cat "$WORK/kernel-send.err"); retrying"
  sleep 0.3
done
$sent || fail "the kernel's nc -N could not send to nc -l under the shim at $STACK_IP:9001"
status=0
wait_exit shim_recv 20 || status=$?
secs=$(elapsed_since "$start")
((status != 124)) || fail "nc -l under the shim did not exit after the kernel's nc closed"
((status == 0)) || fail "nc -l under the shim exited with status $status"
log "kernel -> stack: $size in ${secs}s, $(mbps "$bytes" "$secs") MB/s"
same_file "$WORK/to-stack.bin" "$WORK/at-stack.bin" "kernel nc -N -> shim nc -l"
pass "nc -l under the shim receives $size from the kernel's nc intact and exits"
rm -f "$WORK/at-stack.bin"

# 2. Stack -> kernel: the kernel's nc -l receives from nc -N under the shim.
random_file "$WORK/to-kernel.bin" "$size"
# shellcheck disable=SC2016 # expanded by the inner sh
in_ns_bg kernel_recv sh -c 'exec nc -v -l -n -s "$1" -p 9002 >"$2"' sh "$KERNEL_IP" "$WORK/at-kernel.bin" </dev/null
wait_listen 9002 || fail "the kernel's nc -l did not start listening on 9002"
start=$EPOCHREALTIME
shim nc -N -n "$KERNEL_IP" 9002 <"$WORK/to-kernel.bin" ||
  fail "nc -N under the shim could not send to the kernel's nc -l at $KERNEL_IP:9002"
status=0
wait_exit kernel_recv 20 || status=$?
secs=$(elapsed_since "$start")
((status != 124)) || fail "the kernel's nc -l did not exit: no FIN from nc -N under the shim?"
((status == 0)) || fail "the kernel's nc -l exited with status $status"
log "stack -> kernel: $size in ${secs}s, $(mbps "$bytes" "$secs") MB/s"
same_file "$WORK/to-kernel.bin" "$WORK/at-kernel.bin" "shim nc -N -> kernel nc -l"
# From the stack's address, i.e. over the TAP, not the kernel's loopback.
grep -q "Connection received on $STACK_IP " "$(logof kernel_recv)" ||
  fail "the kernel's nc -l got the connection from another address than $STACK_IP"
pass "nc -N under the shim sends $size to the kernel's nc -l intact, and both exit"
