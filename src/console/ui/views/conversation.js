/**
 * One chat (#/c/<id>): its header and banners, the transcript, the reply box and the details
 * panel; the actions (claim, release, resolve, transfer, link a known problem, notes, tags).
 */
import { html, useCallback, useEffect, useState } from '/vendor/preact-htm.js';
import { ApiError, get, post } from '../api.js';
import { useMarkRead } from '../attention.js';
import { customerName } from '../components/customer.js';
import { Icon } from '../components/icons.js';
import { useStickToBottom } from '../components/scroll.js';
import { Spinner } from '../components/spinner.js';
import { TICK_TIMES_MS } from '../constants.js';
import { applyConversation, canned, loadAgents } from '../data.js';
import { hasRole } from '../format.js';
import { live, newer } from '../live.js';
import { useLoader } from '../loader.js';
import { scheduleResolve, useResolving } from '../resolve-undo.js';
import { useNow, useStore } from '../store.js';
import { toast, toastError } from '../toast.js';
import { Composer } from './composer.js';
import { ReopenBar } from './browse.js';
import { Header } from './conversation/header.js';
import { Details } from './details.js';
import { Transcript } from './messages.js';
import { LinkProblemDialog } from './problems/link-dialog.js';

const convPath = (id) => `/api/conversations/${encodeURIComponent(id)}`;

/** The conversation and its messages: the first read takes all; later ones only what came after the last message shown. */
async function readConversation({ key: id, prev }) {
  const last = prev?.messages.at(-1)?.id;
  let data;
  let full = !last;
  try {
    data = await get(full ? convPath(id) : `${convPath(id)}?after=${encodeURIComponent(last)}`);
  } catch (err) {
    // An `after` this server refuses (not an id it takes): read it all.
    if (full || !(err instanceof ApiError) || err.status !== 400) throw err;
    full = true;
    data = await get(convPath(id));
  }
  const { messages: incoming = [], ...conv } = data;
  if (full) return { conv, messages: incoming };
  const seen = new Set(prev.messages.map((m) => m.id));
  // Only a full read says whether older archived messages exist; a catch-up read keeps what it said.
  return { conv: { ...conv, earlier: prev.conv.earlier }, messages: [...prev.messages, ...incoming.filter((m) => !seen.has(m.id))] };
}

/** A long history's older part: the archived messages before `first` (the first one shown). */
async function readEarlier(id, first) {
  const { messages = [], earlier } = await get(`${convPath(id)}?before=${encodeURIComponent(first)}`);
  return { older: messages, earlier };
}

/**
 * A live event's change applied to the chat shown, or null to read what is new instead: a message
 * event that carries its message adds it; anything else (a claim, a transfer… writes its own line
 * to the transcript) is read. On channels with a reply window (微信客服, Official Accounts) each
 * message moves the window, which only the server counts: read then too.
 */
function applyChange(shown, ev) {
  if (ev.type !== 'message' || !ev.conversation || !ev.message || shown.conv.channel?.window) return null;
  const last = shown.messages.at(-1);
  if (shown.messages.some((m) => m.id === ev.message.id)) return { ...shown, conv: { ...shown.conv, ...ev.conversation } };
  // Only right after what shows: anything else means a line is missing in between.
  if (last && !newer(ev.message.id, last.id)) return null;
  return { conv: { ...shown.conv, ...ev.conversation }, messages: [...shown.messages, ev.message] };
}

/** Loads a conversation and keeps it current: a live event adds what it carries, or the new lines are read. */
function useConversation(id) {
  const loader = useLoader(readConversation, { key: id, on: (ev) => ev.conv === id, apply: applyChange, resync: true });
  const { error } = loader;
  useEffect(() => {
    if (error && !(error instanceof ApiError && (error.status === 404 || error.status === 401))) toastError(error, '加载会话失败');
  }, [error]);
  const fresh = loader.dataKey === id ? loader.data : null;
  return {
    conv: fresh?.conv ?? null,
    // An action's answer has no `channel`: what was read of it stays.
    setConv: (conv) => loader.set((d) => ({ ...d, conv: { ...d?.conv, ...conv } })),
    messages: fresh?.messages ?? [],
    loadEarlier: async () => {
      const first = fresh?.messages[0]?.id;
      if (!first) return;
      const { older, earlier } = await readEarlier(id, first);
      // Put before what shows, unless a full reread replaced it meanwhile.
      loader.set((d) => {
        if (d?.messages[0]?.id !== first) return d;
        const seen = new Set(d.messages.map((m) => m.id));
        return { conv: { ...d.conv, earlier }, messages: [...older.filter((m) => !seen.has(m.id)), ...d.messages] };
      });
    },
    missing: error instanceof ApiError && error.status === 404,
    sync: loader.reload,
  };
}

