"""Helpers shared by the bench parts: append a row to the table, read a process's memory and CPU."""
import json
import os


def row(figure, ccpool, reference="", ratio=None, goal="", verdict=""):
    """Appends one table row to $BENCH_ROWS (see bench/run.sh for the shape)."""
    with open(os.environ["BENCH_ROWS"], "a") as f:
        f.write(json.dumps({"figure": figure, "ccpool": ccpool, "reference": reference,
                            "ratio": ratio, "goal": goal, "verdict": verdict}) + "\n")


def log(text):
    """Appends text to the details under the table ($BENCH_LOG)."""
    with open(os.environ["BENCH_LOG"], "a") as f:
        f.write(text.rstrip("\n") + "\n")


def verdict(ok):
    return "met" if ok else "not met"


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid):
    """User + system CPU time of a process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
