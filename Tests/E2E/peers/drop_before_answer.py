#!/usr/bin/env python3
"""A peer that speaks just enough HTTP/2 to bring a gRPC transport up, then drops it before
answering any RPC (a backend that dies between accepting a connection and its first health
answer).

Usage: drop_before_answer.py PORT

Listens on 127.0.0.1:PORT with SO_REUSEPORT (beside the suite's port reservation), prints
"listening <port>", and for every connection: sends an empty SETTINGS frame (the server
preface), reads until the client has sent a HEADERS frame (its first RPC), then closes the
socket. Counts connections on stderr. Stops when stdin closes, so it never outlives its test.
"""

import socket
import sys
import threading

SETTINGS = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # length 0, type SETTINGS, no flags, stream 0
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frames(data: bytes):
    """(type, length) of each whole frame in `data` after the client preface."""
    offset = len(PREFACE)
    while offset + 9 <= len(data):
        length = int.from_bytes(data[offset:offset + 3], "big")
        yield data[offset + 3], length
        offset += 9 + length


def serve(conn: socket.socket, number: int):
    with conn:
        conn.settimeout(10)
        conn.sendall(SETTINGS)
        data = b""
        try:
            while not any(kind == 1 for kind, _ in frames(data)):  # 1 = HEADERS
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        print(f"connection {number}: dropped after the first HEADERS", file=sys.stderr, flush=True)


def main():
    port = int(sys.argv[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    print(f"listening {port}", flush=True)

    def accept_loop():
        number = 0
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            number += 1
            threading.Thread(target=serve, args=(conn, number), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()  # Until the suite closes stdin or kills this process.
    listener.close()


if __name__ == "__main__":
    main()
