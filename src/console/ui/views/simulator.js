/**
 * 微信模拟器 (#/simulator, only with the demo's /api/demo/* routes): type as a simulated WeChat
 * customer. Messages go through the real bot on wechaty-puppet-mock; the phone shows the chat as
 * the customer's WeChat would, so agents' replies from the console arrive as the bot's account.
 * The chat is polled (it is the customer's phone, not a console conversation: no live events).
 */
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, post } from '../api.js';
import { Icon } from '../components/icons.js';
import { TICK_TIMES_MS } from '../constants.js';
import { useNow } from '../store.js';
import { toastError } from '../toast.js';
import { BOT_NAME, CustomerAvatar, CustomerList } from './simulator/customers.js';
import { LOCAL_KEY, nameProblem, readStored, store, STORE_KEY, useChat, useCustomers } from './simulator/data.js';
import { Phone } from './simulator/phone.js';

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
  const now = useNow(TICK_TIMES_MS);
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

  return html`<main class=${selected ? 'sim has-selected' : 'sim'} data-testid="sim-page">
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
            ? html`<button type="button" class="sim-back" data-testid="sim-back" onClick=${() => setSelected('')}>
                  <${Icon} name="back" size=${16} />客户</button>
                <${CustomerAvatar} name=${selected} size="xs" /><span>你正在以 <strong>${selected}</strong> 的身份聊天</span>`
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
