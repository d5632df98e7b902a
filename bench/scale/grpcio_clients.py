"""grpcio_clients.py N ADDR[,ADDR...] [connect|subscribe]: the C-core reference of the subchannel-scale benchmark.

Opens N grpcio channels to "ipv4:" the given addresses with round_robin and a local subchannel pool (without
it C-core would share one subchannel per address across all channels), asks each to connect, prints
"started N", then stays up until SIGTERM. N = 0 measures the baseline (the interpreter with grpc loaded).

How each channel is asked to connect:
  connect    (default) once, through the C-core channel's check_connectivity_state(try_to_connect=True): what
             subscribe(try_to_connect=True) does first, without its per-channel Python thread.
  subscribe  channel.subscribe(callback, try_to_connect=True). grpcio's Python layer starts one thread per
             subscribed channel that polls the state every 0.2 s: with thousands of channels those threads,
             not C-core, dominate the time to READY and the idle CPU, so this mode only shows that cost.
"""
import signal
import sys

import grpc


def main():
    count = int(sys.argv[1])
    target = "ipv4:" + sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "connect"
    options = [("grpc.lb_policy_name", "round_robin"), ("grpc.use_local_subchannel_pool", 1)]
    channels = []
    for _ in range(count):
        channel = grpc.insecure_channel(target, options=options)
        if mode == "subscribe":
            channel.subscribe(lambda state: None, try_to_connect=True)
        else:
            channel._channel.check_connectivity_state(True)  # the cygrpc channel under grpc.Channel
        channels.append(channel)
    print(f"started {count}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
