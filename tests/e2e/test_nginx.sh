#!/bin/bash
# nginx under the shim serves a 50 MB file with sendfile to the kernel's
# curl; the download must be intact (SHA-256).  nginx runs as one process
# (daemon off, master_process off) with everything in $WORK, and listens
# on 0.0.0.0:8080 (a stack socket) and on [::]:8081 (IPv6, so a kernel
# socket beside the stack's in nginx's epoll set), which answers over the
# namespace's loopback where IPv6 is available.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require nginx curl sha256sum
setup

www=$WORK/www
mkdir -p "$www" "$WORK/nginx/tmp"
random_file "$www/big.bin" 50M
echo "hello from nginx" >"$www/small.txt"

# IPv6 on lo where nginx runs (reference mode turns IPv6 off there).
v6=true
in_shim_ns sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 >/dev/null 2>&1 || v6=false
$v6 && { in_shim_ns python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null || v6=false; }
v6_server=
if $v6; then
  v6_server="server { listen [::]:8081; root $www; }"
else
  log "no IPv6 in the namespace: nginx listens on IPv4 only"
fi

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
  server { listen 8080; root $www; }
  $v6_server
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

if $v6; then
  got=$(in_shim_ns curl -sS --fail --max-time 10 -g "http://[::1]:8081/small.txt") ||
    fail "nginx's IPv6 server on [::1]:8081 does not answer"
  [[ $got == "hello from nginx" ]] || fail "GET [::1]:8081/small.txt returned '$got'"
  pass "nginx's IPv6 server (a kernel socket beside the stack's) answers too"
fi

stop nginx
