"""Download URL to OUT, at most RATE bytes per second (0: no limit).

    http_get.py URL OUT [RATE]

Reads in 64 KiB pieces and sleeps whenever it is ahead of RATE, so that a
transfer lasts at least size / RATE seconds whatever the link's speed (a
test can then act while the transfer is surely still going).  Prints
"got N bytes in T s" at the end; exits 1 on an error or a short body.
"""
import sys
import time
import urllib.request


def main():
    url, out = sys.argv[1], sys.argv[2]
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    start = time.monotonic()
    got = 0
    with urllib.request.urlopen(url, timeout=30) as r, open(out, "wb") as f:
        length = int(r.headers["Content-Length"])
        while True:
            piece = r.read(1 << 16)
            if not piece:
                break
            f.write(piece)
            got += len(piece)
            if rate:
                ahead = got / rate - (time.monotonic() - start)
                if ahead > 0:
                    f.flush()
                    time.sleep(ahead)
    secs = time.monotonic() - start
    print(f"got {got} bytes in {secs:.1f} s", flush=True)
    if got != length:
        sys.exit(f"short body: {got} of {length} bytes")


if __name__ == "__main__":
    main()
