/** How 微信客服 ids become handoff ids, and how a reply's key becomes WeChat's msgid. */
import { createHash } from 'node:crypto';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const digest = (text: string): string => createHash('sha1').update(text).digest('base64url');

/**
 * The bot account of an open_kfid: `kf-<open_kfid>`, or for an id with other characters (or too
 * long) its cleaned start and a hash, so two accounts never share a bot id.
 */
export function botIdOf(openKfid: string): string {
  if (/^[A-Za-z0-9_-]{1,61}$/.test(openKfid)) return `kf-${openKfid}`;
  return `kf-${openKfid.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${digest(openKfid).slice(0, 12)}`;
}

/** Hashed customer ids start with this (external_userids start with "wm"/"wo"). */
const HASHED = 'h_';

/** The customer id of an external_userid: the id itself when it fits the handoff's ids, else a hash. */
export function customerIdOf(externalUserId: string): string {
  if (ID.test(externalUserId) && !externalUserId.startsWith(HASHED)) return externalUserId;
  return `${HASHED}${digest(externalUserId)}`;
}

/** True when the customer id is a hash (its external_userid is kept in Redis). */
export const isHashedCustomerId = (customerId: string): boolean => customerId.startsWith(HASHED);

/**
 * WeChat's msgid for one of our sends: at most 32 of [0-9a-zA-Z_-], the same for every retry of
 * the same text part (`key`), so WeChat can tell a retry from a new message.
 */
export function sendMsgId(botId: string, customerId: string, key: string): string {
  return digest(`${botId}\n${customerId}\n${key}`).slice(0, 27);
}
