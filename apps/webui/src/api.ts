import type { SpanRecord, TraceSummary } from "./types.js";

// The UI service's base URL: `?api=` in the page URL, else <meta name="tinyolly-api">, else port 5005
// on the host serving this page.
export function apiBase(location: Location, doc: Document): string {
  const fromQuery = new URLSearchParams(location.search).get("api");
  const fromMeta = doc.querySelector<HTMLMetaElement>('meta[name="tinyolly-api"]')?.content;
  const base = fromQuery || fromMeta || `${location.protocol}//${location.hostname}:5005`;
  return base.replace(/\/+$/, "");
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

export async function fetchTraces(base: string, limit = 50): Promise<TraceSummary[]> {
  const body = await getJson<{ traces: TraceSummary[] }>(`${base}/api/traces?limit=${limit}`);
  return body.traces;
}

export async function fetchTrace(base: string, traceId: string): Promise<SpanRecord[]> {
  const body = await getJson<{ spans: SpanRecord[] }>(`${base}/api/traces/${encodeURIComponent(traceId)}`);
  return body.spans;
}
