#!/bin/bash
# MYNET_PCAP records every frame the stack sends and receives on its TAP in
# a capture file that standard tools read: here tshark finds the ARP
# exchange, the ICMP echoes and the UDP datagrams of a ping and a UDP echo.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require tshark ping
if kernel_mode; then require tcpdump; fi
setup

pcap=$WORK/stack.pcap
count() { # DISPLAY-FILTER: number of frames in the capture that match
  tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l
}

# The server exits by itself after 2 datagrams, so the library closes the
# capture through its normal exit path, as a real program would.
if kernel_mode; then
  # Reference: the same frames, captured from the kernel's interface.
  start_bg capture ip netns exec "$PEER_NS" tcpdump -i eth0 --immediate-mode -U -w "$pcap"
  wait_log capture 'listening on' || fail "tcpdump did not start"
fi
MYNET_PCAP=$pcap shim_bg server "$EXAMPLES/udp_echo_server" -p 7000 -n 2
wait_log server '^listening on' || fail "udp_echo_server under the shim did not start"

in_ns ping -c 3 -W 2 "$STACK_IP" || fail "ping -c 3 $STACK_IP did not get 3 replies"
in_ns "$EXAMPLES/udp_echo_client" "$STACK_IP" 7000 -c 2 -t 2000 "captured" ||
  fail "the kernel's udp_echo_client did not get 2 echoes"
wait_exit server 15 || fail "udp_echo_server under the shim did not exit after 2 datagrams"
if kernel_mode; then
  stop capture
fi

[[ -s $pcap ]] || fail "no capture file at MYNET_PCAP=$pcap"
tshark -r "$pcap" >"$WORK/decoded.txt" 2>"$WORK/tshark.err" ||
  fail "tshark cannot read the capture: $(head -3 "$WORK/tshark.err")"
cat "$WORK/decoded.txt"
pass "the capture file is a valid pcap that tshark reads"

# Usually the kernel asks for the stack's address; if the stack asked
# first, the kernel learnt its address from that request instead.
arp_stack="(arp.src.proto_ipv4 == $STACK_IP || arp.dst.proto_ipv4 == $STACK_IP)"
n=$(count "arp.opcode == 1 && $arp_stack")
((n >= 1)) || fail "no ARP request to or from $STACK_IP in the capture"
n=$(count "arp.opcode == 2 && $arp_stack")
((n >= 1)) || fail "no ARP reply to or from $STACK_IP in the capture"
pass "ARP request and reply are captured"

n=$(count "icmp.type == 8 && ip.dst == $STACK_IP")
((n == 3)) || fail "expected 3 ICMP echo requests to $STACK_IP, found $n"
n=$(count "icmp.type == 0 && ip.src == $STACK_IP")
((n == 3)) || fail "expected 3 ICMP echo replies from $STACK_IP, found $n"
pass "3 ICMP echo requests and 3 replies are captured"

n=$(count "udp.dstport == 7000 && ip.dst == $STACK_IP && udp.payload contains \"captured\"")
((n == 2)) || fail "expected 2 UDP datagrams to $STACK_IP:7000, found $n"
n=$(count "udp.srcport == 7000 && ip.src == $STACK_IP && udp.payload contains \"captured\"")
((n == 2)) || fail "expected 2 UDP echoes from $STACK_IP:7000, found $n"
pass "2 UDP datagrams each way are captured"

# Every frame the stack sent carries good IPv4, ICMP and UDP checksums
# (tshark verifies IPv4 and UDP only when asked; status 0 means bad).
bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
  -Y "ip.src == $STACK_IP && (ip.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0)" \
  2>/dev/null) || fail "tshark could not check checksums"
[[ -z $bad ]] || fail "frames from the stack with bad checksums: $bad"
n=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
  -Y "ip.src == $STACK_IP && ip.checksum.status == 1 && (udp.checksum.status == 1 || icmp.checksum.status == 1)" \
  2>/dev/null | wc -l)
((n == 5)) || fail "expected 5 frames from the stack with verified checksums (3 ICMP, 2 UDP), found $n"
pass "the stack's IPv4, ICMP and UDP checksums are good"
