/**
 * 微信模拟器 (#/simulator, only with the demo's /api/demo/* routes): type as a simulated WeChat
 * customer. Messages go through the real bot on wechaty-puppet-mock; the phone shows the chat as
 * the customer's WeChat would, so agents' replies from the console arrive as the bot's account.
 * The chat is polled (it is the customer's phone, not a console conversation: no live events).
 */
import { html, useCallback, useEffect, useLayoutEffect, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, get, post } from '../api.js';
import { clock, colorSlot, dayLabel, initial } from '../format.js';
import { useNow } from '../store.js';
import { toast, toastError } from '../toast.js';
import { Icon } from './icons.js';

export const BOT_NAME = '闪录客服';
const CHAT_POLL_MS = 700;
const LIST_POLL_MS = 3000;
const HIDDEN_POLL_MS = 3000;
const PREVIEW_LIMIT = 30;
const MAX_NAME = 32;
const MAX_TEXT = 2000;
/** WeChat shows a time above a message when the chat was quiet this long. */
const TIME_GAP_MS = 5 * 60_000;
const QUICK_TEXTS = ['你好', '录屏没有声音怎么办', '怎么去水印', '转人工', '1', '2'];
const QUICK_NAMES = ['小明', '陈晨', '刘洋', '周婷', '吴昊'];
const STORE_KEY = 'kefu.sim.customer';
const LOCAL_KEY = 'kefu.sim.local';

const chatPath = (name) => `/api/demo/messages?customer=${encodeURIComponent(name)}`;
const length = (s) => [...s].length;

function readStored(key, fallback) {
  try {
    const v = JSON.parse(sessionStorage.getItem(key) ?? 'null');
    return v ?? fallback;
  } catch {
    return fallback;
  }
}
function store(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the page works, it just forgets on reload.
  }
}

/** The server's rules for a display name (trimmed, 1..32, no control characters); '' when fine. */
function nameProblem(name) {
  if (!name) return '请输入客户昵称';
  if (name.length > MAX_NAME) return `昵称最多 ${MAX_NAME} 个字符`;
  if (/\p{Cc}/u.test(name)) return '昵称不能包含换行等控制字符';
  return '';
}

/**
 * Runs `fn(stopped)` now, then `ms` after each run settles (never two at once, slower while the tab
 * is hidden); the returned `kick()` runs it again at once. Restarts when `deps` change.
 */
function usePoller(fn, ms, deps) {
  const kickRef = useRef(() => undefined);
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let timer;
    const isStopped = () => stopped;
    const run = async () => {
      clearTimeout(timer);
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        await fn(isStopped);
      } catch {
        // The next round retries.
      }
      running = false;
      if (stopped) return;
      if (again) {
        again = false;
        run();
        return;
      }
      timer = setTimeout(run, document.hidden ? Math.max(ms, HIDDEN_POLL_MS) : ms);
    };
    kickRef.current = run;
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      kickRef.current = () => undefined;
    };
  }, deps);
  return useCallback(() => kickRef.current(), []);
}

/** Same lines? The chat only grows (and drops its oldest lines past the server's cap). */
function sameLines(a, b) {
  if (a.length !== b.length) return false;
  const x = a.at(-1);
  const y = b.at(-1);
  return !x || (x.at === y.at && x.text === y.text && x.from === y.from);
}

/** The selected customer's phone, polled. */
function useChat(name) {
  const [state, setState] = useState({ name, lines: [], loaded: false, failed: false });
  const kick = usePoller(
    async (stopped) => {
      if (!name) return;
      try {
        const res = await get(chatPath(name));
        if (stopped()) return;
        const lines = Array.isArray(res?.items) ? res.items : [];
        setState((s) =>
          s.name === name && s.loaded && !s.failed && sameLines(s.lines, lines) ? s : { name, lines, loaded: true, failed: false },
        );
      } catch (err) {
        if (stopped()) return;
        setState((s) => (s.name === name && s.failed ? s : { ...(s.name === name ? s : { lines: [], loaded: false }), name, failed: true, status: err?.status }));
      }
    },
    CHAT_POLL_MS,
    [name],
  );
  const current = state.name === name ? state : { name, lines: [], loaded: false, failed: false };
  return { ...current, kick };
}

