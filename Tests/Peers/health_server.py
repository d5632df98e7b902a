#!/usr/bin/env python3
"""A real gRPC server with the standard health service (grpcio + grpcio-health-checking), for
ccpool's interop tests.

Usage: health_server.py PORT [--no-health]

Listens on 127.0.0.1:PORT (0 picks a free port) and prints "listening <port>" once serving.
With --no-health the server has no services at all, so every health RPC is UNIMPLEMENTED.
Then reads commands from stdin, one per line, and answers each with "ok" or "error <text>":

    set <service> <STATUS>   STATUS is SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN;
                             <service> "" (two quotes) or "-" means the whole server
    set <STATUS>             the same, for the whole server
    stop                     stop serving and exit

End of stdin stops the server too, so it never outlives the test that started it.
"""

import signal
import sys
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    # A parent that spawns us from a thread with signals blocked (Swift's thread pools do) passes
    # that mask on: unblock SIGTERM/SIGINT so that stopping by PID works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    port = int(sys.argv[1])
    with_health = "--no-health" not in sys.argv[2:]

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = None
    if with_health:
        servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print(f"listening {bound}", flush=True)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "stop":
            break
        if words[0] == "set" and len(words) in (2, 3):
            service = "" if len(words) == 2 or words[1] in ('""', "-") else words[1]
            name = words[-1]
            if servicer is None:
                print("error no health service", flush=True)
                continue
            try:
                status = health_pb2.HealthCheckResponse.ServingStatus.Value(name)
            except ValueError:
                print(f"error unknown status {name}", flush=True)
                continue
            servicer.set(service, status)
            print("ok", flush=True)
            continue
        print(f"error unknown command {line.strip()}", flush=True)

    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
