/**
 * 微信客服's rules, without HTTP: the message log sync_msg pages through, each customer's session
 * (state 0-4, the 48 h / 5 messages window), sent msgids, welcome and msg codes, callback Tokens.
 *
 * Session states: 0 new, 1 with the bot (smart assistant), 2 queued for a servicer, 3 with a
 * servicer, 4 ended (or never started). A customer's message starts a session (4 → 0) and opens
 * a window of 48 h for 5 API messages; every further message resets the count. A session ends by
 * itself 48 h after the customer's last message. The API may send only in states 0 and 1.
 * kf/customer/batchget describes the customers seen (a message or a chat opening) in the last 48 h.
 */
import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock.ts';
import { seconds } from './clock.ts';
import { WECOM_ERR } from './errcodes.ts';
import type { MediaStore } from './media.ts';
import type { CustomerImage, ReceivedMessage } from './types.ts';

export const WINDOW_MS = 48 * 3600_000;
export const MAX_SENDS_PER_WINDOW = 5;
export const TEXT_MAX_BYTES = 2048;
const WELCOME_CODE_TTL_MS = 20_000;
const MSG_TOKEN_TTL_MS = 10 * 60_000;
export const SYNC_LIMIT_MAX = 1000;

/** Which states each state may move to with service_state/trans. */
const TRANSITIONS: Record<number, readonly number[]> = { 0: [1, 2, 3, 4], 1: [2, 3, 4], 2: [3, 4], 3: [3, 4], 4: [] };
const MEDIA_TYPES = new Set(['image', 'voice', 'video', 'file']);
const OTHER_TYPES = new Set(['text', 'msgmenu', 'link', 'miniprogram', 'location']);

export type KfMessage = { msgid: string } & Record<string, unknown>;
export type Outcome<T> = ({ ok: true } & T) | { ok: false; errcode: number; detail?: string };

interface Session {
  state: number;
  servicer?: string;
  lastCustomerAt?: number;
  sentInWindow: number;
  lastWelcomeAt?: number;
  /** States a msg_code was already handed out for in this session (only the first entry gets one). */
  codedStates: Set<number>;
}

/** What kf/customer/batchget tells about a customer (per corp, not per open_kfid). */
interface Profile {
  nickname: string;
  /** The customer's last message or chat opening: batchget knows customers of the last 48 h only. */
  lastSeenAt: number;
  scene?: string;
  sceneParam?: string;
}

export interface CustomerInfo {
  external_userid: string;
  nickname: string;
  avatar: string;
  gender: number;
  unionid: string;
  enter_session_context?: { scene: string; scene_param: string };
}

/** kf/customer/batchget takes 1-100 external_userids per call. */
export const BATCHGET_MAX = 100;

interface EventCode {
  kind: 'welcome' | 'msg';
  openKfid: string;
  userId: string;
  expiresAt?: number;
  forState?: number;
}

export interface SendRequest {
  touser: string;
  open_kfid: string;
  msgid?: string;
  msgtype: string;
  [field: string]: unknown;
}

export interface OnEventRequest {
  code: string;
  msgid?: string;
  msgtype: string;
  [field: string]: unknown;
}

const newId = (bytes = 15): string => randomBytes(bytes).toString('base64url');
const fail = (errcode: number, detail?: string): { ok: false; errcode: number; detail?: string } => ({ ok: false, errcode, detail });

