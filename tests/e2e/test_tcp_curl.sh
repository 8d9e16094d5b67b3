#!/bin/bash
# HTTP over the stack's TCP with real clients: curl and wget under the shim
# against python servers on the kernel's side.  Bulk data both ways must
# arrive intact (SHA-256), which exercises the stack's send and receive
# windows, window scaling and segmentation over a long transfer.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require curl wget python3 sha256sum ss
setup
curl_usable || skip "curl and wget cannot run reliably with the sanitizer runtime preloaded (they hang in setlocale now and then; llvm-project issue 49223)"

www=$WORK/www
mkdir "$www"

# 1. curl downloads 100 MB from the kernel's python3 -m http.server.
random_file "$www/big.bin" 100M
kernel_http_server http "$www" 8080
shim_http_get "http://$KERNEL_IP:8080/big.bin" "$WORK/curl.bin" ||
  fail "curl under the shim could not download 100 MB from http://$KERNEL_IP:8080/big.bin"
same_file "$www/big.bin" "$WORK/curl.bin" "curl download"
pass "curl under the shim downloads 100 MB intact"
rm -f "$WORK/curl.bin"

# 2. curl uploads 20 MB; the kernel's server replies with the body's SHA-256.
random_file "$WORK/upload.bin" 20M
kernel_sha256_server shasrv 8081
shim_http_post_sha256 "$WORK/upload.bin" "http://$KERNEL_IP:8081/" ||
  fail "curl under the shim did not upload 20 MB intact to http://$KERNEL_IP:8081/"
pass "curl under the shim uploads 20 MB intact (POST)"

# 3. wget, another client with its own I/O pattern, downloads 20 MB.
random_file "$www/wget.bin" 20M
start=$EPOCHREALTIME
shim wget -q --tries=1 --timeout=30 -O "$WORK/wget.bin" "http://$KERNEL_IP:8080/wget.bin" ||
  fail "wget under the shim could not download http://$KERNEL_IP:8080/wget.bin"
secs=$(elapsed_since "$start")
log "wget: 20 MiB in ${secs}s, $(mbps $((20 << 20)) "$secs") MB/s (including start-up)"
same_file "$www/wget.bin" "$WORK/wget.bin" "wget download"
pass "wget under the shim downloads 20 MB intact"

# The server saw the requests come from the stack's address, over the TAP.
grep -q "^$STACK_IP .*\"GET /big.bin " "$(logof http)" ||
  fail "python's http.server did not log a GET from $STACK_IP"
pass "the requests came from $STACK_IP"