/** The simulated customers (server order: first message first), each with its last line. */
function useCustomers(selected) {
  const [state, setState] = useState({ names: [], previews: new Map(), loaded: false });
  const kick = usePoller(
    async (stopped) => {
      const res = await get('/api/demo/customers');
      if (stopped()) return;
      const names = (res?.items ?? []).map((c) => c.name).filter((n) => typeof n === 'string');
      setState((s) => ({ ...s, names, loaded: true }));
      // The other customers' last lines, for the list (the selected one comes from its own poll).
      const others = names.filter((n) => n !== selected).slice(-PREVIEW_LIMIT);
      const chats = await Promise.all(others.map((n) => get(chatPath(n)).then((r) => [n, r?.items ?? []], () => null)));
      if (stopped()) return;
      setState((s) => {
        const previews = new Map(s.previews);
        for (const entry of chats) if (entry) previews.set(entry[0], summary(entry[1]));
        return { ...s, previews };
      });
    },
    LIST_POLL_MS,
    [selected],
  );
  return { ...state, kick };
}

const summary = (lines) => ({ last: lines.at(-1) ?? null, bot: lines.filter((l) => l.from === 'bot').length });

/** Keeps the newest line in view unless the user scrolled up to read. */
function useStickToBottom(dep) {
  const ref = useRef(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [dep]);
  // The input growing a line (or the window) shrinks the view: stay at the bottom then too.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const onScroll = () => {
    const el = ref.current;
    if (el) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  };
  return { ref, onScroll, reset: () => (atBottom.current = true) };
}

function timeLabel(iso, now) {
  const day = dayLabel(iso, now);
  return day === '今天' ? clock(iso) : `${day} ${clock(iso)}`;
}

function CustomerAvatar({ name, size = 'md' }) {
  return html`<span class=${`sim-avatar sim-avatar-${size} avatar-c${colorSlot(name)}`} aria-hidden="true">${initial(name)}</span>`;
}

function BotAvatar({ size = 'md' }) {
  return html`<span class=${`sim-avatar sim-avatar-${size} sim-avatar-bot`} aria-hidden="true" title=${BOT_NAME}><${Icon} name="bot" size=${size === 'sm' ? 18 : 20} /></span>`;
}

function previewText(line) {
  if (!line) return '还没有聊天记录';
  const text = line.text.replace(/\s+/g, ' ').trim();
  return line.from === 'bot' ? `${BOT_NAME}：${text}` : text;
}

function CustomerList({ names, local, selected, previews, unread, now, onSelect, onAdd }) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState('');
  const all = [...names, ...local.filter((n) => !names.includes(n))];
  const picks = QUICK_NAMES.filter((n) => !all.includes(n)).slice(0, 4);

  function add(raw) {
    const name = String(raw ?? '').trim();
    const why = nameProblem(name);
    if (why) {
      setProblem(why);
      return;
    }
    setProblem('');
    setDraft('');
    onAdd(name);
  }

  return html`<aside class="sim-side" aria-label="模拟客户">
    <header class="col-head">
      <h1>模拟客户</h1>
      <span class="count" title="模拟客户数">${all.length}</span>
    </header>
    <form class="sim-new" novalidate onSubmit=${(e) => {
      e.preventDefault();
      add(draft);
    }}>
      <div class="sim-new-row">
        <input class="input" data-testid="sim-new-name" placeholder="客户昵称，如 小明" maxlength=${MAX_NAME} aria-label="新客户昵称"
          value=${draft} onInput=${(e) => {
            setDraft(e.currentTarget.value);
            setProblem('');
          }} />
        <button type="submit" class="btn btn-primary" data-testid="sim-new-add"><${Icon} name="plus" size=${15} />新建客户</button>
      </div>
      ${problem ? html`<div class="sim-new-error" role="alert" data-testid="sim-new-error">${problem}</div>` : null}
      ${picks.length
        ? html`<div class="sim-picks"><span class="muted small">快速选择</span>
            ${picks.map((n) => html`<button type="button" key=${n} class="sim-pick" data-testid="sim-quick-name" onClick=${() => add(n)}>${n}</button>`)}</div>`
        : null}
    </form>
    <div class="sim-cust-list" data-testid="sim-customers" role="list">
      ${all.length === 0 ? html`<div class="qsec-empty">还没有模拟客户，在上面输入昵称新建一个</div>` : null}
      ${all.map((n) => {
        const p = n === selected ? null : previews.get(n);
        const last = p?.last ?? null;
        const count = n === selected ? 0 : unread(n);
        const isNew = !names.includes(n);
        return html`<button type="button" role="listitem" key=${n} class=${`sim-cust${n === selected ? ' is-selected' : ''}`}
            data-testid="sim-customer" data-name=${n} aria-current=${n === selected ? 'true' : undefined} onClick=${() => onSelect(n)}>
          <span class="sim-cust-avatar"><${CustomerAvatar} name=${n} />${count ? html`<span class="rail-badge sim-unread" data-testid="sim-unread">${count > 99 ? '99+' : count}</span>` : null}</span>
          <span class="sim-cust-body">
            <span class="sim-cust-top"><span class="sim-cust-name"><bdi>${n}</bdi></span>
              ${last ? html`<span class="sim-cust-time">${timeLabel(last.at, now)}</span>` : null}</span>
            <span class="sim-cust-sub">${n === selected ? html`<span class="sim-me-tag">当前身份</span>` : null}${isNew ? '新客户 · 还没发过消息' : n === selected ? '正在聊天' : previewText(last)}</span>
          </span>
        </button>`;
      })}
    </div>
  </aside>`;
}

