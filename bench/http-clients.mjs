/**
 * HTTP clients on a thread of their own (worker_threads), for benchmarks that measure a server:
 * clients on the server's own event loop add their fetch and body work to every latency they
 * measure (10 clients at once made a queue page look ~1.5x slower than the server is).
 *
 * workerData: { jobs: [{ url, headers }], perClient, keepEvery }. Each job is one client making
 * `perClient` requests in a row; it answers { ms, clients: [{ lat, kept }] } where `kept` holds
 * the status and body of every `keepEvery`-th answer (and every non-200) for the caller to check.
 * Plain JavaScript: a worker does not inherit tsx's loader.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { jobs, perClient, keepEvery } = workerData;

async function client(job) {
  const lat = [];
  const kept = [];
  for (let i = 0; i < perClient; i++) {
    const t0 = performance.now();
    const res = await fetch(job.url, { headers: job.headers });
    const body = await res.text();
    lat.push(performance.now() - t0);
    if (res.status !== 200 || i % keepEvery === 0) kept.push({ status: res.status, body });
  }
  return { lat, kept };
}

// A first request per client outside the timed part: connections open, the server's routes warm.
await Promise.all(jobs.map((job) => fetch(job.url, { headers: job.headers }).then((r) => r.arrayBuffer())));
const t0 = performance.now();
const clients = await Promise.all(jobs.map(client));
parentPort.postMessage({ ms: performance.now() - t0, clients });
