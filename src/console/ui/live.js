/**
 * The one WebSocket of this tab (/api/live). It remembers the last event id per bot account, so a
 * reconnect asks the server for exactly what it missed (`resume` after the new `hello`).
 */

const MAX_BACKOFF_MS = 10_000;
const CLOSE_UNAUTHORIZED = 4401;

/** Stream ids are "ms-seq"; compared as numbers, not strings ("9-0" < "10-0"). */
export function newer(a, b) {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am > bm || (am === bm && (as || 0) > (bs || 0));
}

class Live {
  constructor() {
    this.ws = null;
    this.token = null;
    this.state = 'offline';
    this.last = {};
    this.connectedOnce = false;
    this.attempt = 0;
    this.timer = null;
    this.viewing = null;
    this.me = null;
    /** conv -> {agents, typing}, as the server last said. */
    this.presence = new Map();
    this.handlers = { event: new Set(), presence: new Set(), state: new Set(), resync: new Set(), unauthorized: new Set() };
  }

  on(type, cb) {
    this.handlers[type].add(cb);
    return () => this.handlers[type].delete(cb);
  }

  emit(type, payload) {
    for (const cb of this.handlers[type]) {
      try {
        cb(payload);
      } catch (err) {
        console.error(err);
      }
    }
  }

  start(token) {
    this.stop();
    this.token = token;
    this.connect();
  }

  stop() {
    this.token = null;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    // Closing a socket that is still connecting makes the browser log an error: wait for open.
    if (ws && ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close();
    else if (ws) ws.close();
    this.last = {};
    this.connectedOnce = false;
    this.attempt = 0;
    this.viewing = null;
    this.presence.clear();
    this.setState('offline');
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/api/live`);
    this.ws = ws;
    // The token goes in the first frame, never the URL: URLs end up in logs.
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.token }));
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.handle(msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.presence.clear();
      this.setState('offline');
      if (e.code === CLOSE_UNAUTHORIZED) {
        this.emit('unauthorized');
        return;
      }
      this.scheduleReconnect();
    };
  }

  /** The server answers again (connection.js): connect at once instead of waiting out the backoff. */
  reconnectNow() {
    if (!this.token || this.ws) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  scheduleReconnect() {
    if (!this.token) return;
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter, so a restarted server is not hit by every tab in the same millisecond.
    this.timer = setTimeout(() => this.connect(), base * (0.75 + Math.random() * 0.25));
  }

  handle(msg) {
    if (msg.type === 'hello') {
      this.me = msg.agent ?? null;
      const missed = { ...this.last };
      for (const [bot, id] of Object.entries(msg.positions ?? {})) if (!(bot in this.last)) this.last[bot] = id;
      if (this.connectedOnce && Object.keys(missed).length) this.raw({ type: 'resume', positions: missed });
      this.attempt = 0;
      this.setState('online');
      // Presence is per socket: tell the new one what we are looking at.
      if (this.viewing) this.send({ type: 'viewing', conv: this.viewing });
      // Also on the first hello: a list loaded before the socket was subscribed may miss what
      // happened in between, and the stream only delivers what comes after this hello.
      this.emit('resync');
      this.connectedOnce = true;
    } else if (msg.type === 'event' && msg.event) {
      const { botId, id } = msg.event;
      if (botId && id && (!this.last[botId] || newer(id, this.last[botId]))) this.last[botId] = id;
      // What the event changed, when the server sent it: `conversation` (null: gone) and a message
      // event's `message`. Without `conversation` (a catch-up) a listener reads for itself.
      const event = 'conversation' in msg ? { ...msg.event, conversation: msg.conversation, message: msg.message ?? null } : msg.event;
      this.emit('event', event);
    } else if (msg.type === 'presence' && msg.conv) {
      this.presence.set(msg.conv, { agents: msg.agents ?? [], typing: msg.typing ?? [] });
      this.emit('presence', msg);
    }
  }

  raw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Presence only counts after `hello` (the server ignores a socket that is not authenticated yet). */
  send(msg) {
    if (this.state === 'online') this.raw(msg);
  }

  setViewing(conv) {
    if (this.viewing === conv) return;
    this.viewing = conv;
    this.send({ type: 'viewing', conv });
  }

  setTyping(conv) {
    this.send({ type: 'typing', conv });
  }
}

export const live = new Live();
