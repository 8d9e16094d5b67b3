#!/bin/bash
# TCP over a bad link: the download and upload of test_tcp_curl, smaller,
# must still arrive intact when frames are lost, duplicated, reordered,
# delayed and corrupted.  The stack's retransmission (RFC 6298), fast
# recovery and SACK (RFC 5681, 6675, 2018) and its receive reassembly are
# what is tested; the throughput printed shows how well they recover.
#
#   1. 2% of the frames dropped in each direction on the kernel's side, by
#      nftables rules in the test's namespace.
#   2. The stack's own fault injection (MYNET_FAULTS): loss, duplication,
#      reordering, delay with jitter and corruption on both directions.
#      Not available in reference mode (MYNET_E2E_STACK=kernel), where
#      this part is skipped.
#
# Why a bridge: an nftables "drop" in the inet output hook is not a loss to
# the kernel's TCP.  The drop comes back to tcp_transmit_skb() as a local
# send error and the segment is simply sent again later, never counted as
# lost, so the stack would see no gap at all (measured: 10 drops of 54 KB
# GSO packets, no retransmission, no SACK from the stack).  So the TAP is
# made a port of a bridge that carries the kernel's address, and the rules
# sit in the bridge family's input and output hooks: a frame dropped there
# has left the kernel's TCP for good, as on a real link.  GSO and TSO are
# off on the bridge so that a drop is one frame, not a 64 KB burst.
#
# The stack currently recovers slowly from losses of what it sends (well
# under 1 MB/s), so this test allows more time than the others.
# shellcheck source-path=SCRIPTDIR source=lib.sh
: "${MYNET_E2E_TIMEOUT:=480}"
source "$(dirname "$0")/lib.sh"
require curl wget python3 sha256sum ss nft ethtool
setup
# Each transfer is one client command (curl, or python3 where curl cannot run);
# allow it two minutes.
CMD_TIMEOUT=120

LOSS_PERCENT=2
FAULTS="loss=1%,dup=1%,reorder=2%,delay=5ms+-2ms,corrupt=0.1%,seed=42"

BRIDGE=mynetbr0

# The TAP (a veth in reference mode) becomes a bridge port; the kernel's
# address moves to the bridge.
in_ns ip link add "$BRIDGE" type bridge 2>"$WORK/bridge.err" ||
  skip "cannot create a bridge in the namespace: $(cat "$WORK/bridge.err")"
in_ns ip addr del "$KERNEL_IP/$PREFIX" dev "$TAP"
in_ns ip link set "$TAP" master "$BRIDGE"
in_ns ip addr add "$KERNEL_IP/$PREFIX" dev "$BRIDGE"
in_ns ethtool -K "$BRIDGE" tso off gso off >/dev/null 2>&1 ||
  fail "could not turn off TSO and GSO on $BRIDGE"
in_ns sh -c "echo 1 >/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6" 2>/dev/null || true
in_ns ip link set "$BRIDGE" up
if kernel_mode; then
  # The kernel in the stack's place sends one frame per segment too.
  ip netns exec "$PEER_NS" ethtool -K eth0 tso off gso off >/dev/null 2>&1 || true
fi

www=$WORK/www
mkdir "$www"
random_file "$www/down.bin" 30M
random_file "$WORK/up.bin" 20M
kernel_http_server http "$www" 8080
kernel_sha256_server shasrv 8081

# kernel_counter NAME: a counter of the namespace's kernel from
# /proc/net/snmp or /proc/net/netstat (e.g. RetransSegs, TCPOFOQueue).
kernel_counter() {
  in_ns cat /proc/net/snmp /proc/net/netstat | awk -v want="$1" '
    $1 == prev && $1 ~ /:$/ { for (i = 2; i <= NF; i++) if (name[i] == want) { print $i; exit } }
    { prev = $1; for (i = 2; i <= NF; i++) name[i] = $i }'
}

# transfers WHAT: the download and the upload; fail unless both are intact.
transfers() {
  rm -f "$WORK/down.got"
  shim_http_get "http://$KERNEL_IP:8080/down.bin" "$WORK/down.got" ||
    fail "$1: the HTTP client under the shim could not download 30 MB"
  same_file "$www/down.bin" "$WORK/down.got" "$1: download"
  shim_http_post_sha256 "$WORK/up.bin" "http://$KERNEL_IP:8081/" ||
    fail "$1: the HTTP client under the shim did not upload 20 MB intact"
}

# nft_drops CHAIN: frames the loss rule of CHAIN has dropped so far.
nft_drops() {
  in_ns nft list chain bridge mynet_loss "$1" | awk '/counter packets/ {
    for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# 1. Kernel-side loss: nftables drops 2% of what enters and leaves the TAP.
in_ns nft -f - <<NFT 2>"$WORK/nft.err" || skip "nftables bridge family unavailable: $(cat "$WORK/nft.err")"
table bridge mynet_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    meta iifname "$TAP" numgen random mod 100 < $LOSS_PERCENT counter drop
  }
  chain output {
    type filter hook output priority 0; policy accept;
    meta oifname "$TAP" numgen random mod 100 < $LOSS_PERCENT counter drop
  }
}
NFT
retrans_before=$(kernel_counter RetransSegs)
transfers "${LOSS_PERCENT}% loss"
dropped_in=$(nft_drops input)
dropped_out=$(nft_drops output)
log "nftables dropped $dropped_in frames from the stack and $dropped_out frames to it;" \
  "the kernel retransmitted $(($(kernel_counter RetransSegs) - retrans_before)) segments"
((dropped_in > 0 && dropped_out > 0)) ||
  fail "the nftables rules dropped nothing (in $dropped_in, out $dropped_out): the loss was not applied"
pass "30 MB download and 20 MB upload intact with ${LOSS_PERCENT}% loss each way (nftables)"
in_ns nft delete table bridge mynet_loss || fail "could not remove the nftables loss rules"

# 2. The stack's own fault injection.
if kernel_mode; then
  log "MYNET_FAULTS is the stack's own; skipped in reference mode"
else
  retrans_before=$(kernel_counter RetransSegs)
  ofo_before=$(kernel_counter TCPOFOQueue)
  MYNET_FAULTS=$FAULTS transfers "MYNET_FAULTS=$FAULTS"
  retrans=$(($(kernel_counter RetransSegs) - retrans_before))
  ofo=$(($(kernel_counter TCPOFOQueue) - ofo_before))
  log "the kernel retransmitted $retrans segments and queued $ofo out of order" \
    "(csum errors: $(kernel_counter InCsumErrors), DSACKs received: $(kernel_counter TCPDSACKRecv))"
  # The faults were applied: frames lost on the way in made the kernel
  # retransmit, frames lost or reordered on the way out arrived out of order.
  ((retrans > 0 && ofo > 0)) ||
    fail "the kernel saw no retransmission ($retrans) or no out-of-order segment ($ofo): were the faults applied?"
  pass "30 MB download and 20 MB upload intact under MYNET_FAULTS=$FAULTS"
fi
