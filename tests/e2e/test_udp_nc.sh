#!/bin/bash
# UDP both ways between real programs: OpenBSD netcat and the echo examples
# under the shim, against the kernel's UDP in the namespace, each side
# taking turns as client and server.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_nc_openbsd
require ss
setup

token=$$-$RANDOM

# 1. nc under the shim is the client of a kernel nc -u -l.  The kernel's nc
#    answers with its stdin once the first datagram has told it the peer,
#    then quits 2 s after its stdin ends (-q 2).
printf 'from-kernel-%s\n' "$token" >"$WORK/kernel-reply"
in_ns_bg kserver nc -v -u -l -n -q 2 "$KERNEL_IP" 7101 <"$WORK/kernel-reply"
wait_for 5 in_ns sh -c "ss -Hlun | grep -q '$KERNEL_IP:7101'" ||
  fail "the kernel's nc -u -l did not start listening"

# -W 1: done after one datagram received; -w 5 bounds the wait for it.
out=$(printf 'from-shim-%s\n' "$token" | shim nc -u -n -w 5 -W 1 "$KERNEL_IP" 7101 2>&1) || true
echo "shim nc received: $out"
grep -q "from-kernel-$token" <<<"$out" || fail "nc under the shim did not receive the kernel's reply"
wait_log kserver "from-shim-$token" 5 || fail "the kernel's nc -u -l did not receive the shim's datagram"
# From the stack's address, i.e. over the TAP, not the kernel's own UDP.
grep -q "Connection received on $STACK_IP " "$(logof kserver)" ||
  fail "the kernel's nc -u -l got the datagram from another address than $STACK_IP"
pass "shim nc -u client <-> kernel nc -u -l: datagrams arrive both ways"
wait_exit kserver 10 || true

# 2. nc under the shim is the server (nc -u -l) and the kernel's nc the
#    client.  Until the shim's socket is bound a datagram draws port
#    unreachable and the kernel's nc gives up, so the client is retried.
printf 'from-shim-server-%s\n' "$token" >"$WORK/shim-reply"
shim_bg sserver nc -u -l -n -q 2 7102 <"$WORK/shim-reply"
wait_stack_up 10 || fail "the stack under the shim's nc -u -l does not answer ping"
got=false
for attempt in 1 2 3 4 5; do
  out=$(printf 'from-kernel-client-%s\n' "$token" |
    in_ns nc -u -n -w 3 -W 1 "$STACK_IP" 7102 2>&1) || true
  if grep -q "from-shim-server-$token" <<<"$out"; then
    got=true
    break
  fi
  log "attempt $attempt: kernel nc got '$out'; retrying"
  sleep 0.5
done
$got || fail "the kernel's nc did not receive the reply of nc -u -l under the shim"
wait_log sserver "from-kernel-client-$token" 5 ||
  fail "nc -u -l under the shim did not receive the kernel's datagram"
pass "kernel nc -u client <-> shim nc -u -l: datagrams arrive both ways"
wait_exit sserver 10 || fail "nc -u -l under the shim did not exit after its stdin ended (-q 2)"
pass "nc -u -l under the shim exits cleanly"

# 3. The echo examples, server under the shim and client on the kernel.
shim_bg echo_shim "$EXAMPLES/udp_echo_server" -p 7103 -n 3
wait_log echo_shim '^listening on' || fail "udp_echo_server under the shim did not start"
in_ns "$EXAMPLES/udp_echo_client" "$STACK_IP" 7103 -c 3 -t 2000 "kernel to shim" ||
  fail "the kernel's udp_echo_client did not get 3 echoes from the server under the shim"
wait_exit echo_shim 10 || fail "udp_echo_server under the shim did not exit after 3 datagrams"
[[ $(grep -c 'bytes from 192.0.2.1:' "$(logof echo_shim)") -eq 3 ]] ||
  fail "udp_echo_server under the shim did not log 3 datagrams from $KERNEL_IP"
pass "udp_echo_server under the shim echoes to the kernel's client"

# 4. Server on the kernel, client under the shim.  The client's first
#    datagram leaves a fresh stack that must first resolve 192.0.2.1 by ARP:
#    the stack is expected to hold the datagram until the reply comes (as
#    Linux does), not drop it.
in_ns_bg echo_kernel "$EXAMPLES/udp_echo_server" -a "$KERNEL_IP" -p 7104 -n 3
wait_log echo_kernel '^listening on' || fail "the kernel's udp_echo_server did not start"
shim "$EXAMPLES/udp_echo_client" "$KERNEL_IP" 7104 -c 3 -t 2000 "shim to kernel" ||
  fail "udp_echo_client under the shim did not get 3 echoes from the kernel's server"
wait_exit echo_kernel 10 || fail "the kernel's udp_echo_server did not exit after 3 datagrams"
[[ $(grep -c "bytes from $STACK_IP:" "$(logof echo_kernel)") -eq 3 ]] ||
  fail "the kernel's udp_echo_server did not log 3 datagrams from $STACK_IP"
pass "udp_echo_client under the shim gets echoes from the kernel's server"

# 5. A client under the shim whose server is absent: ECONNREFUSED through
#    the shim's poll()/recv(), reported rather than hanging.  The datagram
#    must have reached the kernel over the TAP.
rx_before=$(tap_packets rx)
if shim "$EXAMPLES/udp_echo_client" "$KERNEL_IP" 7199 -c 1 -t 2000 >"$WORK/noserver.out" 2>&1; then
  fail "udp_echo_client under the shim claims an echo from a closed port"
fi
cat "$WORK/noserver.out"
grep -qE 'Connection refused|no reply' "$WORK/noserver.out" ||
  fail "udp_echo_client under the shim did not report the missing server"
(($(tap_packets rx) > rx_before)) || fail "nothing came in over $TAP: the client did not use the stack"
pass "udp_echo_client under the shim reports a closed port and exits 1"
