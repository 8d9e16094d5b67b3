#!/bin/bash
# dig under the shim asks dnsmasq on the kernel's side, over UDP and then
# over TCP, for a name dnsmasq answers from --host-record: the answer must
# be that address.  (Name resolution through getaddrinfo is another test's.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require dnsmasq dig ss
setup

NAME=probe.mynet.test
ADDR=192.0.2.77
in_ns_bg dns dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts \
  --bind-interfaces --listen-address="$KERNEL_IP" --port=53 --pid-file= \
  --host-record="$NAME,$ADDR" --log-queries --log-facility=- </dev/null
wait_for 10 in_ns sh -c "ss -Hlun 'sport = :53' | grep -q ." ||
  fail "dnsmasq did not start on $KERNEL_IP:53"
wait_listen 53 || fail "dnsmasq does not listen on TCP $KERNEL_IP:53"

for proto in udp tcp; do
  opts=(+short +time=3 +tries=2)
  [[ $proto == tcp ]] && opts+=(+tcp)
  got=$(shim dig "@$KERNEL_IP" "$NAME" A "${opts[@]}" 2>&1) ||
    fail "dig over $proto under the shim failed: $got"
  [[ $got == "$ADDR" ]] || fail "dig over $proto under the shim answered '$got', expected $ADDR"
  pass "dig over $proto under the shim: $NAME is $ADDR"
done
grep -q "query\[A\] $NAME from $STACK_IP" "$(logof dns)" ||
  fail "dnsmasq's log shows no query from $STACK_IP"
