/** Temporary media (what customers send), fetched with /cgi-bin/media/get for three days. */
import { randomBytes } from 'node:crypto';
import type { Platform } from './errcodes.ts';
import type { CustomerImage } from './types.ts';

const LIFETIME_MS = 3 * 24 * 3600_000;

export interface MediaEntry {
  platform: Platform;
  data: Buffer;
  contentType: string;
  filename: string;
  expiresAt: number;
}

function sniff(data: Buffer): { contentType: string; ext: string } {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { contentType: 'image/png', ext: 'png' };
  if (data[0] === 0xff && data[1] === 0xd8) return { contentType: 'image/jpeg', ext: 'jpg' };
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return { contentType: 'image/gif', ext: 'gif' };
  return { contentType: 'application/octet-stream', ext: 'bin' };
}

export class MediaStore {
  private readonly entries = new Map<string, MediaEntry>();

  add(platform: Platform, image: CustomerImage['image'], now: number): string {
    const data = Buffer.isBuffer(image) ? image : image.data;
    const guessed = sniff(data);
    const mediaId = randomBytes(33).toString('base64url');
    const given: { contentType?: string; filename?: string } = Buffer.isBuffer(image) ? {} : image;
    this.entries.set(mediaId, {
      platform,
      data: Buffer.from(data),
      contentType: given.contentType ?? guessed.contentType,
      filename: given.filename ?? `${mediaId.slice(0, 12)}.${guessed.ext}`,
      expiresAt: now + LIFETIME_MS,
    });
    return mediaId;
  }

  get(platform: Platform, mediaId: string, now: number): MediaEntry | undefined {
    const entry = this.entries.get(mediaId);
    return entry && entry.platform === platform && entry.expiresAt > now ? entry : undefined;
  }
}
