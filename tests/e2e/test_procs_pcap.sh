#!/bin/bash
# One capture from several processes of one stack: a socat listener that
# forks a child per connection, and a second program started separately
# on the same TAP, all with the same MYNET_PCAP.  The file must be one
# capture tshark reads to the end, holding every TCP frame the kernel saw
# on the TAP (tcpdump there is the witness), each frame naming the process
# that sent or received it: the client's SYN its own pid, each answer the
# forked child that wrote it, never the listener.
#
# With each process starting its own capture, the last one to start
# truncates what the others wrote, and the frames do not say whose they are.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require socat tshark tcpdump
# The kernel has no such file; the capture is the stack's.
if kernel_mode; then skip "MYNET_PCAP is the stack's capture"; fi
setup

PORT=7300
KPORT=7301
CONNECTIONS=5
pcap=$WORK/stack.pcapng
witness=$WORK/kernel.pcap

in_ns_bg witness tcpdump -i "$TAP" --immediate-mode -U -w "$witness" tcp
wait_log witness 'listening on' || fail "tcpdump on $TAP did not start"

# socat's SYSTEM: runs the shell from a helper process that it forks off
# the connection's child: the shell's $PPID is the helper, whose own
# parent (4th field of its /proc stat) is the child that owns the socket.
# shellcheck disable=SC2016,SC2086 # expanded by the server's shell
MYNET_PCAP=$pcap shim_bg listener socat -d TCP-LISTEN:$PORT,fork,reuseaddr \
  SYSTEM:'read -r line; set -- $(cat /proc/$PPID/stat); echo "answer $line from $4"'
listener=${BG_PID[listener]}
wait_tcp "$STACK_IP" "$PORT" || fail "socat under the shim does not accept on $STACK_IP:$PORT"

for ((i = 1; i <= CONNECTIONS; i++)); do
  got=$(printf 'line%d\n' "$i" | in_ns socat -t 10 - "TCP:$STACK_IP:$PORT") ||
    fail "connection $i: the kernel's socat client failed (got '$got')"
  [[ $got =~ ^answer\ line$i\ from\ ([0-9]+)$ ]] || fail "connection $i: unexpected answer '$got'"
  CHILD[i]=${BASH_REMATCH[1]}
done
pass "$CONNECTIONS connections answered by forked children of the listener (pid $listener)"

# A second program on the same stack, capturing to the same file, talks to
# a kernel server; it starts after the listener, so it appends.
in_ns_bg kserver socat -d TCP-LISTEN:$KPORT,reuseaddr SYSTEM:'cat'
wait_for 10 in_ns sh -c "ss -ltn | grep -q ':$KPORT '" || fail "the kernel's socat did not listen on $KPORT"
MYNET_PCAP=$pcap shim_bg client socat -t 10 - "TCP:$KERNEL_IP:$KPORT" <<<"from the second program"
client=${BG_PID[client]}
wait_exit client 20 || fail "the second program under the shim (socat to $KERNEL_IP:$KPORT) failed"
grep -q "from the second program" "$(logof client)" || fail "the second program got no echo from the kernel"
pass "a second program on the same stack talked to the kernel"

stop listener
sleep 0.5 # tcpdump -U writes each packet as it comes; let the last ones land
stop witness

tshark -r "$pcap" >"$WORK/decoded.txt" 2>"$WORK/tshark.err" ||
  fail "tshark cannot read the capture: $(head -3 "$WORK/tshark.err")"
# (It warns about running as root; anything else is about the file.)
complaint=$(grep -v 'Running as user "root"' "$WORK/tshark.err" | head -3) || true
[[ -z $complaint ]] || fail "tshark complains about the capture: $complaint"
pass "the capture written by $((CONNECTIONS + 2)) processes is one file tshark reads to the end"

# Every TCP frame the kernel saw is in the capture, the same number of them.
frames() { # FILE FILTER
  tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null | wc -l
}
for port in $PORT $KPORT; do
  want=$(frames "$witness" "tcp.port == $port")
  got=$(frames "$pcap" "tcp.port == $port")
  ((want > 0)) || fail "the witness saw no TCP frame on port $port"
  ((got == want)) || fail "port $port: the kernel saw $want TCP frames on $TAP, the capture holds $got"
done
pass "every TCP frame the kernel saw on $TAP is in the capture, no more, no less"

# Which process handled each frame.
comment() { # FILTER: the comments of the matching frames
  tshark -r "$pcap" -Y "$1" -T fields -e frame.comment 2>/dev/null
}
bad=$(comment "tcp" | grep -Ev '^pid [0-9]+ (socat|sh)$' | head -3) || true
[[ -z $bad ]] || fail "TCP frames whose comment names no process: $bad"
got=$(comment "tcp.dstport == $KPORT && tcp.flags.syn == 1 && tcp.flags.ack == 0")
[[ $got == "pid $client socat" ]] ||
  fail "the second program's SYN names '$got', expected 'pid $client socat'"
for ((i = 1; i <= CONNECTIONS; i++)); do
  got=$(comment "tcp.srcport == $PORT && tcp.payload contains \"answer line$i \"")
  [[ $got == "pid ${CHILD[i]} socat" ]] ||
    fail "the answer on connection $i names '$got', expected the child that wrote it, 'pid ${CHILD[i]} socat'"
done
n=$(tshark -r "$pcap" -Y "tcp && frame.comment contains \"pid $listener \"" 2>/dev/null | wc -l)
((n > 0)) || fail "no frame names the listener (pid $listener), which accepted every connection"
pass "each frame names its process: the second program's SYN, each child's answer, the listener's frames"

dirs=$(tshark -r "$pcap" -Y "tcp.srcport == $PORT" -T fields -e frame.packet_flags_direction 2>/dev/null | sort -u)
[[ $dirs == 0x00000002 || $dirs == 2 ]] || fail "frames the stack sent are not all marked outbound: $dirs"
pass "frames the stack sent are marked outbound"
