#!/bin/bash
# Name resolution under the shim: glibc's resolver functions (getaddrinfo,
# gethostbyname2, gethostbyaddr, getnameinfo...) answer through the stack,
# from /etc/hosts first and then from a dnsmasq on the kernel's side, and
# every answer and error is the one glibc gives on the kernel's stack
# against the same server and files: getent, python3 and curl are run both
# ways and compared.
#
# The test's own hosts file and resolv.conf are bind-mounted over /etc's in
# a mount namespace of each command's own (unshare -m), so nothing changes
# outside it.  Under the shim the server comes from MYNET_DNS, and
# resolv.conf names a server the stack cannot reach, so a lookup that
# ignored MYNET_DNS would fail; in reference mode (MYNET_E2E_STACK=kernel)
# MYNET_DNS means nothing and resolv.conf names the server instead.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require dnsmasq getent python3 unshare mount ss
setup

DATA=$(dirname "$0")/data
UNREACHABLE=198.51.100.53 # TEST-NET-2: no route from the stack or the reference namespace
SILENT=192.0.2.99         # on the link, but nobody is there

cat >"$WORK/hosts" <<EOF
127.0.0.1 localhost
# the file answers before any server is asked
192.0.2.66 hostsonly.test hostsalias
EOF
# resolv NAME SERVER [OPTIONS]: a resolv.conf in $WORK.
resolv() {
  printf 'nameserver %s\n%s\n' "$2" "${3:+options $3}" >"$WORK/$1.conf"
}
resolv unreachable "$UNREACHABLE" "timeout:2 attempts:2"
resolv direct "$KERNEL_IP" "timeout:2 attempts:2"
resolv silent "$SILENT" "timeout:2 attempts:2"
if kernel_mode; then
  MAIN=$WORK/direct.conf
else
  MAIN=$WORK/unreachable.conf
fi

# with_files RESOLV CMD...: CMD with the test's hosts file and RESOLV over
# /etc/hosts and /etc/resolv.conf, in a private mount namespace.
with_files() {
  local conf=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner sh
  timeout -k 5 "$CMD_TIMEOUT" unshare -m sh -c \
    'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' \
    sh "$WORK/hosts" "$conf" "$@"
}

# names_shim RESOLV CMD...: CMD under the shim (MYNET_DNS as set by the
# caller); output and exit status in $OUT and $STATUS.
names_shim() {
  local conf=$1
  shift
  shim_argv "$@"
  STATUS=0
  OUT=$(with_files "$conf" "${SHIM_ARGV[@]}" 2>&1) || STATUS=$?
}

# names_kernel CMD...: CMD on the kernel's side of the namespace, its
# resolver asking dnsmasq directly; output and status in $KOUT, $KSTATUS.
names_kernel() {
  KSTATUS=0
  KOUT=$(with_files "$WORK/direct.conf" ip netns exec "$NS" "$@" 2>&1) || KSTATUS=$?
}

# same_as_kernel WHAT RESOLV CMD...: CMD under the shim and on the kernel's
# side must print the same and exit the same.
same_as_kernel() {
  local what=$1 conf=$2
  shift 2
  MYNET_DNS=$KERNEL_IP names_shim "$conf" "$@"
  names_kernel "$@"
  if [[ $OUT != "$KOUT" || $STATUS != "$KSTATUS" ]]; then
    echo "---- under the shim (exit $STATUS):"
    echo "$OUT"
    echo "---- on the kernel's side (exit $KSTATUS):"
    echo "$KOUT"
    fail "$what: the shim's answer differs from glibc's on the kernel's stack"
  fi
  log "$what: exit $STATUS, $(wc -l <<<"$OUT") identical line(s): $(head -n 1 <<<"$OUT")"
}

# dnsmasq on the kernel's side: A, AAAA, a CNAME, and PTR records; names
# under .test it does not know are NXDOMAIN (--local), nothing is
# forwarded anywhere.
in_ns_bg dns dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --no-resolv --no-hosts \
  --bind-interfaces --listen-address="$KERNEL_IP" --log-queries --log-facility=- \
  --local=/test/ --local=/2.0.192.in-addr.arpa/ \
  --host-record=web.test,"$KERNEL_IP" --cname=alias.test,web.test \
  --host-record=both.test,192.0.2.3,2001:db8::3 --host-record=hostsonly.test,192.0.2.77 \
  </dev/null
