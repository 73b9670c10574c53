"""The demo's backend service: an inventory/pricing API that does some (simulated) work per request,
with spans for the work and occasional failures, so the traces in TinyOlly are worth looking at."""

from __future__ import annotations

import os
import random
import time

import bottle

from tracing import Tracer

tracer = Tracer.from_env("demo-backend")
app = bottle.Bottle()

CATALOG = {
    "espresso": {"price": 2.5, "stock": 40},
    "latte": {"price": 3.8, "stock": 25},
    "croissant": {"price": 2.1, "stock": 12},
}
FAILURE_RATE = float(os.environ.get("DEMO_FAILURE_RATE", "0.05"))


def simulated_query(statement: str, max_ms: float = 30.0) -> None:
    with tracer.span("db.query", kind="client", **{"db.system": "sqlite", "db.statement": statement}):
        time.sleep(random.uniform(1, max_ms) / 1000)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/items")
def items():
    with tracer.span("GET /api/items", kind="server", traceparent=bottle.request.get_header("traceparent")):
        simulated_query("SELECT name, price FROM items")
        return {"items": sorted(CATALOG)}


@app.get("/api/price/<item>")
def price(item: str):
    with tracer.span("GET /api/price", kind="server", traceparent=bottle.request.get_header("traceparent"),
                     item=item) as span:
        simulated_query("SELECT price, stock FROM items WHERE name = ?")
        entry = CATALOG.get(item)
        if entry is None:
            span.set("http.status_code", 404)
            bottle.response.status = 404
            return {"error": f"unknown item {item!r}"}
        if random.random() < FAILURE_RATE:
            span.error = True
            span.set("http.status_code", 503)
            bottle.response.status = 503
            return {"error": "inventory service overloaded"}
        span.set("http.status_code", 200)
        return {"item": item, **entry}


if __name__ == "__main__":
    bottle.run(app, host="0.0.0.0", port=int(os.environ.get("BACKEND_PORT", "5001")), quiet=True)
