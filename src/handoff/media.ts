/**
 * Customers' images, voice and files, fetched by the channel (微信客服's media/get) and kept in
 * Redis for agents to see: WeChat keeps a media_id only 3 days, and the console must not need the
 * channel's credentials. Size-capped by the channel before it gets here; expires like the media_id.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Keys } from './keys.ts';

export interface MediaFile {
  contentType: string;
  filename?: string;
  data: Buffer;
}

/** WeChat's own lifetime of a media_id. */
export const MEDIA_TTL_S = 3 * 24 * 3600;

export class MediaStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: Keys,
  ) {}

  async put(botId: string, id: string, file: MediaFile, ttlS = MEDIA_TTL_S): Promise<void> {
    const key = this.keys.media(botId, id);
    await this.redis
      .multi()
      .hset(key, 'type', file.contentType, 'name', file.filename ?? '', 'data', file.data)
      .expire(key, ttlS)
      .exec();
  }

  async get(botId: string, id: string): Promise<MediaFile | null> {
    const key = this.keys.media(botId, id);
    const [type, name] = await this.redis.hmget(key, 'type', 'name');
    if (!type) return null;
    const data = await this.redis.hgetBuffer(key, 'data');
    if (!data) return null;
    return { contentType: type, filename: name || undefined, data };
  }
}