function usePresence(id, me) {
  const read = () => live.presence.get(id) ?? { agents: [], typing: [] };
  const [presence, setPresence] = useState(read);
  useEffect(() => {
    setPresence(read());
    live.setViewing(id);
    const off = live.on('presence', (msg) => {
      if (msg.conv === id) setPresence({ agents: msg.agents ?? [], typing: msg.typing ?? [] });
    });
    return () => {
      off();
      live.setViewing(null);
    };
  }, [id]);
  const others = (list) => list.filter((a) => a.id !== me.id);
  return { viewers: others(presence.agents), typing: others(presence.typing) };
}

const CLAIM_ERRORS = { 409: '该会话已被其他客服接入' };
const OWNER_ERRORS = { 409: '该会话已不在你名下（可能已被转接或结束），请刷新后再试' };

export function ConversationView({ id, me, focus = null }) {
  const { conv, setConv, messages, missing, sync, loadEarlier } = useConversation(id);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const onEarlier = () => {
    setLoadingEarlier(true);
    loadEarlier()
      .catch((err) => toastError(err, '加载更早的消息失败'))
      .finally(() => setLoadingEarlier(false));
  };
  const { viewers, typing } = usePresence(id, me);
  const { byFaq } = useStore(canned);
  const now = useNow(TICK_TIMES_MS);
  const [busy, setBusy] = useState(false);
  const [focusKey, setFocusKey] = useState(0);
  const [linking, setLinking] = useState(false);
  // A close waiting out its undo window (resolve-undo.js): the buttons wait with it.
  const resolving = useResolving(id);
  const closeLink = useCallback(() => setLinking(false), []);
  const scroller = useStickToBottom(messages.length);
  // Opened from a search result: that message centred and marked once it is shown.
  useEffect(() => {
    if (!focus || !messages.length) return;
    const el = document.querySelector(`[data-msg-id="${CSS.escape(focus)}"]`);
    if (!el || el.classList.contains('msg-focus')) return;
    el.classList.add('msg-focus');
    el.scrollIntoView({ block: 'center' });
  }, [focus, messages.length]);

  useEffect(() => {
    loadAgents();
  }, [id]);
  // My chat open: what the customer wrote is read (the row's count and the title follow).
  useMarkRead(conv, me, setConv);

  if (missing) {
    return html`<section class="conv-empty" data-testid="conv-missing">
      <${Icon} name="inbox" size=${40} /><h2>找不到这个会话</h2><p class="muted">它可能已被删除，或链接有误。</p>
      <a class="btn" href="#/queue">返回会话列表</a></section>`;
  }
  if (!conv) return html`<section class="conv-empty"><${Spinner} /></section>`;

  const manager = hasRole(me, 'manager');
  const active = conv.status === 'active';
  const mine = active && conv.assignee?.id === me.id;
  const takenBy = active && conv.assignee && conv.assignee.id !== me.id ? conv.assignee : null;
  const canManage = active && (mine || manager);
  const canResolve = canManage || (manager && (conv.status === 'waiting' || conv.status === 'awaiting_fix'));
  // A waiting chat may be parked by any agent (it is no one's yet); an active one by its agent or a manager.
  const canLink = conv.status === 'waiting' || canManage;
  // Tags feed the satisfaction figures: a chat someone owns (or closed) is tagged by them or a manager.
  const owner = conv.status === 'resolved' ? conv.resolvedBy : conv.assignee?.id;
  const canTag = manager || !owner || owner === me.id;

  /** Runs a state change; the answer is the new conversation, then the transcript catches up. */
  async function act(fn, action, overrides) {
    setBusy(true);
    try {
      const res = await fn();
      if (res && res.id === id) {
        setConv(res);
        // The lists follow at once; the live event brings the same to every other tab.
        applyConversation(id, res);
      }
      scroller.reset();
      sync();
      return true;
    } catch (err) {
      toastError(err, action, overrides);
      sync();
      return false;
    } finally {
      setBusy(false);
    }
  }

  const actions = {
    canManage,
    canResolve,
    canLink,
    openLink: () => setLinking(true),
    claim: async () => {
      if (await act(() => post(`${convPath(id)}/claim`), '接入失败', CLAIM_ERRORS)) setFocusKey((k) => k + 1);
    },
    release: async () => {
      if (await act(() => post(`${convPath(id)}/release`), '退回失败', OWNER_ERRORS)) toast('已退回排队队列');
    },
    resolving,
    // Sent after a few seconds in which 撤销 takes it back (a closed tab sends it at once).
    resolve: () => closeLater(true),
    closeSilent: () => closeLater(false),
  };

  function closeLater(rate) {
    scheduleResolve(id, {
      rate,
      name: customerName(conv),
      overrides: OWNER_ERRORS,
      onDone: (res) => {
        if (res && res.id === id) {
          setConv(res);
          applyConversation(id, res);
        }
        sync();
        toast(rate ? '会话已解决' : '会话已关闭（未邀请评价）', { kind: 'success' });
      },
    });
  }

  function onLinked(res) {
    setLinking(false);
    if (res && res.id === id) {
      setConv(res);
      applyConversation(id, res);
    }
    scroller.reset();
    sync();
    // No toast: the status, the problem's title and the transcript's system line say it.
  }

  const onSend = (text) => act(() => post(`${convPath(id)}/messages`, { text }), '发送失败', {
    409: '你不是该会话的负责人，无法回复',
  });
  const onNote = async (text) => {
    const ok = await act(() => post(`${convPath(id)}/notes`, { text }), '备注保存失败');
    if (ok) toast('备注已保存（仅内部可见）', { kind: 'success' });
    return ok;
  };
  const onTags = (tags) => act(() => post(`${convPath(id)}/tags`, { tags }), '标签保存失败');
  // `note`: why it is passed on, kept as a private note the new owner reads first.
  const onTransfer = async (to, note) => {
    const ok = await act(() => post(`${convPath(id)}/transfer`, note ? { to, note } : { to }), '转接失败', OWNER_ERRORS);
    if (ok) toast('已转接', { kind: 'success' });
    return ok;
  };

  const disabledText = conv.archived
    ? '这是已归档的历史会话，只能查看。客户再次发消息时会开始新的接待'
    : takenBy
    ? `该会话由 ${takenBy.name} 负责，你不能回复`
    : conv.status === 'waiting'
      ? '点击「接入会话」后即可回复客户'
      : conv.status === 'resolved'
        ? '会话已解决。客户再次发消息时会先由机器人接待'
        : conv.status === 'bot'
          ? '机器人接待中。点击「主动接入」可直接回复'
          : conv.status === 'awaiting_fix'
            ? '会话已挂起，等待问题修复。修复后机器人会自动通知客户'
            : '当前不能回复';

  return html`<section class="conv" data-testid="conv-view" data-conv-id=${conv.id} data-status=${conv.status}>
    <div class="conv-main">
      <${Header} conv=${conv} now=${now} viewers=${viewers} actions=${actions} busy=${busy} />
      ${takenBy
        ? html`<div class="banner banner-taken" data-testid="taken-banner" role="status">
            <${Icon} name="lock" size=${15} /><span>已被 ${takenBy.name} 接入</span>
            <span class="muted">${manager ? '你是主管，可以转接、退回或结束该会话' : '你可以查看记录，但不能回复，避免重复答复客户'}</span></div>`
        : null}
      ${conv.status === 'resolved' && !conv.archived ? html`<${ReopenBar} conv=${conv} onDone=${(res) => (setConv(res), sync())} />` : null}
      ${conv.status === 'waiting' && viewers.length
        ? html`<div class="banner banner-info" role="status"><${Icon} name="eye" size=${15} />
            <span>${viewers.map((a) => a.name).join('、')} 也在查看此会话，接入前请确认没有重复处理</span></div>`
        : null}
      <div class="transcript" data-testid="transcript" ref=${scroller.ref} onScroll=${scroller.onScroll}>
        ${conv.earlier
          ? html`<div class="center"><button class="btn btn-ghost btn-sm" data-testid="load-earlier" disabled=${loadingEarlier} onClick=${onEarlier}>
              ${loadingEarlier ? '加载中…' : '加载更早的消息'}</button></div>`
          : null}
        <${Transcript} messages=${messages} customer=${{ name: customerName(conv), id: conv.customer?.id }} faqs=${byFaq} />
        ${messages.length === 0 ? html`<div class="muted center">暂无消息</div>` : null}
      </div>
      <${Composer} convId=${id} enabled=${mine} disabledText=${disabledText} onSend=${onSend} focusKey=${focusKey} typingOthers=${typing} />
    </div>
    <${Details} conv=${conv} me=${me} canManage=${canManage} canTag=${canTag} onTags=${onTags} onNote=${onNote} onTransfer=${onTransfer} />
    ${linking && canLink ? html`<${LinkProblemDialog} convId=${id} onClose=${closeLink} onLinked=${onLinked} />` : null}
  </section>`;
}