function Line({ line, name, onRetry }) {
  const mine = line.from === 'customer';
  const state = line.pending ? (line.failed ? 'failed' : 'sending') : undefined;
  return html`<div class=${`sim-line ${mine ? 'sim-line-me' : 'sim-line-bot'}`} data-testid="sim-line" data-from=${line.from} data-state=${state}>
    ${mine ? html`<${CustomerAvatar} name=${name} />` : html`<${BotAvatar} />`}
    <div class="sim-line-col">
      ${mine ? null : html`<div class="sim-line-name">${BOT_NAME}</div>`}
      <div class="sim-bubble-row">
        <div class="sim-bubble"><div class="sim-text" data-testid="sim-text">${line.text}</div></div>
        ${state === 'sending' ? html`<span class="sim-sending" aria-label="发送中" title="发送中"></span>` : null}
        ${state === 'failed'
          ? html`<button type="button" class="sim-failed" data-testid="sim-retry" title="发送失败，点击重发" aria-label="发送失败，点击重发" onClick=${() => onRetry(line)}>!</button>`
          : html`<span class="sim-line-time">${line.at ? clock(line.at) : ''}</span>`}
      </div>
    </div>
  </div>`;
}

function Lines({ lines, name, now, onRetry }) {
  const out = [];
  let prev = 0;
  lines.forEach((line, i) => {
    const t = Date.parse(line.at);
    if (!line.pending && Number.isFinite(t) && (i === 0 || t - prev >= TIME_GAP_MS)) {
      out.push(html`<div class="sim-time" key=${`t-${i}`}>${timeLabel(line.at, now)}</div>`);
    }
    if (!line.pending && Number.isFinite(t)) prev = t;
    out.push(html`<${Line} key=${line.key} line=${line} name=${name} onRetry=${onRetry} />`);
  });
  return out;
}

