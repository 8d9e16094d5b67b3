#!/bin/bash
# The kernel pings the stack: ARP resolution of 192.0.2.2 and ICMP echo
# (RFC 792) answered by the mynet stack of a process under the shim.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require ping
setup

# The stack starts on a program's first AF_INET socket() call, so a program
# that opens one and stays keeps it alive: the example echo server.
shim_bg server "$EXAMPLES/udp_echo_server" -p 7000
wait_log server '^listening on' || fail "udp_echo_server under the shim did not start"

out=$(in_ns ping -c 3 -W 2 "$STACK_IP" 2>&1) || true
echo "$out"
grep -q ' 3 received' <<<"$out" || fail "ping -c 3 $STACK_IP did not get 3 replies"
pass "the kernel's ping -c 3 gets 3 echo replies"

# ARP worked both ways: the kernel holds a complete entry for the stack.
in_ns ip neigh show "$STACK_IP" dev "$TAP" | grep -qE 'lladdr [0-9a-f:]{17}' ||
  fail "the kernel has no ARP entry for $STACK_IP"
pass "the kernel resolved $STACK_IP by ARP"

# The largest echo that fits an Ethernet MTU of 1500 without fragmenting
# (1500 - 20 IPv4 - 8 ICMP = 1472 bytes of data); DF set so nothing splits it.
out=$(in_ns ping -c 2 -W 2 -i 0.2 -s 1472 -M "do" "$STACK_IP" 2>&1) || true
echo "$out"
grep -q ' 2 received' <<<"$out" || fail "full-MTU ping (-s 1472) was not answered"
pass "full-MTU echo requests are answered whole"

# The server is still alive: the stack served ICMP without disturbing it.
kill -0 "${BG_PID[server]}" 2>/dev/null || fail "udp_echo_server under the shim died"
pass "the shim process kept running"
