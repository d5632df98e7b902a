"""GET /metrics and /healthz requests/s: ccpool against nginx serving the same bytes.

Run by 40-http.sh with argv: WORKDIR (a fresh temporary directory, removed by the caller).
Environment: BIN (ccpool's release products), BENCH_ROWS, BENCH_LOG, and optionally
HTTP_TARGETS (123), HTTP_ROUNDS (3), HTTP_WRK_SECONDS (5), HTTP_WRK_THREADS (2), HTTP_WRK_CONNECTIONS (16).

The goal is stated as `wrk -t2 -c16` on /metrics of an unchanged 10,000-series pool: 123 targets x 3
subchannels render 81 series each, plus the pool-wide and process families, about 10,030 series in all.

Setup: one grpcio backend process listening on 3 loopback ports; ccpool with HTTP_TARGETS targets, each
`ipv4:` those 3 addresses under round_robin (3 READY subchannels per target, no health checking and no
keepalive, so that a READY pool is quiet). Once every subchannel is READY and nothing has moved for a while,
the /metrics body (plain and gzip) is saved, and nginx serves those files as static files with the same
Content-Type (and Content-Encoding) and /healthz with the same small JSON body. wrk then runs against each
pair with the same threads, connections and duration, HTTP_ROUNDS times, alternating which side goes first
(the machine is shared: interleaving spreads its load drift over both sides); a figure is the median round.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import lib
import procs

workdir = sys.argv[1]
BIN = os.environ["BIN"]
TARGETS = int(os.environ.get("HTTP_TARGETS", "123"))
SECONDS = int(os.environ.get("HTTP_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("HTTP_ROUNDS", "3"))
THREADS = int(os.environ.get("HTTP_WRK_THREADS", "2"))
CONNECTIONS = int(os.environ.get("HTTP_WRK_CONNECTIONS", "16"))
NGINX_WORKERS = os.cpu_count() or 2


def metric_sum(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def movement(port):
    """What changes while the pool moves: transitions, history rows, the history queue."""
    _, _, body = procs.http_get(port, "/metrics")
    text = body.decode()
    return (metric_sum(text, "ccpool_channel_state_transitions_total"),
            metric_sum(text, "ccpool_subchannel_state_transitions_total"),
            metric_sum(text, "ccpool_history_events_written_total"),
            metric_sum(text, "ccpool_history_queue_depth"))


def all_ready(port):
    targets = procs.get_json(port, "/v1/targets")["targets"]
    return len(targets) == TARGETS and all(
        t["state"] == "READY" and len(t["subchannels"]) == 3 and all(s["state"] == "READY" for s in t["subchannels"])
        for t in targets)


def wait_quiet(port, settle=2.0, timeout=60):
    def quiet():
        before = movement(port)
        time.sleep(settle)
        after = movement(port)
        return after if before == after and after[3] == 0 else None
    return procs.wait_until(quiet, timeout, "a quiet pool", interval=0.1)


WRK_LINE = re.compile(r"Requests/sec:\s+([0-9.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in ([0-9.]+)(\w+), ([0-9.]+)([KMG]?B) read")
UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def wrk(children, port, path, headers=(), seconds=SECONDS):
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for h in headers:
        argv += ["-H", h]
    argv.append(f"http://127.0.0.1:{port}{path}")
    p = children.start(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = p.communicate(timeout=seconds + 30)
    children.processes.remove(p)
    rps = WRK_LINE.search(out)
    total = WRK_TOTAL.search(out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    if not rps or not total:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    requests = int(total.group(1))
    per_request = float(total.group(4)) * UNITS[total.group(5)] / max(1, requests)
    return float(rps.group(1)), per_request, errors.group(0) if errors else "", out


def nginx_config(port, metrics_file, content_type):
    tmp = os.path.join(workdir, "nginx")
    os.makedirs(tmp, exist_ok=True)
    return f"""
