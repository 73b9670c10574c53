"""The demo's frontend service: takes orders and calls the backend for prices, propagating the W3C
trace context, so each order is one trace across both services."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

import bottle

from tracing import Tracer

tracer = Tracer.from_env("demo-frontend")
app = bottle.Bottle()
BACKEND_URL = os.environ.get("BACKEND_URL", "http://localhost:5001").rstrip("/")


def call_backend(route: str, path: str) -> tuple:
    """GET a backend path inside a client span named after its route; returns (status, JSON body)."""
    with tracer.span(f"GET {route}", kind="client", **{"http.url": BACKEND_URL + path}) as span:
        request = urllib.request.Request(BACKEND_URL + path, headers={"traceparent": span.traceparent})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, body = response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            status, body = e.code, json.loads(e.read() or b"{}")
        except OSError as e:  # URLError included: the backend is down or unreachable
            status, body = 503, {"error": f"backend unreachable: {e}"}
        span.set("http.status_code", status)
        span.error = status >= 500
        return status, body


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/")
def menu():
    with tracer.span("GET /", kind="server", traceparent=bottle.request.get_header("traceparent")):
        status, body = call_backend("/api/items", "/api/items")
        if status != 200:
            bottle.response.status = 502
            return {"error": "backend unavailable"}
        return {"menu": body["items"]}


@app.post("/order")
def order():
    with tracer.span("POST /order", kind="server", traceparent=bottle.request.get_header("traceparent")) as span:
        wanted = (bottle.request.json or {}).get("items", [])
        if not wanted:
            bottle.response.status = 400
            return {"error": "send {\"items\": [...]}"}
        total = 0.0
        for item in wanted:
            status, body = call_backend("/api/price/<item>", f"/api/price/{urllib.parse.quote(str(item))}")
            if status != 200:
                span.error = status >= 500
                bottle.response.status = 502 if status >= 500 else 400
                return {"error": body.get("error", "backend error"), "item": item}
            total += body["price"]
        span.set("order.items", len(wanted))
        return {"items": wanted, "total": round(total, 2), "trace_id": span.trace_id}


if __name__ == "__main__":
    bottle.run(app, host="0.0.0.0", port=int(os.environ.get("FRONTEND_PORT", "5000")), quiet=True)
