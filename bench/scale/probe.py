"""probe.py PORT PATH GAP_SECONDS OUT_JSON: asks ccpool for one route again and again until SIGTERM, then writes
every answer's start and duration to OUT_JSON.

One request at a time, each on a new connection (HTTP/1.1, Connection: close), GAP_SECONDS between the end of
one and the start of the next. A request's time runs from just before connect to the last byte of the answer
(read into one reused buffer and dropped, so a large /metrics body costs the probe little). Its own process,
single-threaded, so that no other probe or the harness holds an interpreter lock it has to wait for.

OUT_JSON: {"path": PATH, "samples": [[start_monotonic_s, seconds, http_status, bytes], ...]}; status 0 is a
request that failed or took longer than TIMEOUT seconds (then seconds is how long it took to fail).
"""
import json
import signal
import socket
import sys
import time

TIMEOUT = 10.0
stopping = False


def on_term(*_):
    global stopping
    stopping = True


def ask(port, path, buffer):
    view = memoryview(buffer)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    start = time.monotonic()
    status, size = 0, 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            s.sendall(request)
            head = b""
            while True:
                n = s.recv_into(view)
                if n == 0:
                    break
                if size == 0:
                    head = bytes(view[:min(n, 16)])
                size += n
                if time.monotonic() - start > TIMEOUT:
                    raise TimeoutError
        if head.startswith(b"HTTP/1.1 ") or head.startswith(b"HTTP/1.0 "):
            status = int(head[9:12])
    except (OSError, ValueError):
        status = 0
    return start, time.monotonic() - start, status, size


def main():
    port, path, gap, out = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    signal.signal(signal.SIGTERM, on_term)
    buffer = bytearray(1 << 20)
    samples = []
    while not stopping:
        samples.append(ask(port, path, buffer))
        time.sleep(gap)
    with open(out, "w") as f:
        json.dump({"path": path, "samples": samples}, f)


if __name__ == "__main__":
    main()