worker_processes {NGINX_WORKERS};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    etag off;
    server {{
        listen 127.0.0.1:{port};
        location = /metrics {{
            alias {metrics_file};
            gzip_static on;
            default_type "{content_type}";
            types {{ }}
            add_header Vary "Accept, Accept-Encoding";
        }}
        location = /healthz {{
            default_type application/json;
            return 200 '{{"status":"ok"}}';
        }}
    }}
}}
"""


def run(children):
    procs.progress(f"grpcio backend on 3 ports, ccpool with {TARGETS} targets x 3 addresses (round_robin)")
    _, ports, _ = procs.backend(children, [0, 0, 0], lifetime=600)
    addresses = ",".join(f"127.0.0.1:{p}" for p in ports)
    spec = {"target": f"ipv4:{addresses}",
            "service_config": json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})}
    targets = {f"svc-{i:04d}": dict(spec) for i in range(TARGETS)}
    ccpool, port = procs.start_ccpool(children, os.path.join(BIN, "ccpool"), workdir, targets)
    procs.wait_until(lambda: all_ready(port), 90, f"all {TARGETS * 3} subchannels READY", interval=0.2)
    quiet = wait_quiet(port)
    procs.progress(f"pool quiet: {quiet[1]:.0f} subchannel transitions, {quiet[2]:.0f} history rows")

    status, headers, body = procs.http_get(port, "/metrics")
    assert status == 200, status
    content_type = headers["Content-Type"]
    status, gz_headers, gz_body = procs.http_get(port, "/metrics", {"Accept-Encoding": "gzip"})
    assert status == 200 and gz_headers.get("Content-Encoding") == "gzip", gz_headers
    metrics_file = os.path.join(workdir, "metrics")
    with open(metrics_file, "wb") as f:
        f.write(body)
    with open(metrics_file + ".gz", "wb") as f:
        f.write(gz_body)
    os.chmod(workdir, 0o755)
    series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
    procs.progress(f"/metrics: {series} series, {len(body)} bytes ({len(gz_body)} gzip), {content_type}")

    nginx_port = procs.free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_config(nginx_port, metrics_file, content_type))
    argv = ["nginx", "-p", workdir, "-e", os.path.join(workdir, "nginx", "error.log"), "-c", conf]
    if os.geteuid() == 0:  # nginx's workers would drop to `nobody` anyway: run the whole of it unprivileged
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv
        for d in (workdir, os.path.join(workdir, "nginx")):
            shutil.chown(d, "nobody", "nogroup")
    nginx = children.start(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs.wait_until(lambda: nginx.poll() is None and procs.http_get(nginx_port, "/healthz")[0] == 200, 15,
                     "nginx")
    st, nh, nb = procs.http_get(nginx_port, "/metrics")
    assert st == 200 and nb == body and nh["Content-Type"] == content_type, (st, nh)
    st, nh, nb = procs.http_get(nginx_port, "/metrics", {"Accept-Encoding": "gzip"})
    assert st == 200 and nb == gz_body and nh.get("Content-Encoding") == "gzip", (st, nh)

    cases = [
        # (figure, path, request headers, what was served, the goal's ratio to nginx)
        ("GET /metrics, unchanged pool", "/metrics", [],
         f"{series:,} series, {len(body):,} B", 1.0),
        ("GET /metrics gzip, unchanged pool", "/metrics", ["Accept-Encoding: gzip"],
         f"{len(gz_body):,} B gzip", None),
        ("GET /healthz", "/healthz", [], "15 B JSON", 0.5),
    ]
    details = []
    servers = {"ccpool": port, "nginx": nginx_port}
    for figure, path, hdrs, what, goal in cases:
        procs.progress(f"wrk {path} {' '.join(hdrs)}: {ROUNDS} rounds of ccpool and nginx, {SECONDS} s each")
        for name in servers:  # warm-up: the render cache, page cache, connections
            wrk(children, servers[name], path, hdrs, seconds=1)
        runs = {"ccpool": [], "nginx": []}
        for r in range(ROUNDS):
            for name in (("ccpool", "nginx") if r % 2 == 0 else ("nginx", "ccpool")):
                rps, size, err, out = wrk(children, servers[name], path, hdrs)
                runs[name].append((rps, err))
                if r == 0:
                    details += [f"### {figure}: {name}, round 1", out]
        c_rps, n_rps = (statistics.median(x[0] for x in runs[k]) for k in ("ccpool", "nginx"))
        c_err = "; ".join(sorted({x[1] for x in runs["ccpool"] if x[1]}))
        n_err = "; ".join(sorted({x[1] for x in runs["nginx"] if x[1]}))
        spread = {k: "/".join(f"{x[0]:,.0f}" for x in runs[k]) for k in runs}
        details.append(f"### {figure}: req/s per round: ccpool {spread['ccpool']}; nginx {spread['nginx']}\n")
        procs.progress(f"{figure}: ccpool {spread['ccpool']} req/s {c_err}; nginx {spread['nginx']} req/s {n_err}")
        lib.row(f"{figure} ({what}), req/s, wrk -t{THREADS} -c{CONNECTIONS}, median of {ROUNDS} x {SECONDS} s",
                f"{c_rps:,.0f} req/s" + (f" ({c_err})" if c_err else ""),
                f"{n_rps:,.0f} req/s (nginx, {NGINX_WORKERS} workers, static file)" + (f" ({n_err})" if n_err else ""),
                c_rps / n_rps,
                f"ratio >= {goal} (ratio = ccpool / nginx)" if goal else "none stated (ratio = ccpool / nginx)",
                lib.verdict(c_rps / n_rps >= goal) if goal else "")

    after = movement(port)
    moved = "unchanged" if after[:3] == quiet[:3] else f"MOVED during the runs: {quiet} -> {after}"
    lib.log("## HTTP requests/s (40-http: wrk against ccpool and nginx)\n\n"
            f"ccpool serve with {TARGETS} targets x 3 loopback grpcio addresses (round_robin, all READY; pool "
            f"{moved} across the runs); its /metrics body: {series:,} series, {len(body):,} bytes, "
            f"{len(gz_body):,} bytes gzip. nginx {nginx_version()} (worker_processes {NGINX_WORKERS}, one per core, "
            "sendfile, access_log off, keepalive_requests unbounded) serves that saved body as a static file "
            "(gzip_static for the .gz copy) with the same Content-Type, and /healthz as `return 200` with the same "
            "body. ccpool's MHD runs 8 threads (its default on this machine). wrk and both servers share the "
            f"machine's {os.cpu_count()} cores (and, when others build, with them); each side gets a 1 s warm-up per figure, "
            f"then {ROUNDS} rounds of {SECONDS} s, alternating which side goes first.\n\n```\n"
            + "\n".join(details) + "\n```\n")


def nginx_version():
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
    return out.stderr.strip().split("/")[-1]


if __name__ == "__main__":
    procs.run_driver(run)
