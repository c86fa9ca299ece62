// The matching thread under tsx or vitest (src/ as TypeScript): a worker thread does not inherit
// the parent's TypeScript loader, so it registers tsx's before loading the worker. The compiled
// tree (dist/) starts match-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./match-worker.ts');
