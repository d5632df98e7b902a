#!/usr/bin/env python3
"""A real gRPC server for the bench parts: grpcio with the standard health service (SERVING).

Usage: grpc_backend.py [--lifetime SECONDS] PORT [PORT ...]

Listens on 127.0.0.1:PORT for every PORT given (0 picks a free port), then prints one line
"listening <port>,<port>,... <unix time>" (the time taken just before server.start(): the ports are
bound by then, but no client can finish an HTTP/2 handshake before it, so it is the server's return) and
serves until SIGTERM, SIGINT, or --lifetime seconds (default 900), so it never outlives a part
that forgot it.
"""

import signal
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def main() -> int:
    args = sys.argv[1:]
    lifetime = 900.0
    if len(args) >= 2 and args[0] == "--lifetime":
        lifetime = float(args[1])
        args = args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    # A parent that spawns us with signals blocked passes that mask on: unblock the ones we stop on.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[
        # Clients may ping as they like (grpc-core otherwise answers frequent PINGs with GOAWAY).
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10),
    ])
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    ports = [server.add_insecure_port(f"127.0.0.1:{int(p)}") for p in args]
    if any(p == 0 for p in ports):
        print("error: could not bind " + " ".join(args), flush=True)
        return 1
    started = time.time()
    server.start()
    print(f"listening {','.join(map(str, ports))} {started:.6f}", flush=True)
    done.wait(lifetime)
    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