wait_for 10 in_ns sh -c "ss -Hlun 'sport = :53' | grep -q '$KERNEL_IP'" ||
  fail "dnsmasq did not start listening on $KERNEL_IP:53"
www=$WORK/www
mkdir "$www"
echo "names-ok-$$" >"$www/hello.txt"
kernel_http_server http "$www" 8080

# 1. getent: gethostbyname2 (AF_INET6 first, then AF_INET) and getaddrinfo.
rx_before=$(tap_packets rx)
same_as_kernel "getent hosts web.test" "$MAIN" getent hosts web.test
[[ $OUT == "$KERNEL_IP"*web.test ]] || fail "getent hosts web.test printed '$OUT'"
(($(tap_packets rx) > rx_before)) || fail "nothing came in over $TAP during the lookup"
wait_log dns "query\[A\] web.test from $STACK_IP" 5 ||
  fail "dnsmasq saw no A query for web.test from $STACK_IP: the query did not cross the TAP"
pass "getent hosts web.test: $OUT, asked over the TAP from $STACK_IP"
same_as_kernel "getent ahosts alias.test" "$MAIN" getent ahosts alias.test
grep -q "^$KERNEL_IP *STREAM web.test" <<<"$OUT" || fail "getent ahosts alias.test printed: $OUT"
pass "getent ahosts alias.test follows the CNAME: as glibc"
same_as_kernel "getent hosts both.test" "$MAIN" getent hosts both.test
pass "getent hosts both.test (AAAA first): as glibc"

# 2. Python: getaddrinfo with and without hints, gethostbyname_ex,
#    getnameinfo and gethostbyaddr (PTR), line by line as glibc.
same_as_kernel "python3 resolver calls" "$MAIN" python3 "$DATA/names_probe.py" \
  web.test alias.test both.test hostsonly.test nope.test -- "$KERNEL_IP" 192.0.2.66 "$SILENT"
echo "$OUT"
pass "python3's getaddrinfo/gethostbyname_ex/getnameinfo/gethostbyaddr: $(wc -l <<<"$OUT") answers as glibc"
same_as_kernel "python3 -c socket.getaddrinfo" "$MAIN" python3 -c \
  'import socket; print(socket.getaddrinfo("web.test", 8080, proto=socket.IPPROTO_TCP))'
pass "python3 -c 'socket.getaddrinfo(...)': $OUT"

# 3. /etc/hosts first: its address, and no query at all.
same_as_kernel "getent hosts hostsalias" "$MAIN" getent hosts hostsalias
[[ $OUT == "192.0.2.66"*"hostsonly.test"*hostsalias ]] || fail "getent hosts hostsalias printed '$OUT'"
# (Python's AF_INET6 lookups above did ask for hostsonly.test's AAAA, as
# glibc does: the file has no IPv6 line for it.)
asked=$(grep -c 'query\[.*\] hostsonly.test' "$(logof dns)" || true)
MYNET_DNS=$KERNEL_IP names_shim "$MAIN" getent ahosts hostsonly.test
grep -q '^192.0.2.66 ' <<<"$OUT" || fail "hostsonly.test did not come from the hosts file: $OUT"
sleep 0.2
(($(grep -c 'query\[.*\] hostsonly.test' "$(logof dns)" || true) == asked)) ||
  fail "a name in the hosts file was asked of the server"
pass "names in the hosts file answer without a query (hostsonly.test: 192.0.2.66, not dnsmasq's 192.0.2.77)"

# 4. An unknown name (NXDOMAIN): glibc's error text and exit status.
same_as_kernel "getent hosts nope.test" "$MAIN" getent hosts nope.test
((STATUS == 2)) || fail "getent hosts nope.test exited $STATUS, not 2"
same_as_kernel "python3 getaddrinfo(nope.test)" "$MAIN" python3 -c \
  'import socket
