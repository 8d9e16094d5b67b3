#!/bin/bash
# nginx under the shim with its default process model: it daemonizes (the
# process we start forks and exits), a master process owns the listening
# socket and forks two worker processes that accept and serve, with
# sendfile, as nginx's default user (nobody: the workers change user
# after fork).  A 50 MB random file is downloaded by the kernel's curl ten
# times, each intact (SHA-256).  Then `nginx -s reload` (under the shim, as
# an administrator would run it) with a changed configuration: the master
# starts two new workers that answer with the new configuration, the old
# ones leave, and the download is still intact.  Finally `nginx -s quit`
# and the master and every worker must be gone.
#
# The daemonized master is not the test's child: the test follows it by
# the pid file nginx writes (adopt_daemon), and cleanup ends it and its
# workers if the test stops early.
#
# Under a stack private to each process this fails at the first request:
# the master and its workers cannot use the listening socket opened
# before nginx daemonized.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require nginx curl sha256sum ps
setup

# The workers run as nobody: they must reach the files ($WORK is 0700).
chmod 755 "$WORK"
www=$WORK/www
mkdir -p "$www" "$WORK/nginx/tmp"
random_file "$www/big.bin" 50M
echo "hello from nginx" >"$www/small.txt"
chmod 644 "$www"/*

# write_config GENERATION: every response carries X-Config-Generation.
write_config() {
  cat >"$WORK/nginx.conf" <<EOF
daemon on;
master_process on;
worker_processes 2;
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
  add_header X-Config-Generation $1 always;
  server { listen 8080; root $www; }
}
EOF
}
write_config 1
nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx.conf" 2>"$WORK/nginx-t.log" ||
  fail "nginx rejects the test's configuration: $(cat "$WORK/nginx-t.log")"
nginx_cmd=(nginx -p "$WORK/nginx" -c "$WORK/nginx.conf")

# workers: the master's children (its worker processes), one pid a line.
workers() { ps -o pid= --ppid "${DAEMON_PID[nginx]}" | awk '{ print $1 }'; }

# generation: the X-Config-Generation of a GET of small.txt.
generation() {
  in_ns curl -sS --fail --max-time 10 -D - -o /dev/null "http://$STACK_IP:8080/small.txt" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-config-generation" { print $2 }'
}

# download N: GET big.bin, intact.
download() {
  in_ns curl -sS --fail --max-time 55 -o "$WORK/got.bin" "http://$STACK_IP:8080/big.bin" ||
    fail "download $1: curl could not get 50 MB from nginx under the shim"
  same_file "$www/big.bin" "$WORK/got.bin" "download $1"
  rm -f "$WORK/got.bin"
}

shim "${nginx_cmd[@]}" >"$WORK/nginx-start.log" 2>&1 ||
  fail "nginx under the shim did not start: $(cat "$WORK/nginx-start.log")"
adopt_daemon nginx "$WORK/nginx.pid" 15 || fail "nginx wrote no pid of a live master to $WORK/nginx.pid"
wait_http "http://$STACK_IP:8080/small.txt" ||
  fail "nginx under the shim does not answer on $STACK_IP:8080"
got=$(in_ns curl -sS --fail --max-time 10 "http://$STACK_IP:8080/small.txt") ||
  fail "GET /small.txt from nginx under the shim failed"
[[ $got == "hello from nginx" ]] || fail "GET /small.txt returned '$got'"
# shellcheck disable=SC2016 # expanded by eval at every try
wait_for 10 eval '(($(workers | wc -l) == 2))' ||
  fail "the nginx master (pid ${DAEMON_PID[nginx]}) has not 2 worker processes: $(workers | tr '\n' ' ')"
old_workers=$(workers | tr '\n' ' ')
log "master ${DAEMON_PID[nginx]} (user $(ps -o user= -p "${DAEMON_PID[nginx]}")), workers $old_workers(user $(ps -o user= -p "${old_workers%% *}"))"
pass "nginx daemonized under the shim: a master and 2 workers answer a small GET"

for i in $(seq 1 10); do
  download "$i"
done
n=$(grep -c '"GET /big.bin HTTP/1.1" 200 52428800 ' "$WORK/nginx-access.log" || true)
((n == 10)) || fail "nginx's access log shows $n full 50 MB responses, not 10"
pass "10 downloads of 50 MB from nginx's workers with sendfile, each intact"

write_config 2
shim "${nginx_cmd[@]}" -s reload >"$WORK/nginx-reload.log" 2>&1 ||
  fail "nginx -s reload under the shim failed: $(cat "$WORK/nginx-reload.log")"
# shellcheck disable=SC2016 # expanded by eval at every try
wait_for 20 eval '[[ $(generation) == 2 ]]' ||
  fail "after nginx -s reload the answers carry X-Config-Generation '$(generation)', not 2"
# shellcheck disable=SC2086 # one pid per word
wait_for 20 eval "! kill -0 $old_workers 2>/dev/null" ||
  fail "the workers from before the reload ($old_workers) are still running"
daemon_alive nginx || fail "the nginx master (pid ${DAEMON_PID[nginx]}) is gone after the reload"
# shellcheck disable=SC2016 # expanded by eval at every try
wait_for 10 eval '(($(workers | wc -l) == 2))' ||
  fail "after the reload the master has not 2 worker processes: $(workers | tr '\n' ' ')"
log "after the reload: master ${DAEMON_PID[nginx]}, workers $(workers | tr '\n' ' ')"
pass "nginx -s reload: the same master, 2 new workers with the new configuration, the old ones gone"

download 11
pass "after the reload a 50 MB download is still intact"

tree=$(daemon_tree nginx | tr '\n' ' ')
shim "${nginx_cmd[@]}" -s quit >"$WORK/nginx-quit.log" 2>&1 ||
  fail "nginx -s quit under the shim failed: $(cat "$WORK/nginx-quit.log")"
# shellcheck disable=SC2086 # one pid per word
wait_for 30 eval "! kill -0 $tree 2>/dev/null" ||
  fail "after nginx -s quit some of nginx's processes ($tree) are still running"
in_ns curl -sS --max-time 5 -o /dev/null "http://$STACK_IP:8080/small.txt" 2>/dev/null &&
  fail "nginx still answers after nginx -s quit"
pass "nginx -s quit: the master and its workers ($tree) are gone"
