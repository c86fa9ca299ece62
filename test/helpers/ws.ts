/** The `ws` WebSocket client for tests and benchmarks (the package ships no types: this is the part they use). */
import { createRequire } from 'node:module';

export interface WsClient {
  readyState: number;
  send(data: string | Buffer): void;
  close(): void;
  terminate(): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'close', cb: (code: number, reason: Buffer) => void): void;
  on(event: 'open', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}

const require = createRequire(import.meta.url);
export const { WebSocket } = require('ws') as { WebSocket: new (url: string) => WsClient };
