"""The traffic generator: sends a mix of menu and order requests to the frontend (run as a Job)."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from typing import Dict, Optional

ITEMS = ["espresso", "latte", "croissant", "unicorn-frappe"]  # the last one is unknown: a 4xx path


def one_request(frontend: str, rng: random.Random) -> int:
    if rng.random() < 0.3:
        request = urllib.request.Request(frontend + "/")
    else:
        body = {"items": rng.sample(ITEMS, k=rng.randint(1, 3))}
        request = urllib.request.Request(frontend + "/order", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_until_ready(frontend: str, timeout_s: float) -> bool:
    """Poll the frontend's /healthz until it answers (a Job may start before the Deployment is ready)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(frontend + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def run(frontend: str, requests: int, rate: float, seed: Optional[int] = None) -> Dict[str, int]:
    rng = random.Random(seed)
    counts: Dict[str, int] = {}
    for _ in range(requests):
        try:
            key = str(one_request(frontend, rng))
        except OSError as e:
            key = type(e).__name__
        counts[key] = counts.get(key, 0) + 1
        if rate > 0:
            time.sleep(1 / rate)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frontend", default=os.environ.get("FRONTEND_URL", "http://localhost:5000"))
    parser.add_argument("--requests", type=int, default=int(os.environ.get("TRAFFIC_REQUESTS", "100")))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("TRAFFIC_RATE", "5")),
                        help="requests per second (0: as fast as possible)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--wait", type=float, default=float(os.environ.get("TRAFFIC_WAIT_SECONDS", "0")),
                        help="seconds to wait for the frontend's /healthz before sending traffic")
    args = parser.parse_args(argv)
    if args.wait > 0 and not wait_until_ready(args.frontend.rstrip("/"), args.wait):
        print(f"traffic: {args.frontend} not ready after {args.wait:.0f}s", file=sys.stderr, flush=True)
        return 1
    counts = run(args.frontend.rstrip("/"), args.requests, args.rate, args.seed)
    print(json.dumps({"frontend": args.frontend, "responses": counts}), flush=True)
    # Fail the Job only if the frontend never answered.
    return 0 if any(key.isdigit() for key in counts) else 1


if __name__ == "__main__":
    sys.exit(main())
