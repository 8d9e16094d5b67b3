#!/bin/bash
# The stack's TCP handshake with the kernel, read from a MYNET_PCAP capture
# by tshark: the SYN offers and the kernel's SYN-ACK accepts the options a
# modern TCP negotiates (MSS, RFC 9293 3.7.1; window scale and timestamps,
# RFC 7323; SACK permitted, RFC 2018), and the connection then uses them:
# every segment carries timestamps and the stack's window is scaled.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require tshark curl wget python3 ss
if kernel_mode; then require tcpdump; fi
setup

pcap=$WORK/stack.pcap
# fields FILTER FIELD...: the fields of the frames matching FILTER, one
# frame a line, tab-separated.
fields() {
  local filter=$1 args=() f
  shift
  for f in "$@"; do args+=(-e "$f"); done
  tshark -r "$pcap" -o tcp.relative_sequence_numbers:FALSE -Y "$filter" -T fields "${args[@]}" 2>/dev/null
}
count() {
  tshark -r "$pcap" -o tcp.check_checksum:TRUE -Y "$1" 2>/dev/null | wc -l
}

mkdir "$WORK/www"
random_file "$WORK/www/file.bin" 1M
kernel_http_server http "$WORK/www" 8080

if kernel_mode; then
  # Reference: the same exchange, captured from the kernel's interface.
  start_bg capture ip netns exec "$PEER_NS" tcpdump -i eth0 --immediate-mode -U -w "$pcap"
  wait_log capture 'listening on' || fail "tcpdump did not start"
fi
MYNET_PCAP=$pcap shim_http_get "http://$KERNEL_IP:8080/file.bin" "$WORK/got.bin" ||
  fail "the HTTP client under the shim could not download http://$KERNEL_IP:8080/file.bin"
if kernel_mode; then
  sleep 0.5
  stop capture
fi
same_file "$WORK/www/file.bin" "$WORK/got.bin" "HTTP download"
[[ -s $pcap ]] || fail "no capture file at MYNET_PCAP=$pcap"
tshark -r "$pcap" -Y tcp >"$WORK/decoded.txt" 2>"$WORK/tshark.err" ||
  fail "tshark cannot read the capture: $(head -3 "$WORK/tshark.err")"
head -n 12 "$WORK/decoded.txt"
pass "the capture of an HTTP download is a valid pcap that tshark reads"

opts=(tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm
  tcp.options.timestamp.tsval tcp.options.timestamp.tsecr)
# The first SYN (it may be retransmitted, with another timestamp).
syn_filter="ip.src == $STACK_IP && tcp.dstport == 8080 && tcp.flags.syn == 1 && tcp.flags.ack == 0"
synack_filter="ip.src == $KERNEL_IP && tcp.srcport == 8080 && tcp.flags.syn == 1 && tcp.flags.ack == 1"
syn=$(fields "$syn_filter" "${opts[@]}" | head -n 1)
synack=$(fields "$synack_filter" "${opts[@]}" | head -n 1)
[[ -n $syn ]] || fail "no SYN from $STACK_IP to port 8080 in the capture"
[[ -n $synack ]] || fail "no SYN-ACK from $KERNEL_IP:8080 in the capture"
IFS=$'\t' read -r syn_mss syn_ws syn_sack syn_tsval _ <<<"$syn"
IFS=$'\t' read -r sa_mss sa_ws sa_sack sa_tsval sa_tsecr <<<"$synack"
log "SYN     (stack):  mss=$syn_mss wscale=$syn_ws sack_perm=${syn_sack:+yes} tsval=$syn_tsval"
log "SYN-ACK (kernel): mss=$sa_mss wscale=$sa_ws sack_perm=${sa_sack:+yes} tsval=$sa_tsval tsecr=$sa_tsecr"

# An Ethernet MTU of 1500 less 20 bytes of IPv4 and 20 of TCP header.
[[ $syn_mss == 1460 ]] || fail "the stack's SYN offers MSS '$syn_mss', expected 1460"
[[ -n $syn_ws ]] || fail "the stack's SYN has no window scale option"
((syn_ws >= 0 && syn_ws <= 14)) || fail "the stack's SYN offers window scale $syn_ws (RFC 7323 2.3: at most 14)"
(($(count "$syn_filter && tcp.options.sack_perm") >= 1)) || fail "the stack's SYN does not offer SACK permitted"
[[ -n $syn_tsval ]] || fail "the stack's SYN has no timestamps option"
pass "the stack's SYN offers MSS 1460, window scale $syn_ws, SACK permitted and timestamps"

[[ -n $sa_mss && -n $sa_ws ]] || fail "the kernel's SYN-ACK lacks MSS or window scale: the stack's offer was refused"
(($(count "$synack_filter && tcp.options.sack_perm") >= 1)) ||
  fail "the kernel's SYN-ACK does not grant SACK permitted"
[[ -n $sa_tsval ]] || fail "the kernel's SYN-ACK has no timestamps: they were not negotiated"
# The SYN-ACK answers one of the stack's SYNs: it echoes that SYN's TSval.
fields "$syn_filter" tcp.options.timestamp.tsval | grep -qx "$sa_tsecr" ||
  fail "the SYN-ACK's TSecr $sa_tsecr echoes none of the stack's SYNs"
pass "the kernel's SYN-ACK grants window scale, SACK and timestamps, echoing the SYN's TSval"

# After the handshake the options are in use.
est="tcp.port == 8080 && tcp.flags.syn == 0 && tcp.flags.reset == 0"
n_stack=$(count "ip.src == $STACK_IP && $est")
n_stack_ts=$(count "ip.src == $STACK_IP && $est && tcp.options.timestamp.tsval")
n_kernel=$(count "ip.src == $KERNEL_IP && $est")
n_kernel_ts=$(count "ip.src == $KERNEL_IP && $est && tcp.options.timestamp.tsval")
log "segments with timestamps: stack $n_stack_ts of $n_stack, kernel $n_kernel_ts of $n_kernel"
((n_stack > 0 && n_stack_ts == n_stack)) ||
  fail "only $n_stack_ts of the stack's $n_stack segments carry timestamps (RFC 7323 3.2: all must)"
((n_kernel > 0 && n_kernel_ts == n_kernel)) ||
  fail "only $n_kernel_ts of the kernel's $n_kernel segments carry timestamps"
pass "every segment after the handshake carries timestamps, both ways"

# tshark scales the window by the shift it saw in the SYN.
max_win=$(fields "ip.src == $STACK_IP && $est" tcp.window_size | sort -n | tail -n 1)
log "largest window the stack advertised: $max_win bytes (shift $syn_ws)"
if ((syn_ws > 0)); then
  ((max_win > 65535)) ||
    fail "the stack never advertised more than 64 KB although it offered window scale $syn_ws"
  pass "the stack advertises a scaled window ($max_win bytes)"
fi

# The stack's segments have correct TCP checksums (status 1 is "good").
n_bad=$(count "ip.src == $STACK_IP && tcp && tcp.checksum.status != 1")
((n_bad == 0)) || fail "$n_bad TCP segments from the stack have a bad or unverified checksum"
pass "every TCP segment from the stack has a good checksum"