function Phone({ name, chat, lines, onSend, onRetry, now, focusKey }) {
  const [text, setText] = useState('');
  const ref = useRef(null);
  const scroller = useStickToBottom(`${name}:${lines.length}:${lines.at(-1)?.key}`);

  useEffect(() => {
    setText('');
    scroller.reset();
    if (name) ref.current?.focus();
  }, [name]);
  useEffect(() => {
    if (focusKey && name) ref.current?.focus();
  }, [focusKey]);

  function send(value) {
    if (!name) return;
    const t = value.trim();
    if (!t) return;
    if (length(t) > MAX_TEXT) {
      toast(`消息太长了：最多 ${MAX_TEXT} 字，当前 ${length(t)} 字`, { kind: 'error' });
      return;
    }
    scroller.reset();
    onSend(t);
  }

  function onKeyDown(e) {
    // An IME's Enter confirms a candidate (pinyin input): never a send.
    if (e.isComposing || e.keyCode === 229) return;
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      if (text.trim()) {
        send(text);
        setText('');
      }
    }
  }

  const rows = Math.min(4, Math.max(1, text.split('\n').length));
  return html`<div class="sim-phone" data-testid="sim-chat" data-customer=${name || ''}>
    <div class="sim-status" aria-hidden="true"><span>${clock(new Date(now).toISOString())}</span><span class="sim-status-right"><span class="sim-signal"><i></i><i></i><i></i><i></i></span><span class="sim-battery"></span></span></div>
    <header class="sim-head">
      <span class="sim-head-side" aria-hidden="true"><${Icon} name="chevronLeft" size=${20} /></span>
      <span class="sim-head-title">${BOT_NAME}</span>
      <span class="sim-head-side sim-head-more" aria-hidden="true"><${Icon} name="more" size=${20} /></span>
    </header>
    ${chat.failed ? html`<div class="sim-offline" role="status">${chat.status === 404 ? '模拟器已不可用（演示可能已停止）' : '连接中断，正在重试…'}</div>` : null}
    <div class="sim-scroll" ref=${scroller.ref} onScroll=${scroller.onScroll} aria-live="polite">
      ${!name
        ? html`<div class="sim-empty"><${Icon} name="phone" size=${36} /><p>从左侧选择一位客户，或新建一个客户</p><p class="small">然后以客户的身份给「${BOT_NAME}」发消息</p></div>`
        : !chat.loaded && !chat.failed && lines.length === 0
          ? html`<div class="sim-empty"><div class="spinner" aria-label="加载中"></div></div>`
          : lines.length === 0
            ? html`<div class="sim-empty"><p>还没有消息</p><p class="small">发一句试试，例如「你好」，或点下方的快捷短语</p></div>`
            : html`<${Lines} lines=${lines} name=${name} now=${now} onRetry=${onRetry} />`}
    </div>
    <footer class="sim-foot">
      <div class="sim-input-row">
        <textarea ref=${ref} class="sim-input" data-testid="sim-input" rows=${rows} value=${text} disabled=${!name}
          aria-label=${name ? `以 ${name} 的身份发消息` : '先选择客户'}
          placeholder=${name ? '发消息（Enter 发送，Shift+Enter 换行）' : '先在左侧选择或新建客户'}
          onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKeyDown}></textarea>
        <button type="button" class="sim-send" data-testid="sim-send" disabled=${!name || !text.trim()}
          onClick=${() => {
            send(text);
            setText('');
            ref.current?.focus();
          }}>发送</button>
      </div>
      <div class="sim-chips" aria-label="快捷短语">
        ${QUICK_TEXTS.map((t) => html`<button type="button" key=${t} class="sim-chip" data-testid="sim-chip" disabled=${!name} title=${`发送「${t}」`}
            onClick=${() => send(t)}>${t}</button>`)}
      </div>
    </footer>
  </div>`;
}

function Tips() {
  return html`<aside class="sim-tips card" aria-label="演示步骤">
    <h2 class="card-title-lg"><${Icon} name="book" size=${17} />试试看</h2>
    <ol class="sim-steps">
      <li><strong>问个问题</strong>，如「录屏没有声音怎么办」：机器人按知识库回答，末尾附「您可能还想问」编号菜单。</li>
      <li><strong>回复数字</strong>「1」「2」：反馈答案有没有帮上忙，或查看推荐的问题。</li>
      <li><strong>发「转人工」</strong>：会话进入人工排队，机器人会告诉你排第几位。</li>
      <li><strong>扮演客服</strong>：在另一个标签页打开工作台，接入这个会话并回复，回复会以「${BOT_NAME}」的身份出现在左边的手机里。</li>
    </ol>
    <a class="btn btn-block sim-open" href="#/queue" target="_blank" rel="noopener" data-testid="sim-open-console">
      <${Icon} name="inbox" size=${16} />在新标签页打开工作台</a>
  </aside>`;
}

let seq = 0;

