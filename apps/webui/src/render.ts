import type { SpanRecord, TraceSummary } from "./types.js";

export function formatDuration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatTime(ns: number): string {
  return new Date(ns / 1e6).toISOString().replace("T", " ").replace("Z", "");
}

function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

export function renderTraces(
  body: HTMLTableSectionElement,
  traces: TraceSummary[],
  onSelect: (traceId: string) => void,
): void {
  body.replaceChildren();
  if (traces.length === 0) {
    const row = body.insertRow();
    const td = cell(row, "No traces yet: send OTLP/JSON to the receiver.");
    td.colSpan = 5;
    return;
  }
  for (const trace of traces) {
    const row = body.insertRow();
    row.className = trace.error ? "error" : "";
    cell(row, formatTime(trace.start_ns));
    cell(row, trace.service);
    cell(row, trace.root ?? "(missing root)");
    cell(row, String(trace.span_count));
    cell(row, formatDuration(trace.duration_ms));
    row.addEventListener("click", () => onSelect(trace.trace_id));
  }
}

// A waterfall: one bar per span, offset and sized relative to the whole trace, indented by depth.
export function renderWaterfall(container: HTMLElement, spans: SpanRecord[]): void {
  container.replaceChildren();
  if (spans.length === 0) return;
  const start = Math.min(...spans.map((s) => s.start_ns));
  const end = Math.max(...spans.map((s) => s.end_ns));
  const total = Math.max(end - start, 1);
  const depth = new Map<string, number>();
  for (const span of spans) {
    const parentDepth = span.parent_span_id ? depth.get(span.parent_span_id) : undefined;
    depth.set(span.span_id, parentDepth === undefined ? 0 : parentDepth + 1);
  }
  for (const span of spans) {
    const line = document.createElement("div");
    line.className = "span";
    const label = document.createElement("span");
    label.className = "label";
    label.style.paddingLeft = `${(depth.get(span.span_id) ?? 0) * 1.2}rem`;
    label.textContent = `${span.service}: ${span.name}`;
    const bar = document.createElement("span");
    bar.className = span.status === "error" ? "bar error" : "bar";
    bar.style.marginLeft = `${((span.start_ns - start) / total) * 100}%`;
    bar.style.width = `${Math.max(((span.end_ns - span.start_ns) / total) * 100, 0.5)}%`;
    bar.title = formatDuration(span.duration_ms);
    const track = document.createElement("span");
    track.className = "track";
    track.append(bar);
    line.append(label, track);
    container.append(line);
  }
}
