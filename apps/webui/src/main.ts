import { apiBase, fetchTrace, fetchTraces } from "./api.js";
import { renderTraces, renderWaterfall } from "./render.js";

const REFRESH_MS = 5000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id} in index.html`);
  return found as T;
}

async function main(): Promise<void> {
  const base = apiBase(window.location, document);
  const tableBody = element<HTMLTableSectionElement>("traces");
  const waterfall = element<HTMLElement>("waterfall");
  const status = element<HTMLElement>("status");

  const select = async (traceId: string): Promise<void> => {
    try {
      renderWaterfall(waterfall, await fetchTrace(base, traceId));
      status.textContent = `trace ${traceId}`;
    } catch (error) {
      status.textContent = `could not load trace ${traceId}: ${String(error)}`;
    }
  };

  const refresh = async (): Promise<void> => {
    try {
      renderTraces(tableBody, await fetchTraces(base), (id) => void select(id));
      status.textContent = `updated ${new Date().toLocaleTimeString()} from ${base}`;
    } catch (error) {
      status.textContent = `cannot reach the TinyOlly API at ${base}: ${String(error)}`;
    }
  };

  await refresh();
  window.setInterval(() => void refresh(), REFRESH_MS);
}

void main();