try: socket.getaddrinfo("nope.test", 80)
except socket.gaierror as e: print(e)'
[[ $OUT == *"Name or service not known"* ]] || fail "python3: '$OUT'"
pass "an unknown name: getent exits 2, python3 says '$OUT', as glibc"

# 5. curl resolves in a thread of its own and connects to the answer.
if curl_usable; then
  MYNET_DNS=$KERNEL_IP names_shim "$MAIN" curl -sS --max-time 20 http://alias.test:8080/hello.txt
  ((STATUS == 0)) || fail "curl http://alias.test:8080/hello.txt under the shim: exit $STATUS: $OUT"
  [[ $OUT == "names-ok-$$" ]] || fail "curl got '$OUT' instead of the file's content"
  pass "curl http://alias.test:8080/hello.txt under the shim: '$OUT'"
  same_as_kernel "curl http://nope.test:8080/" "$MAIN" curl -sS --max-time 20 http://nope.test:8080/
  ((STATUS == 6)) || fail "curl with an unknown name exited $STATUS, not 6"
  pass "curl with an unknown name: exit 6, '$OUT', as glibc"
else
  log "curl skipped (sanitizer runtime preloaded); python3 fetches instead"
  MYNET_DNS=$KERNEL_IP names_shim "$MAIN" python3 -c \
    'import urllib.request; print(urllib.request.urlopen("http://alias.test:8080/hello.txt", timeout=20).read().decode().strip())'
  [[ $STATUS == 0 && $OUT == "names-ok-$$" ]] || fail "python3 urllib via alias.test: exit $STATUS: $OUT"
  pass "python3 urllib http://alias.test:8080/hello.txt under the shim: '$OUT'"
fi
grep -q "^$STACK_IP .*GET /hello.txt" "$(logof http)" ||
  fail "the HTTP server did not see the request come from $STACK_IP"

# 6. resolv.conf's own server, when the stack can reach it (no MYNET_DNS).
names_shim "$WORK/direct.conf" getent hosts web.test
[[ $STATUS == 0 && $OUT == "$KERNEL_IP"*web.test ]] ||
  fail "without MYNET_DNS, resolv.conf's nameserver $KERNEL_IP was not used: exit $STATUS: $OUT"
pass "without MYNET_DNS: resolv.conf's nameserver on the stack's subnet answers"

# 7. No server: one the stack cannot reach (no route) fails at once; one
#    that does not answer fails after timeout x attempts.  Both are glibc's
#    "temporary failure" (EAI_AGAIN; getent exits 2).
probe_again='import socket, time
t = time.time()
try: socket.getaddrinfo("web.test", 80)
except socket.gaierror as e: print(e)
print("took %d s" % round(time.time() - t))'
names_shim "$WORK/unreachable.conf" python3 -c "$probe_again"
[[ $OUT == *"Temporary failure in name resolution"*"took 0 s" ]] ||
  fail "a server without a route: '$OUT' (exit $STATUS)"
pass "resolv.conf's server without a route through the stack: '${OUT//$'\n'/, }'"
RES_OPTIONS="timeout:1 attempts:1" MYNET_DNS=$SILENT names_shim "$WORK/silent.conf" \
  python3 -c "$probe_again"
[[ $OUT == *"Temporary failure in name resolution"*"took 1 s" ]] ||
  fail "a server that does not answer (RES_OPTIONS timeout:1 attempts:1): '$OUT' (exit $STATUS)"
silent_py=$OUT
RES_OPTIONS="timeout:1 attempts:1" MYNET_DNS=$SILENT names_shim "$WORK/silent.conf" \
  getent hosts web.test
shim_status=$STATUS
KSTATUS=0
KOUT=$(RES_OPTIONS="timeout:1 attempts:1" with_files "$WORK/silent.conf" ip netns exec "$NS" \
  getent hosts web.test 2>&1) || KSTATUS=$?
((shim_status == KSTATUS && shim_status == 2)) ||
  fail "getent with a silent server exited $shim_status under the shim, $KSTATUS on the kernel's side ($KOUT)"
pass "a server that does not answer: '${silent_py//$'\n'/, }'; getent exits 2, as glibc"
