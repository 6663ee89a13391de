#!/usr/bin/env python3
"""Load run against a loopback `mynaface serve` (127.0.0.1 only): N clients verify for a bounded time.

    python3 Scripts/load-serve.py --bin .build/release/mynaface --clients 8 --seconds 120 [--json out.json]

Starts the server on a free port, enrols obama.jpg once, then each client sends single-frame verifications
(obama2.jpg, obama3.jpg, biden.jpg in turn) as fast as answers come back. Samples the server's resident memory
(VmRSS) every 5 s. Prints verifies/s, latency p50/p90/p99, status counts, and RSS at the start, middle and end.
"""
import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--samples", default=os.path.expanduser(os.environ.get("MYNAFACE_SAMPLES", "~/.cache/mynaface/samples")))
    ap.add_argument("--json")
    args = ap.parse_args()
    assert args.seconds <= 1800 and args.clients <= 64, "bounded runs only"

    # The template must outlive the run (a visit's template expires after 300 s by default).
    server = subprocess.Popen([args.bin, "serve", "--host", "127.0.0.1", "--port", "0", "--template-lifetime", "7200"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.rsplit(":", 1)[1])

        def call(conn, method, path, body=None):
            conn.request(method, path, body=json.dumps(body) if body else None,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, r.read()

        def read(name):
            with open(os.path.join(args.samples, name), "rb") as f:
                return base64.b64encode(f.read()).decode()

        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        status, body = call(c, "POST", "/v1/templates", {"portrait": read("obama.jpg")})
        assert status == 201, body
        tid = json.loads(body)["templateId"]
        frames = [read(n) for n in ("obama2.jpg", "obama3.jpg", "biden.jpg")]

        def rss_kb():
            with open(f"/proc/{server.pid}/status") as f:
                for l in f:
                    if l.startswith("VmRSS:"):
                        return int(l.split()[1])
            return 0

        stop = threading.Event()
        measuring = threading.Event()
        lock = threading.Lock()
        latencies, statuses = [], {}

        def client(k):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            i = k
            while not stop.is_set():
                t0 = time.perf_counter()
                st, _ = call(conn, "POST", "/v1/verify", {"templateId": tid, "frames": [frames[i % 3]]})
                dt = time.perf_counter() - t0
                i += 1
                if measuring.is_set():
                    with lock:
                        if st == 200:
                            latencies.append(dt)
                        statuses[st] = statuses.get(st, 0) + 1

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.warmup)
        rss = [(0.0, rss_kb())]
        measuring.set()
        start = time.time()
        while time.time() - start < args.seconds:
            time.sleep(min(5, args.seconds - (time.time() - start)) if args.seconds > 0 else 0)
            rss.append((round(time.time() - start, 1), rss_kb()))
        measuring.clear()
        elapsed = time.time() - start
        stop.set()
        for t in threads:
            t.join(timeout=130)
        lat = sorted(latencies)
        pct = lambda p: round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None
        third = max(1, len(rss) // 3)
        mean = lambda xs: round(sum(r for _, r in xs) / len(xs))
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        out = {"clients": args.clients, "loadavg1/5/15AtEnd": load,
               "rssKBMeanFirstThird": mean(rss[:third]), "rssKBMeanLastThird": mean(rss[-third:]), "seconds": round(elapsed, 1), "verifies200": len(lat),
               "verifiesPerSecond": round(len(lat) / elapsed, 2), "p50ms": pct(0.50), "p90ms": pct(0.90), "p99ms": pct(0.99),
               "statuses": statuses, "rssKBStart": rss[0][1], "rssKBMiddle": rss[len(rss) // 2][1], "rssKBEnd": rss[-1][1],
               "rssKBMax": max(r for _, r in rss), "rssSamples": rss}
        print(json.dumps({k: v for k, v in out.items() if k != "rssSamples"}))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
