# 10 MB each way over one TCP connection with asyncio (the selector event
# loop: epoll on Linux), both directions at once, each side checking the
# other's bytes by SHA-256.  The server's data and the client's are
# generated from fixed seeds, so each side knows what to expect.
#   python3 asyncio_exchange.py server ADDR PORT   (one connection, then exit)
#   python3 asyncio_exchange.py client ADDR PORT
# Prints "ROLE: received N bytes, sha256 matches"; exit 0 only if it does.
import asyncio, hashlib, random, sys

SIZE = 10 << 20
CHUNK = 1 << 16


def payload(seed):
    return random.Random(seed).randbytes(SIZE)


async def exchange(role, reader, writer, mine, theirs):
    async def send():
        for i in range(0, SIZE, CHUNK):
            writer.write(mine[i:i + CHUNK])
            await writer.drain()
        writer.write_eof()

    async def receive():
        h, n = hashlib.sha256(), 0
        while True:
            b = await reader.read(CHUNK)
            if not b:
                return n, h.hexdigest()
            h.update(b)
            n += len(b)

    _, (n, digest) = await asyncio.gather(send(), receive())
    writer.close()
    await writer.wait_closed()
    ok = n == SIZE and digest == hashlib.sha256(theirs).hexdigest()
    print(f"{role}: received {n} bytes, sha256 {'matches' if ok else 'differs'}", flush=True)
    return ok


async def server(addr, port):
    done = asyncio.get_running_loop().create_future()

    async def handle(reader, writer):
        try:
            done.set_result(await exchange("server", reader, writer, payload(1), payload(2)))
        except Exception as e:  # reported, not swallowed
            done.set_exception(e)

    srv = await asyncio.start_server(handle, addr, port, reuse_address=True)
    print(f"listening on {addr}:{port}", flush=True)
    async with srv:
        return await asyncio.wait_for(done, 50)


async def client(addr, port):
    reader, writer = await asyncio.open_connection(addr, port)
    return await exchange("client", reader, writer, payload(2), payload(1))


def main():
    role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    coro = server(addr, port) if role == "server" else client(addr, port)
    ok = asyncio.run(asyncio.wait_for(coro, 55))
    sys.exit(0 if ok else 1)


main()
