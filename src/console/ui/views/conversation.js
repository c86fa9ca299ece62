import { html, useCallback, useEffect, useLayoutEffect, useRef, useState } from '/vendor/preact-htm.js';
import { ApiError, get, post } from '../api.js';
import { canned, loadAgents, refreshQueue } from '../data.js';
import { hasRole, SLA_LABELS, slaState, slaText, STATUSES } from '../format.js';
import { live } from '../live.js';
import { problems } from '../problems.js';
import { useNow, useStore } from '../store.js';
import { toast, toastError } from '../toast.js';
import { Composer } from './composer.js';
import { Details } from './details.js';
import { Icon } from './icons.js';
import { Transcript } from './messages.js';
import { LinkProblemDialog } from './problems.js';
import { Avatar, Bidi, customerName, TierBadge } from './queue.js';

const convPath = (id) => `/api/conversations/${encodeURIComponent(id)}`;

/**
 * Loads a conversation and keeps it current: each live event for it fetches only the messages
 * after the last one shown (`?after=`), falling back to a full fetch. Fetches never overlap.
 */
function useConversation(id) {
  const [conv, setConv] = useState(null);
  const [messages, setMessages] = useState([]);
  const [missing, setMissing] = useState(false);
  const state = useRef({ id, messages: [], busy: false, again: false });

  const sync = useCallback(async (full = false) => {
    const s = state.current;
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    const forId = s.id;
    try {
      const last = s.messages.at(-1)?.id;
      let data;
      try {
        data = await get(full || !last ? convPath(forId) : `${convPath(forId)}?after=${encodeURIComponent(last)}`);
      } catch (err) {
        if (full || !last || !(err instanceof ApiError) || err.status !== 400) throw err;
        full = true;
        data = await get(convPath(forId));
      }
      if (state.current.id !== forId) return;
      const { messages: incoming = [], ...fields } = data;
      let next;
      if (full || !last) next = incoming;
      else {
        const seen = new Set(s.messages.map((m) => m.id));
        next = [...s.messages, ...incoming.filter((m) => !seen.has(m.id))];
      }
      s.messages = next;
      setMessages(next);
      setConv(fields);
      setMissing(false);
    } catch (err) {
      if (state.current.id !== forId) return;
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else if (!(err instanceof ApiError && err.status === 401)) toastError(err, '加载会话失败');
    } finally {
      s.busy = false;
      if (s.again && state.current.id === forId) {
        s.again = false;
        sync();
      }
    }
  }, []);

  useEffect(() => {
    state.current = { id, messages: [], busy: false, again: false };
    setConv(null);
    setMessages([]);
    setMissing(false);
    sync(true);
    const offEvent = live.on('event', (ev) => {
      if (ev.conv === id) sync();
    });
    const offResync = live.on('resync', () => sync());
    return () => {
      offEvent();
      offResync();
    };
  }, [id, sync]);

  return { conv, setConv, messages, missing, sync };
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

/** Keeps the newest message in view unless the agent scrolled up to read. */
function useStickToBottom(dep) {
  const ref = useRef(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [dep]);
  const onScroll = () => {
    const el = ref.current;
    if (el) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };
  return { ref, onScroll, reset: () => (atBottom.current = true) };
}

const CLAIM_ERRORS = { 409: '该会话已被其他客服接入' };
const OWNER_ERRORS = { 409: '该会话已不在你名下（可能已被转接或结束），请刷新后再试' };

/** The problem a parked chat waits on: its title, a link to the 已知问题 page. */
function ProblemLink({ id }) {
  const { byId } = useStore(problems);
  const title = byId.get(id)?.title;
  return html`<a class="conv-problem" data-testid="conv-problem" data-problem-id=${id} href=${`#/problems/${encodeURIComponent(id)}`}
      title=${`已知问题 ${id}：修复后机器人会自动通知客户`}><${Icon} name="flag" size=${12} /><span class="conv-problem-title">${title ?? id}</span></a>`;
}

function Header({ conv, now, viewers, actions, busy }) {
  const name = customerName(conv);
  const sla = conv.status === 'waiting' ? slaState(conv, now) : null;
  return html`<header class="conv-head">
    <div class="conv-title">
      <${Avatar} name=${name} id=${conv.customer?.id} />
      <div class="conv-title-text">
        <div class="conv-name" data-testid="conv-customer"><${Bidi} text=${name} /> <${TierBadge} tier=${conv.customer?.tier} /></div>
        <div class="conv-sub">
          <span class=${`status status-${conv.status}`} data-testid="conv-status">${STATUSES[conv.status] ?? conv.status}</span>
          ${conv.status === 'awaiting_fix' && conv.problemId ? html`<${ProblemLink} id=${conv.problemId} />` : null}
          <span class="conv-owner">负责人：<strong data-testid="conv-assignee">${conv.assignee?.name ?? ''}</strong>${conv.assignee ? null : html`<span class="muted">未分配</span>`}</span>
          ${sla ? html`<span class=${`sla-label sla-${sla}`}><span class="sla-shape" aria-hidden="true"></span>${SLA_LABELS[sla]} · ${slaText(conv, now)}</span>` : null}
        </div>
      </div>
    </div>
    <div class="conv-actions">
      ${viewers.length
        ? html`<span class="viewers" data-testid="presence-viewers" title="也在查看此会话">
            <${Icon} name="eye" size=${14} />${viewers.map((a) => a.name).join('、')} 也在查看</span>`
        : null}
      ${conv.status === 'waiting'
        ? html`<button type="button" class="btn btn-primary" data-testid="claim-btn" disabled=${busy} onClick=${actions.claim}>
            <${Icon} name="check" size=${16} />接入会话</button>`
        : null}
      ${conv.status === 'bot' || conv.status === 'resolved'
        ? html`<button type="button" class="btn" data-testid="takeover-btn" disabled=${busy} onClick=${actions.claim}
            title="不等客户转人工，直接由你接待">主动接入</button>`
        : null}
      ${actions.canLink
        ? html`<button type="button" class="btn" data-testid="conv-link-problem" disabled=${busy} onClick=${actions.openLink}
            aria-haspopup="dialog" title="客户遇到的是已知问题：挂起会话，修复后自动通知客户"><${Icon} name="flag" size=${15} />关联已知问题</button>`
        : null}
      ${actions.canManage
        ? html`<button type="button" class="btn" data-testid="release-btn" disabled=${busy} onClick=${actions.release}
            title="放回排队队列，由其他客服接入"><${Icon} name="undo" size=${15} />退回队列</button>`
        : null}
      ${actions.canResolve
        ? html`<button type="button" class=${`btn${conv.status === 'active' ? ' btn-success' : ''}`} data-testid="resolve-btn" disabled=${busy} onClick=${actions.resolve}>
            <${Icon} name="check" size=${15} />解决</button>`
        : null}
    </div>
  </header>`;
}

export function ConversationView({ id, me }) {
  const { conv, setConv, messages, missing, sync } = useConversation(id);
  const { viewers, typing } = usePresence(id, me);
  const { byFaq } = useStore(canned);
  const now = useNow(15_000);
  const [busy, setBusy] = useState(false);
  const [focusKey, setFocusKey] = useState(0);
  const [linking, setLinking] = useState(false);
  const closeLink = useCallback(() => setLinking(false), []);
  const scroller = useStickToBottom(messages.length);

  useEffect(() => {
    loadAgents();
  }, [id]);

  if (missing) {
    return html`<section class="conv-empty" data-testid="conv-missing">
      <${Icon} name="inbox" size=${40} /><h2>找不到这个会话</h2><p class="muted">它可能已被删除，或链接有误。</p>
      <a class="btn" href="#/queue">返回会话列表</a></section>`;
  }
  if (!conv) return html`<section class="conv-empty"><div class="spinner" aria-label="加载中"></div></section>`;

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
      if (res && res.id === id) setConv(res);
      scroller.reset();
      sync();
      refreshQueue();
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
    resolve: async () => {
      if (await act(() => post(`${convPath(id)}/resolve`), '操作失败', OWNER_ERRORS)) toast('会话已解决', { kind: 'success' });
    },
  };

  function onLinked(res) {
    setLinking(false);
    if (res && res.id === id) setConv(res);
    scroller.reset();
    sync();
    refreshQueue();
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
  const onTransfer = async (to) => {
    const ok = await act(() => post(`${convPath(id)}/transfer`, { to }), '转接失败', OWNER_ERRORS);
    if (ok) toast('已转接', { kind: 'success' });
    return ok;
  };

  const disabledText = takenBy
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
      ${conv.status === 'waiting' && viewers.length
        ? html`<div class="banner banner-info" role="status"><${Icon} name="eye" size=${15} />
            <span>${viewers.map((a) => a.name).join('、')} 也在查看此会话，接入前请确认没有重复处理</span></div>`
        : null}
      <div class="transcript" data-testid="transcript" ref=${scroller.ref} onScroll=${scroller.onScroll}>
        <${Transcript} messages=${messages} customer=${{ name: customerName(conv), id: conv.customer?.id }} faqs=${byFaq} />
        ${messages.length === 0 ? html`<div class="muted center">暂无消息</div>` : null}
      </div>
      <${Composer} convId=${id} enabled=${mine} disabledText=${disabledText} onSend=${onSend} focusKey=${focusKey} typingOthers=${typing} />
    </div>
    <${Details} conv=${conv} me=${me} canManage=${canManage} canTag=${canTag} onTags=${onTags} onNote=${onNote} onTransfer=${onTransfer} />
    ${linking && canLink ? html`<${LinkProblemDialog} convId=${id} onClose=${closeLink} onLinked=${onLinked} />` : null}
  </section>`;
}
