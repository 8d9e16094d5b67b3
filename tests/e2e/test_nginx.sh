#!/bin/bash
# nginx under the shim serves a 50 MB file with sendfile to the kernel's
# curl; the download must be intact (SHA-256).  nginx runs as one process
# (daemon off, master_process off) with everything in $WORK.  It listens
# as Debian's default site does, on 0.0.0.0:8080 and on [::]:8080 (which
# nginx makes IPv6-only, so the two coexist), and on [::]:8081 with
# ipv6only=off: a dual-stack socket that IPv4 clients reach through
# IPv4-mapped addresses (::ffff:192.0.2.1 in nginx's access log).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require nginx curl sha256sum
setup

www=$WORK/www
mkdir -p "$www" "$WORK/nginx/tmp"
random_file "$www/big.bin" 50M
echo "hello from nginx" >"$www/small.txt"

cat >"$WORK/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $WORK/nginx-error.log info;
pid $WORK/nginx.pid;
events { worker_connections 64; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  sendfile on;
  default_type application/octet-stream;
  server { listen 8080; listen [::]:8080; root $www; }
  server { listen [::]:8081 ipv6only=off; root $www; }
}
EOF
nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx.conf" 2>"$WORK/nginx-t.log" ||
  fail "nginx rejects the test's configuration: $(cat "$WORK/nginx-t.log")"

shim_bg nginx nginx -p "$WORK/nginx" -c "$WORK/nginx.conf"
wait_http "http://$STACK_IP:8080/small.txt" ||
  fail "nginx under the shim does not answer on $STACK_IP:8080"
got=$(in_ns curl -sS --fail --max-time 10 "http://$STACK_IP:8080/small.txt") ||
  fail "GET /small.txt from nginx under the shim failed"
[[ $got == "hello from nginx" ]] || fail "GET /small.txt returned '$got'"
pass "nginx under the shim answers a small GET"

start=$EPOCHREALTIME
in_ns curl -sS --fail --max-time 55 -o "$WORK/got.bin" "http://$STACK_IP:8080/big.bin" ||
  fail "curl could not download 50 MB from nginx under the shim"
log "50 MiB in $(elapsed_since "$start") s"
same_file "$www/big.bin" "$WORK/got.bin" "nginx download"
grep -q '"GET /big.bin HTTP/1.1" 200 52428800 ' "$WORK/nginx-access.log" ||
  fail "nginx's access log does not show the full 50 MB response"
pass "nginx under the shim serves 50 MB with sendfile intact"

got=$(in_ns curl -sS --fail --max-time 10 "http://$STACK_IP:8081/small.txt") ||
  fail "nginx's dual-stack server on [::]:8081 does not answer an IPv4 client"
[[ $got == "hello from nginx" ]] || fail "GET :8081/small.txt returned '$got'"
grep -q '^::ffff:192.0.2.1 .*"GET /small.txt' "$WORK/nginx-access.log" ||
  fail "nginx's access log does not show the IPv4-mapped client on [::]:8081"
in_ns curl -sS --fail --max-time 55 -o "$WORK/got6.bin" "http://$STACK_IP:8081/big.bin" ||
  fail "curl could not download 50 MB from nginx's [::]:8081"
same_file "$www/big.bin" "$WORK/got6.bin" "nginx download from [::]:8081"
pass "nginx's listen [::]:8081 ipv6only=off serves IPv4 clients as ::ffff:192.0.2.1"

stop nginx
