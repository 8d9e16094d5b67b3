#!/bin/bash
# What a program sees of UDP through the shim is what Linux shows it:
# the unbound socket's name and readiness, EAGAIN, EDESTADDRREQ, EINVAL
# for port 0, EACCES for broadcast without SO_BROADCAST, EMSGSIZE,
# MSG_PEEK and MSG_TRUNC, EADDRNOTAVAIL, ENOTCONN from shutdown, and
# ECONNREFUSED reported once after an ICMP port unreachable.  The expected
# output was recorded with the kernel in the stack's place
# (MYNET_E2E_STACK=kernel); that mode checks it again on every run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require python3
setup

DATA=$(dirname "$0")/data
PORT=9500
in_ns_bg server python3 "$DATA/udp_semantics_server.py" "$KERNEL_IP" "$PORT"
sleep 0.5

compare_with_linux udp_semantics "$KERNEL_IP" "$PORT"
