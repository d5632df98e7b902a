#!/usr/bin/env python3
"""The reference observer of 60-failure-detection: a grpcio channel (grpc.aio) to one target that prints
"<unix time> <STATE>" on every connectivity change, the time taken as soon as the change is seen. Like
ccpool, it asks the channel to connect again whenever it goes IDLE (grpcio leaves an IDLE channel idle).

Usage: fd_watch.py HOST:PORT [--backoff-ms N] [--lifetime SECONDS]

--backoff-ms sets grpc.initial_reconnect_backoff_ms and grpc.max_reconnect_backoff_ms (a constant
backoff, still with grpc-core's 0.2 jitter; default: grpcio's own, 1 s growing x1.6). Ends after --lifetime
seconds (default 600), on SIGTERM, or at end of stdin.
"""
import asyncio
import signal
import sys
import time

import grpc


async def watch(target, options, lifetime):
    async with grpc.aio.insecure_channel(target, options=options) as channel:
        state = channel.get_state(try_to_connect=True)
        print(f"{time.time():.6f} {state.name}", flush=True)
        deadline = time.monotonic() + lifetime
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(channel.wait_for_state_change(state), timeout=1.0)
            except asyncio.TimeoutError:
                continue
            now = time.time()
            state = channel.get_state(try_to_connect=False)
            print(f"{now:.6f} {state.name}", flush=True)
            if state == grpc.ChannelConnectivity.IDLE:
                state = channel.get_state(try_to_connect=True)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    target = args[0]
    options = []
    lifetime = 600.0
    i = 1
    while i < len(args):
        if args[i] == "--backoff-ms":
            ms = int(args[i + 1])
            options += [("grpc.initial_reconnect_backoff_ms", ms), ("grpc.max_reconnect_backoff_ms", ms)]
        elif args[i] == "--lifetime":
            lifetime = float(args[i + 1])
        else:
            print(f"unknown argument {args[i]}", file=sys.stderr)
            return 2
        i += 2
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(watch(target, options, lifetime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