export function SimulatorPage() {
  const [selected, setSelected] = useState(() => {
    const s = readStored(STORE_KEY, '');
    return typeof s === 'string' && !nameProblem(s) ? s : '';
  });
  const [local, setLocal] = useState(() => {
    const l = readStored(LOCAL_KEY, []);
    return Array.isArray(l) ? l.filter((n) => typeof n === 'string' && !nameProblem(n)) : [];
  });
  const [pending, setPending] = useState([]);
  const [focusKey, setFocusKey] = useState(0);
  const now = useNow(15_000);
  const chat = useChat(selected);
  const customers = useCustomers(selected);
  // Bot lines each customer has seen (the rest of their bot lines are unread).
  const seen = useRef(new Map());

  useEffect(() => store(STORE_KEY, selected), [selected]);
  useEffect(() => store(LOCAL_KEY, local), [local]);
  // A local name the server now knows is no longer "new".
  useEffect(() => {
    if (local.some((n) => customers.names.includes(n))) setLocal((l) => l.filter((n) => !customers.names.includes(n)));
  }, [customers.names]);
  // Keep the stored selection in the list even before its first message.
  useEffect(() => {
    if (selected && customers.loaded && !customers.names.includes(selected) && !local.includes(selected)) setLocal((l) => [...l, selected]);
  }, [selected, customers.loaded]);

  if (chat.loaded) seen.current.set(selected, chat.lines.filter((l) => l.from === 'bot').length);
  for (const [n, p] of customers.previews) if (!seen.current.has(n)) seen.current.set(n, p.bot);
  const unread = (n) => Math.max(0, (customers.previews.get(n)?.bot ?? 0) - (seen.current.get(n) ?? 0));

  // A sent line shows at once; it is replaced by the server's copy once the chat has it.
  const countOf = (text) => chat.lines.filter((l) => l.from === 'customer' && l.text === text).length;
  const mine = pending.filter((p) => p.name === selected);
  const confirmed = (p) => {
    if (p.failed || !chat.loaded) return false;
    const rank = mine.filter((q) => !q.failed && q.text === p.text && q.before === p.before && q.id <= p.id).length;
    return countOf(p.text) >= p.before + rank;
  };
  const waitingLines = mine.filter((p) => !confirmed(p));
  useEffect(() => {
    if (mine.some(confirmed)) setPending((list) => list.filter((p) => p.name !== selected || !confirmed(p)));
  });

  const lines = [
    ...chat.lines.map((l, i) => ({ ...l, key: `s-${i}` })),
    ...waitingLines.map((p) => ({ from: 'customer', text: p.text, at: p.at, pending: true, failed: p.failed, key: `p-${p.id}`, id: p.id })),
  ];

  async function send(text) {
    const name = selected;
    const id = ++seq;
    setPending((list) => [...list, { id, name, text, before: countOf(text), at: new Date().toISOString(), failed: false }]);
    try {
      await post('/api/demo/messages', { customer: name, text });
      chat.kick();
      if (!customers.names.includes(name)) customers.kick();
    } catch (err) {
      setPending((list) => list.map((p) => (p.id === id ? { ...p, failed: true } : p)));
      if (!(err instanceof ApiError && err.status === 401)) {
        toastError(err, '发送失败', { 409: '模拟客户数量已达上限，无法再新建客户', 404: '模拟器已不可用（演示可能已停止）' });
      }
    }
  }

  function retry(line) {
    setPending((list) => list.filter((p) => p.id !== line.id));
    send(line.text);
  }

  function select(name) {
    setSelected(name);
    setFocusKey((k) => k + 1);
  }

  function add(name) {
    if (!customers.names.includes(name) && !local.includes(name)) setLocal((l) => [...l, name]);
    select(name);
  }

  return html`<main class="sim" data-testid="sim-page">
    <div class="sim-intro" role="note">
      <${Icon} name="phone" size=${16} />
      <span>这是模拟的微信聊天：你以客户的身份发消息，消息会经过真实的机器人；客服在工作台的回复也会出现在这里。
        <span class="muted">提示：在另一个标签页或窗口打开工作台，就可以同时扮演客服。</span></span>
    </div>
    <div class="sim-body">
      <${CustomerList} names=${customers.names} local=${local} selected=${selected} previews=${customers.previews}
        unread=${unread} now=${now} onSelect=${select} onAdd=${add} />
      <section class="sim-stage" aria-label="模拟手机">
        <div class="sim-phone-wrap">
          <div class="sim-caption">${selected
            ? html`<${CustomerAvatar} name=${selected} size="xs" /><span>你正在以 <strong>${selected}</strong> 的身份聊天</span>`
            : html`<span class="muted">未选择客户</span>`}</div>
          <${Phone} name=${selected} chat=${chat} lines=${lines} onSend=${send} onRetry=${retry} now=${now} focusKey=${focusKey} />
        </div>
        <${Tips} />
      </section>
    </div>
  </main>`;
}

/** Shown on #/simulator when the console runs without the demo. */
export function SimulatorUnavailable() {
  return html`<main class="page"><div class="conv-empty" data-testid="sim-unavailable"><${Icon} name="phone" size=${40} /><h2>微信模拟器不可用</h2>
    <p class="muted">模拟器只在演示模式（<code>npm run demo</code>）下提供。</p><a class="btn" href="#/queue">返回工作台</a></div></main>`;
}
