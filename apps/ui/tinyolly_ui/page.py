"""The server-rendered HTML page (the richer front end is apps/webui, which uses the JSON API)."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Dict, Iterable

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>TinyOlly</title>
<style>body{{font-family:sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}}.error{{color:#b00020}}</style>
</head>
<body>
<h1>TinyOlly: recent traces</h1>
<table>
<thead><tr><th>Started (UTC)</th><th>Service</th><th>Root span</th><th>Spans</th><th>Duration</th><th>Trace</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def format_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def render_traces(summaries: Iterable[Dict[str, object]]) -> str:
    rows = []
    for s in summaries:
        css = ' class="error"' if s["error"] else ""
        trace_id = escape(str(s["trace_id"]))
        rows.append(
            f"<tr{css}><td>{format_time(int(s['start_ns']))}</td>"  # type: ignore[arg-type]
            f"<td>{escape(str(s['service']))}</td><td>{escape(str(s['root'] or '(missing root)'))}</td>"
            f"<td>{s['span_count']}</td><td>{float(s['duration_ms']):.1f} ms</td>"  # type: ignore[arg-type]
            f'<td><a href="/api/traces/{trace_id}">{trace_id}</a></td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="6">No traces yet: send OTLP/JSON to the receiver.</td></tr>')
    return _PAGE.format(rows="\n".join(rows))
