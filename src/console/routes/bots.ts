import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { AgentStore } from '../auth/index.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { authenticate, requireRole } from '../auth.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface BotRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
}

export const botRouteDocs = routeGroup('Bot accounts', [
  {
    method: 'GET',
    path: '/api/bots',
    summary: "every bot account's WeChat login, with the QR code to scan when it needs one",
    access: 'manager',
    ok: { status: 200, description: '`{"items":[{"id","status","channel","at","qr"}…]}` (`channel`: `{"kind","label"}` or null; `qr`: an SVG data URL, or null)' },
  },
]);

/**
 * GET /api/bots (manager): every bot account's WeChat login, with the QR code to scan drawn here
 * as an SVG data URL (the page's CSP allows data: images; no image service is asked).
 */
export async function botRoutes(app: FastifyInstance, opts: BotRoutesOptions): Promise<void> {
  const { handoff } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  app.get('/api/bots', { preHandler: requireRole('manager') }, async () => {
    const ids = await handoff.bots();
    const items = await Promise.all(
      ids.map(async (id) => {
        const [s, channel] = await Promise.all([handoff.botStatus(id), handoff.registry.channel(id)]);
        const qr = s?.status === 'scan' && s.qrUrl ? await QRCode.toString(s.qrUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) : null;
        return {
          id,
          status: s?.status ?? 'unknown',
          channel: channel ? { kind: channel.kind, label: channel.label } : null,
          at: s?.at ?? null,
          qr: qr ? `data:image/svg+xml;base64,${Buffer.from(qr).toString('base64')}` : null,
        };
      }),
    );
    return { items };
  });
}
