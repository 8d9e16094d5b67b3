#!/bin/bash
# lighttpd under the shim (foreground, -D, everything in $WORK) serves a
# 50 MB file to the kernel's curl; the download must be intact (SHA-256).
# lighttpd sends files with sendfile() where it can.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require lighttpd curl sha256sum
setup

www=$WORK/www
mkdir -p "$www" "$WORK/upload"
random_file "$www/big.bin" 50M
echo "hello from lighttpd" >"$www/small.txt"

cat >"$WORK/lighttpd.conf" <<EOF
server.document-root = "$www"
server.bind = "0.0.0.0"
server.port = 8080
server.errorlog = "$WORK/lighttpd-error.log"
server.upload-dirs = ( "$WORK/upload" )
server.max-keep-alive-requests = 0
mimetype.assign = ( ".bin" => "application/octet-stream", ".txt" => "text/plain" )
EOF
lighttpd -tt -f "$WORK/lighttpd.conf" >"$WORK/lighttpd-t.log" 2>&1 ||
  fail "lighttpd rejects the test's configuration: $(cat "$WORK/lighttpd-t.log")"

shim_bg lighttpd lighttpd -D -f "$WORK/lighttpd.conf"
wait_http "http://$STACK_IP:8080/small.txt" ||
  fail "lighttpd under the shim does not answer on $STACK_IP:8080"
got=$(in_ns curl -sS --fail --max-time 10 "http://$STACK_IP:8080/small.txt") ||
  fail "GET /small.txt from lighttpd under the shim failed"
[[ $got == "hello from lighttpd" ]] || fail "GET /small.txt returned '$got'"
pass "lighttpd under the shim answers a small GET"

start=$EPOCHREALTIME
in_ns curl -sS --fail --max-time 55 -o "$WORK/got.bin" "http://$STACK_IP:8080/big.bin" ||
  fail "curl could not download 50 MB from lighttpd under the shim"
log "50 MiB in $(elapsed_since "$start") s"
same_file "$www/big.bin" "$WORK/got.bin" "lighttpd download"
pass "lighttpd under the shim serves 50 MB intact"

stop lighttpd
