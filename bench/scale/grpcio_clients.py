"""grpcio_clients.py N ADDR[,ADDR...] [connect|subscribe] [--policy P] [--spread]: the C-core reference of the
scale benchmarks.

Opens N grpcio channels to "ipv4:" addresses with a local subchannel pool (without it C-core would share one
subchannel per address across all channels), asks each to connect, prints "started N", then stays up until
SIGTERM. N = 0 measures the baseline (the interpreter with grpc loaded).

  --policy P   the load-balancing policy of every channel: round_robin (default) or pick_first.
  --spread     channel i gets only address i mod count (one address per channel, the channels spread over
               the addresses in turn); without it every channel gets all the addresses.

How each channel is asked to connect:
  connect    (default) once, through the C-core channel's check_connectivity_state(try_to_connect=True): what
             subscribe(try_to_connect=True) does first, without its per-channel Python thread.
  subscribe  channel.subscribe(callback, try_to_connect=True). grpcio's Python layer starts one thread per
             subscribed channel that polls the state every 0.2 s: with thousands of channels those threads,
             not C-core, dominate the time to READY and the idle CPU, so this mode only shows that cost.
"""
import argparse
import signal
import sys

import grpc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("addresses")
    parser.add_argument("mode", nargs="?", default="connect", choices=["connect", "subscribe"])
    parser.add_argument("--policy", default="round_robin", choices=["round_robin", "pick_first"])
    parser.add_argument("--spread", action="store_true")
    args = parser.parse_args()
    addresses = args.addresses.split(",")
    options = [("grpc.lb_policy_name", args.policy), ("grpc.use_local_subchannel_pool", 1)]
    channels = []
    for i in range(args.count):
        target = "ipv4:" + (addresses[i % len(addresses)] if args.spread else ",".join(addresses))
        channel = grpc.insecure_channel(target, options=options)
        if args.mode == "subscribe":
            channel.subscribe(lambda state: None, try_to_connect=True)
        else:
            channel._channel.check_connectivity_state(True)  # the cygrpc channel under grpc.Channel
        channels.append(channel)
    print(f"started {args.count}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