export class WecomWorld {
  private readonly log: KfMessage[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly sentIds = new Map<string, Set<string>>();
  private readonly msgTokens = new Map<string, number>();
  private readonly codes = new Map<string, EventCode>();
  private readonly cursorPos = new Map<string, number>();
  private readonly posCursor = new Map<number, string>();
  private untokenedSyncs: number[] = [];
  private readonly profiles = new Map<string, Profile>();
  readonly received: ReceivedMessage[] = [];

  constructor(
    readonly openKfids: ReadonlySet<string>,
    private readonly clock: SimClock,
    private readonly media: MediaStore,
    private readonly syncPerMinute: number,
  ) {}

  /** The session, ended lazily once 48 h have passed since the customer's last message. */
  private session(openKfid: string, userId: string): Session {
    const key = `${openKfid}\u0000${userId}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = { state: 4, sentInWindow: 0, codedStates: new Set() };
      this.sessions.set(key, s);
    }
    if (s.state !== 4 && s.lastCustomerAt !== undefined && this.clock.now() - s.lastCustomerAt > WINDOW_MS) {
      s.state = 4;
      s.servicer = undefined;
    }
    return s;
  }

  private requireKfid(openKfid: string): void {
    if (!this.openKfids.has(openKfid)) throw new RangeError(`unknown open_kfid ${openKfid}`);
  }

  /** Notes the customer's visit; a nickname given replaces the one kept (none keeps it). */
  private visit(userId: string, nickname: string | undefined, now: number): Profile {
    let p = this.profiles.get(userId);
    if (!p) {
      p = { nickname: '', lastSeenAt: now };
      this.profiles.set(userId, p);
    }
    p.lastSeenAt = now;
    if (nickname !== undefined) p.nickname = nickname;
    return p;
  }

  customerMessage(openKfid: string, userId: string, content: string | CustomerImage, nickname?: string): KfMessage {
    this.requireKfid(openKfid);
    const now = this.clock.now();
    this.visit(userId, nickname, now);
    const s = this.session(openKfid, userId);
    if (s.state === 4) {
      s.state = 0;
      s.servicer = undefined;
      s.codedStates = new Set();
    }
    s.lastCustomerAt = now;
    s.sentInWindow = 0;
    const body =
      typeof content === 'string'
        ? { msgtype: 'text', text: { content } }
        : { msgtype: 'image', image: { media_id: this.media.add('wecom', content.image, now) } };
    return this.append({ msgid: newId(), open_kfid: openKfid, external_userid: userId, send_time: seconds(now), origin: 3, ...body });
  }

  enterSession(openKfid: string, userId: string, scene = '', sceneParam = '', nickname?: string): { message: KfMessage; welcomeCode?: string } {
    this.requireKfid(openKfid);
    const now = this.clock.now();
    Object.assign(this.visit(userId, nickname, now), { scene, sceneParam });
    const s = this.session(openKfid, userId);
    const recentlyActive = s.lastCustomerAt !== undefined && now - s.lastCustomerAt <= WINDOW_MS;
    const recentlyWelcomed = s.lastWelcomeAt !== undefined && now - s.lastWelcomeAt <= WINDOW_MS;
    let welcomeCode: string | undefined;
    if (!recentlyActive && !recentlyWelcomed) {
      welcomeCode = newId(24);
      this.codes.set(welcomeCode, { kind: 'welcome', openKfid, userId, expiresAt: now + WELCOME_CODE_TTL_MS });
    }
    const event = { event_type: 'enter_session', open_kfid: openKfid, external_userid: userId, scene, scene_param: sceneParam, welcome_code: welcomeCode };
    return { message: this.append({ msgid: newId(), send_time: seconds(now), origin: 4, msgtype: 'event', event }), welcomeCode };
  }

  servicerMessage(openKfid: string, userId: string, servicerUserid: string, text: string): KfMessage {
    this.requireKfid(openKfid);
    const base = { msgid: newId(), open_kfid: openKfid, external_userid: userId, send_time: seconds(this.clock.now()), origin: 5 };
    return this.append({ ...base, servicer_userid: servicerUserid, msgtype: 'text', text: { content: text } });
  }

  private append(message: KfMessage): KfMessage {
    this.log.push(message);
    return message;
  }

  /** A callback's Token: sync_msg accepts it for 10 minutes. */
  issueMsgToken(): string {
    const token = `ENC${newId(30)}`;
    this.msgTokens.set(token, this.clock.now());
    return token;
  }

  private cursorFor(pos: number): string {
    let cursor = this.posCursor.get(pos);
    if (!cursor) {
      cursor = newId(12);
      this.posCursor.set(pos, cursor);
      this.cursorPos.set(cursor, pos);
    }
    return cursor;
  }

  sync(req: { cursor?: string; token?: string; limit?: number; open_kfid?: string }): Outcome<{ next_cursor: string; has_more: number; msg_list: KfMessage[] }> {
    const now = this.clock.now();
    const limit = req.limit || SYNC_LIMIT_MAX;
    if (limit < 1 || limit > SYNC_LIMIT_MAX) return fail(WECOM_ERR.INVALID_PARAMETER, `limit must be 1-${SYNC_LIMIT_MAX}`);
    if (req.open_kfid && !this.openKfids.has(req.open_kfid)) return fail(WECOM_ERR.INVALID_OPEN_KFID);
    let start = 0;
    if (req.cursor) {
      const pos = this.cursorPos.get(req.cursor);
      if (pos === undefined) return fail(WECOM_ERR.INVALID_PARAMETER, 'cursor');
      start = pos;
    }
    if (req.token) {
      const issued = this.msgTokens.get(req.token);
      if (issued === undefined || now - issued > MSG_TOKEN_TTL_MS) return fail(WECOM_ERR.INVALID_MSG_TOKEN);
    } else {
      // Without a callback Token the API is strictly rate limited.
      this.untokenedSyncs = this.untokenedSyncs.filter((t) => now - t < 60_000);
      if (this.untokenedSyncs.length >= this.syncPerMinute) return fail(WECOM_ERR.FREQ_LIMIT, 'sync_msg without token');
      this.untokenedSyncs.push(now);
    }
    const matches = (m: KfMessage): boolean =>
      !req.open_kfid || (m.open_kfid ?? (m.event as { open_kfid?: string } | undefined)?.open_kfid) === req.open_kfid;
    const list: KfMessage[] = [];
    let pos = start;
    while (pos < this.log.length && list.length < limit) {
      const m = this.log[pos++] as KfMessage;
      if (matches(m)) list.push(structuredClone(m));
    }
    const hasMore = this.log.slice(pos).some(matches);
    return { ok: true, next_cursor: this.cursorFor(pos), has_more: hasMore ? 1 : 0, msg_list: list };
  }

  /** Validates a message body the API would send (both send_msg and send_msg_on_event). */
  private checkContent(req: SendRequest, allowed: ReadonlySet<string>): { ok: true; text?: string } | { ok: false; errcode: number; detail?: string } {
    if (!allowed.has(req.msgtype)) return fail(WECOM_ERR.INVALID_MSGTYPE);
    const part = req[req.msgtype] as Record<string, unknown> | undefined;
    if (!part || typeof part !== 'object') return fail(WECOM_ERR.INVALID_PARAMETER, `${req.msgtype} is missing`);
    if (req.msgtype === 'text') {
      const content = part.content;
      if (typeof content !== 'string' || content.length === 0) return fail(WECOM_ERR.EMPTY_CONTENT);
      if (Buffer.byteLength(content, 'utf8') > TEXT_MAX_BYTES) return fail(WECOM_ERR.CONTENT_TOO_LONG, `text over ${TEXT_MAX_BYTES} bytes`);
      return { ok: true, text: content };
    }
    if (MEDIA_TYPES.has(req.msgtype)) {
      const id = part.media_id;
      if (typeof id !== 'string' || !this.media.get('wecom', id, this.clock.now())) return fail(WECOM_ERR.INVALID_MEDIA_ID);
    }
    if (req.msgtype === 'msgmenu') return { ok: true, text: typeof part.head_content === 'string' ? part.head_content : undefined };
    return { ok: true };
  }

  private checkMsgid(req: SendRequest): Outcome<{ msgid: string }> {
    if (req.msgid === undefined || req.msgid === '') return { ok: true, msgid: newId(16) };
    if (!/^[0-9a-zA-Z_-]{1,32}$/.test(req.msgid)) return fail(WECOM_ERR.INVALID_PARAMETER, 'msgid');
    if (this.sentIds.get(req.open_kfid)?.has(req.msgid)) return fail(WECOM_ERR.DUPLICATE_MSGID);
    return { ok: true, msgid: req.msgid };
  }

  private deliver(req: SendRequest, msgid: string, via: ReceivedMessage['via'], text: string | undefined): void {
    let ids = this.sentIds.get(req.open_kfid);
    if (!ids) this.sentIds.set(req.open_kfid, (ids = new Set()));
    ids.add(msgid);
    this.received.push({ channel: 'wecom-kf', via, msgid, to: req.touser, openKfid: req.open_kfid, msgtype: req.msgtype, text, body: { ...req }, at: this.clock.now() });
  }

  send(req: SendRequest): Outcome<{ msgid: string }> {
    if (!this.openKfids.has(req.open_kfid)) return fail(WECOM_ERR.INVALID_OPEN_KFID);
    const id = this.checkMsgid(req);
    if (!id.ok) return id;
    const content = this.checkContent(req, new Set([...MEDIA_TYPES, ...OTHER_TYPES]));
    if (!content.ok) return content;
    const s = this.session(req.open_kfid, req.touser);
    const now = this.clock.now();
    if (s.lastCustomerAt === undefined || now - s.lastCustomerAt > WINDOW_MS) return fail(WECOM_ERR.SEND_COUNT_LIMIT, 'no customer message within 48 h');
    if (s.sentInWindow >= MAX_SENDS_PER_WINDOW) return fail(WECOM_ERR.SEND_COUNT_LIMIT);
    if (s.state !== 0 && s.state !== 1) return fail(WECOM_ERR.SESSION_STATE_INVALID);
    s.sentInWindow++;
    this.deliver(req, id.msgid, 'send_msg', content.text);
    return { ok: true, msgid: id.msgid };
  }

  sendOnEvent(req: OnEventRequest): Outcome<{ msgid: string }> {
    const code = this.codes.get(req.code);
    const now = this.clock.now();
    if (!code) return fail(WECOM_ERR.INVALID_CODE);
    const s = this.session(code.openKfid, code.userId);
    if ((code.expiresAt !== undefined && now > code.expiresAt) || (code.forState !== undefined && s.state !== code.forState)) {
      this.codes.delete(req.code);
      return fail(WECOM_ERR.INVALID_CODE, 'expired');
    }
    const full: SendRequest = { ...req, touser: code.userId, open_kfid: code.openKfid };
    const id = this.checkMsgid(full);
    if (!id.ok) return id;
    const content = this.checkContent(full, new Set(['text', 'msgmenu']));
    if (!content.ok) return content;
    this.codes.delete(req.code);
    if (code.kind === 'welcome') s.lastWelcomeAt = now;
    const { code: _code, ...body } = full;
    this.deliver(body as SendRequest, id.msgid, 'send_msg_on_event', content.text);
    return { ok: true, msgid: id.msgid };
  }

  /** kf/customer/batchget: customers seen within 48 h are described, the others listed as invalid. */
  batchget(userIds: readonly string[], withContext: boolean): Outcome<{ customer_list: CustomerInfo[]; invalid_external_userid: string[] }> {
    if (userIds.length < 1 || userIds.length > BATCHGET_MAX) return fail(WECOM_ERR.INVALID_PARAMETER, `external_userid_list takes 1-${BATCHGET_MAX} ids`);
    const now = this.clock.now();
    const list: CustomerInfo[] = [];
    const invalid: string[] = [];
    for (const id of new Set(userIds)) {
      const p = this.profiles.get(id);
      if (!p || now - p.lastSeenAt > WINDOW_MS) {
        invalid.push(id);
        continue;
      }
      const info: CustomerInfo = { external_userid: id, nickname: p.nickname, avatar: '', gender: 0, unionid: '' };
      if (withContext && p.scene !== undefined) info.enter_session_context = { scene: p.scene, scene_param: p.sceneParam ?? '' };
      list.push(info);
    }
    return { ok: true, customer_list: list, invalid_external_userid: invalid };
  }

  serviceState(openKfid: string, userId: string): { service_state: number; servicer_userid?: string } {
    const s = this.session(openKfid, userId);
    return { service_state: s.state, ...(s.state === 3 ? { servicer_userid: s.servicer } : {}) };
  }

  trans(req: { open_kfid: string; external_userid: string; service_state: number; servicer_userid?: string }): Outcome<{ msg_code?: string }> {
    if (!this.openKfids.has(req.open_kfid)) return fail(WECOM_ERR.INVALID_OPEN_KFID);
    const target = req.service_state;
    if (!Number.isInteger(target) || target < 0 || target > 4) return fail(WECOM_ERR.INVALID_PARAMETER, 'service_state');
    if (target === 3 && !req.servicer_userid) return fail(WECOM_ERR.INVALID_PARAMETER, 'servicer_userid is required for state 3');
    const s = this.session(req.open_kfid, req.external_userid);
    const allowed = TRANSITIONS[s.state] ?? [];
    if (!allowed.includes(target) || (target === 3 && s.state === 3 && s.servicer === req.servicer_userid)) {
      return fail(WECOM_ERR.STATE_TRANSITION, `${s.state} -> ${target}`);
    }
    s.state = target;
    s.servicer = target === 3 ? req.servicer_userid : undefined;
    if ((target === 2 || target === 3 || target === 4) && !s.codedStates.has(target)) {
      s.codedStates.add(target);
      const msgCode = newId(24);
      this.codes.set(msgCode, { kind: 'msg', openKfid: req.open_kfid, userId: req.external_userid, forState: target });
      return { ok: true, msg_code: msgCode };
    }
    return { ok: true };
  }
}
