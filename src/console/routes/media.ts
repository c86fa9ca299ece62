import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface MediaRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const paramsSchema = z.object({
  botId: z.string().regex(ID, 'must be a bot account id'),
  id: z.string().regex(ID, 'must be a media id'),
});

/** Shown in the page; anything else is a download (never rendered as a document of this origin). */
const INLINE = /^(image\/(png|jpeg|gif|webp)|audio\/(amr|mpeg|mp4|ogg|wav|x-wav|silk)|video\/mp4)$/;

export const mediaRouteDocs = routeGroup('Conversations', [
  {
    method: 'GET',
    path: '/api/media/:botId/:id',
    summary: "a customer's image, voice or file as the channel fetched it (a transcript message's `mediaUrl`)",
    details: 'Kept 3 days, like WeChat\'s media_id. Images, audio and MP4 video come inline; anything else as an attachment.',
    access: 'agent',
    params: paramsSchema,
    ok: { status: 200, description: 'the file, with its content type', contentType: 'application/octet-stream' },
    errors: ['NOT_FOUND'],
  },
]);

/** GET /api/media/:botId/:id (agent): customers' media kept in Redis by the channel adapters. */
export async function mediaRoutes(app: FastifyInstance, opts: MediaRoutesOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.agents));
  app.get('/api/media/:botId/:id', { preHandler: requireRole('agent') }, async (request, reply) => {
    const { botId, id } = parse(paramsSchema, request.params, 'params');
    const file = await opts.handoff.media.get(botId, id);
    if (!file) throw new ApiError(404, 'NOT_FOUND', 'this file is no longer kept (WeChat keeps customer media 3 days)');
    const inline = INLINE.test(file.contentType);
    const name = encodeURIComponent(file.filename ?? id);
    return reply
      .type(inline ? file.contentType : 'application/octet-stream')
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${name}`)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=3600')
      .send(file.data);
  });
}
