// The JSON shapes served by the UI service (apps/ui, GET /api/traces and /api/traces/<id>).

export interface TraceSummary {
  trace_id: string;
  root: string | null;
  service: string;
  span_count: number;
  start_ns: number;
  duration_ms: number;
  error: boolean;
}

export interface SpanRecord {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  service: string;
  kind: string;
  status: "unset" | "ok" | "error";
  start_ns: number;
  end_ns: number;
  duration_ms: number;
  attributes: Record<string, unknown>;
}
