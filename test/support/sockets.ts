/**
 * WebSocket clients for tests and benchmarks: the `ws` package's client (it ships no types: this is
 * the part used here), a socket that collects the console's live messages and lets a test wait on
 * them (Conn). Free of vitest.
 */
import { createRequire } from 'node:module';
import type { HandoffEvent } from '../../src/handoff/index.ts';

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
/** The `ws` package's client. */
export const { WebSocket } = require('ws') as { WebSocket: new (url: string) => WsClient };

export type Msg = { type: string } & Record<string, unknown>;

/** A client socket that collects what it receives (JSON messages). */
export class Conn {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | null = null;
  /** Resolves once the socket is open; rejects on a connection error. */
  readonly open: Promise<void>;
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WsClient) {
    this.open = new Promise<void>((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    // Awaiting it is optional.
    this.open.catch(() => undefined);
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString('utf8')) as Msg);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    ws.on('error', () => undefined);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }
  /** Waits until `pred` holds (checked on every message / close), or fails after `ms`. */
  async until<T>(pred: () => T | null | undefined | false, what: string, ms = 3_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages).slice(0, 2_000)} closed=${JSON.stringify(this.closed)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  events(): HandoffEvent[] {
    return this.messages.filter((m) => m.type === 'event').map((m) => m.event as HandoffEvent);
  }
  waitEvent(pred: (e: HandoffEvent) => boolean, what: string, ms?: number): Promise<HandoffEvent> {
    return this.until(() => this.events().find(pred), what, ms);
  }
  waitClose(ms?: number): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, 'close', ms);
  }
  presence(conv: string): Msg | undefined {
    return this.messages.filter((m) => m.type === 'presence' && m.conv === conv).at(-1);
  }
  count(type: string): number {
    return this.messages.filter((m) => m.type === type).length;
  }
}

