#!/bin/bash
# A UDP datagram to a closed port of the stack draws an ICMP destination
# unreachable, code 3 (port unreachable; RFC 1122 4.1.3.1, RFC 792), which
# quotes the datagram's headers well enough for the kernel to match it to
# the sending socket and report ECONNREFUSED.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3
setup

# Keeps the stack alive (it starts on the first socket() call) and shows an
# open port beside the closed one.
shim_bg server "$EXAMPLES/udp_echo_server" -p 7000
wait_log server '^listening on' || fail "udp_echo_server under the shim did not start"

probe() { # PORT: prints what a connected kernel UDP socket sees
  in_ns python3 - "$STACK_IP" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"is anyone there?")
try:
    data = s.recv(2048)
    print("reply", data.decode(errors="replace"))
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
}

result=$(probe 9)
log "closed port 9: $result"
[[ $result == refused ]] || fail "UDP to closed port 9: expected ConnectionRefusedError, got '$result'"
pass "UDP to a closed port is refused by ICMP port unreachable"

result=$(probe 7000)
log "open port 7000: $result"
[[ $result == "reply is anyone there?" ]] || fail "UDP to open port 7000: expected the echo, got '$result'"
pass "the open port beside it still echoes"

# Again, to a different closed port: not a one-off.  A second apart, so an
# ICMP rate limit of one error per second (RFC 1812 4.3.2.8) does not bite.
sleep 1.1
result=$(probe 33434)
[[ $result == refused ]] || fail "UDP to closed port 33434: expected ConnectionRefusedError, got '$result'"
pass "a second closed port is refused too"

# The kernel counted the ICMP error as received.
in_ns sh -c 'cat /proc/net/snmp' | awk '/^Icmp:/ { if (h) { for (i = 1; i <= NF; i++) v[n[i]] = $i } else { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 } }
  END { exit !(v["InDestUnreachs"] >= 2) }' ||
  fail "the kernel's Icmp InDestUnreachs counter did not grow"
pass "the kernel counted the destination-unreachable messages"
