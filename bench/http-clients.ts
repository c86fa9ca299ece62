import { Worker } from 'node:worker_threads';

export interface ClientJob {
  url: string;
  headers: Record<string, string>;
}
export interface ClientsResult {
  /** Wall time of the timed part, ms. */
  ms: number;
  clients: { lat: number[]; kept: { status: number; body: string }[] }[];
}

/** Runs one client per job on a worker thread (bench/http-clients.mjs), `perClient` requests each. */
export function runClients(jobs: ClientJob[], perClient: number, keepEvery = 10): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./http-clients.mjs', import.meta.url), { workerData: { jobs, perClient, keepEvery } });
    worker.once('message', (m: ClientsResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`http clients exited with ${code}`)));
  });
}
