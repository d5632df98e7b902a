#!/usr/bin/env python3
"""An example gRPC backend for deploy/compose.yaml: a real gRPC server whose only service is the
standard health service (grpc.health.v1.Health), so ccpool's health checking has something to ask.

Usage: server.py [--port 50051] [--service NAME ...] [--flip-every SECONDS]

Serves on 0.0.0.0:PORT. The whole server ("") and every --service name report SERVING. With
--flip-every N (N > 0) every --service name alternates between SERVING and NOT_SERVING every N
seconds, so ccpool's dashboard, history and metrics show health transitions; the whole server
("") stays SERVING. SIGTERM or SIGINT stops it (in-flight RPCs get 5 seconds).
"""

import argparse
import logging
import signal
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=50051)
    parser.add_argument("--service", action="append", default=[], help="a health service name (repeatable)")
    parser.add_argument("--flip-every", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s backend: %(message)s")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    for name in ["", *args.service]:
        servicer.set(name, SERVING)
    port = server.add_insecure_port(f"0.0.0.0:{args.port}")
    server.start()
    logging.info("serving on port %d, health services %s", port, ["", *args.service])

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    serving = True
    while not stop.wait(args.flip_every if args.flip_every > 0 else None):
        serving = not serving
        for name in args.service:
            servicer.set(name, SERVING if serving else NOT_SERVING)
        logging.info("services %s now %s", args.service, "SERVING" if serving else "NOT_SERVING")

    logging.info("stopping")
    servicer.enter_graceful_shutdown()
    server.stop(grace=5).wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
