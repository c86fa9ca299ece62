/** Shared set-up for the simulator's tests: settings, an API caller over app.inject, a real HTTP callback receiver. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWeChatSimulator, type WeChatSimOptions, type WeChatSimulator } from '../../src/wechat-sim/index.ts';

export const WECOM = {
  corpId: 'wwsim000000000001',
  secret: 'kf-secret-for-tests',
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  openKfids: ['wkSIM0001', 'wkSIM0002'],
};
export const KF = 'wkSIM0001';
export const KF2 = 'wkSIM0002';

export const OA = { appId: 'wxb11529c136998cb6', secret: 'oa-secret-for-tests', token: 'pamtest', ghId: 'gh_sim00000001' };
export const OA_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export function makeSim(extra: Partial<WeChatSimOptions> = {}): WeChatSimulator {
  return createWeChatSimulator({ wecom: { ...WECOM }, oa: { ...OA }, syncWithoutTokenPerMinute: 1000, ...extra });
}

export interface ApiAnswer {
  status: number;
  json: Record<string, unknown>;
  headers: Record<string, unknown>;
  raw: Buffer;
}

/** Calls the simulator like a client would; `body` objects go out as JSON, strings as they are. */
export async function api(
  sim: WeChatSimulator,
  method: 'GET' | 'POST',
  path: string,
  options: { query?: Record<string, string>; body?: unknown } = {},
): Promise<ApiAnswer> {
  const qs = new URLSearchParams(options.query ?? {}).toString();
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const res = await sim.app.inject({
    method,
    url: qs ? `${path}?${qs}` : path,
    payload,
    headers: payload === undefined ? {} : { 'content-type': 'application/json' },
  });
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, json: isJson ? (res.json() as Record<string, unknown>) : {}, headers: res.headers, raw: res.rawPayload };
}

export async function wecomToken(sim: WeChatSimulator): Promise<string> {
  const { json } = await api(sim, 'GET', '/cgi-bin/gettoken', { query: { corpid: WECOM.corpId, corpsecret: WECOM.secret } });
  if (json.errcode !== 0) throw new Error(`gettoken failed: ${JSON.stringify(json)}`);
  return json.access_token as string;
}

export async function oaToken(sim: WeChatSimulator): Promise<string> {
  const { json } = await api(sim, 'GET', '/cgi-bin/token', { query: { grant_type: 'client_credential', appid: OA.appId, secret: OA.secret } });
  if (typeof json.access_token !== 'string') throw new Error(`token failed: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** POSTs a JSON body to a WeCom API path with `token`. */
export async function wecomPost(sim: WeChatSimulator, token: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  return (await api(sim, 'POST', path, { query: { access_token: token }, body })).json;
}

export interface ReceivedRequest {
  method: string;
  url: URL;
  body: string;
}

export interface Answer {
  status?: number;
  body?: string;
  /** Answer only after this long (to play a slow adapter). */
  delayMs?: number;
}

/** A real HTTP server standing in for the adapter's callback endpoint. */
export async function startReceiver(handle: (req: ReceivedRequest, index: number) => Answer | Promise<Answer>) {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const received = { method: req.method ?? '', url: new URL(req.url ?? '/', 'http://receiver'), body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      const answer = await handle(received, requests.length - 1);
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(answer.body ?? 'success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
