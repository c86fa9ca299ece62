import { html, render, useEffect, useState } from '/vendor/preact-htm.js';
import { clearSession, getOptional, onSession, post, session, updateAgent } from './api.js';
import { NotifyToggle, startAttention } from './attention.js';
import { botAlerts, startBots } from './bots.js';
import { Icon } from './components/icons.js';
import { Spinner } from './components/spinner.js';
import { connection, startConnection, stopConnection } from './connection.js';
import { ROLE_NAMES } from './constants.js';
import { queue, startData, stopData } from './data.js';
import { dropMyDrafts, pruneDrafts } from './drafts.js';
import { convHref, hasRole } from './format.js';
import { live } from './live.js';
import { setSoundEnabled, soundEnabled } from './notify.js';
import { startHandedNotices } from './handed.js';
import { startProblems } from './problems.js';
import { ResolveUndoBars } from './resolve-undo.js';
import { useStore } from './store.js';
import { Toasts } from './toast.js';
import { AccountsPage } from './views/accounts.js';
import { BotAlerts, BotsPage } from './views/bots.js';
import { ConversationView } from './views/conversation.js';
import { EditorPage } from './views/editor.js';
import { Login } from './views/login.js';
import { ManagerPage } from './views/manager.js';
import { ProblemsPage } from './views/problems.js';
import { QueueColumn, visibleIds } from './views/queue.js';
import { SimulatorPage, SimulatorUnavailable } from './views/simulator.js';
import { SearchPage, TopbarSearch } from './views/search.js';

function parseRoute() {
  const hash = location.hash.replace(/^#/, '');
  if (hash.startsWith('/c/')) {
    // `?m=<message id>`: a search result opens the chat at that message.
    const [path, query = ''] = hash.slice(3).split('?');
    try {
      return { name: 'conv', id: decodeURIComponent(path), focus: new URLSearchParams(query).get('m') };
    } catch {
      return { name: 'queue' };
    }
  }
  if (hash.startsWith('/search/')) {
    try {
      return { name: 'search', q: decodeURIComponent(hash.slice(8)) };
    } catch {
      return { name: 'queue' };
    }
  }
  const problem = /^\/problems(?:\/(P\d{1,12}))?$/.exec(hash);
  if (problem) return { name: 'problems', id: problem[1] ?? null };
  if (hash === '/editor') return { name: 'editor' };
  if (hash === '/manager') return { name: 'manager' };
  if (hash === '/simulator') return { name: 'simulator' };
  if (hash === '/bots') return { name: 'bots' };
  if (hash === '/accounts') return { name: 'accounts' };
  return { name: 'queue' };
}

const KNOWN = /^#\/(queue|editor|manager|simulator|bots|accounts|problems(\/P\d{1,12})?|c\/.+|search\/.+)$/;

/** The start page a role can use; an unknown or forbidden hash is replaced (no history entry). */
function ensureHash(me) {
  const home = hasRole(me, 'agent') ? '#/queue' : hasRole(me, 'editor') ? '#/editor' : '#/manager';
  const hash = location.hash;
  const conversations = hash === '#/queue' || hash.startsWith('#/c/') || hash.startsWith('#/problems') || hash.startsWith('#/search/');
  if (!KNOWN.test(hash) || (conversations && !hasRole(me, 'agent'))) window.history.replaceState(null, '', home);
}

function useRoute(me) {
  const [route, setRoute] = useState(() => {
    ensureHash(me);
    return parseRoute();
  });
  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

const go = (hash) => {
  if (location.hash !== hash) location.hash = hash;
};

function LiveStatus() {
  const [state, setState] = useState(live.state);
  useEffect(() => live.on('state', setState), []);
  // An open socket brings nothing while the service cannot reach its data: not "online" then.
  const { down } = useStore(connection);
  const online = state === 'online' && !down;
  return html`<span class=${`live-status ${online ? 'is-online' : 'is-offline'}`} data-testid="live-status" data-state=${online ? 'online' : 'offline'}
      role="status" aria-live="polite"><span class="live-dot" aria-hidden="true"></span>${online ? '实时连接中' : '连接已断开，正在重连…'}</span>`;
}

/** While the service cannot be reached: nothing the agent does now is lost silently, and it comes back by itself. */
function ConnectionBanner() {
  const { down } = useStore(connection);
  if (!down) return null;
  return html`<div class="conn-banner" data-testid="connection-banner">
    <span class="conn-spinner" aria-hidden="true"></span><strong>连接中断，正在重连…</strong>
    <span class="conn-banner-hint">此时的操作不会执行；恢复后页面会自动更新，无需刷新</span>
  </div>`;
}

function SoundToggle() {
  const [on, setOn] = useState(soundEnabled);
  return html`<button type="button" class=${`icon-btn${on ? ' is-on' : ''}`} data-testid="sound-toggle" aria-pressed=${on}
      title=${on ? '提示音（新会话、客户新消息）：开（点击关闭）' : '提示音（新会话、客户新消息）：关（点击开启）'}
      onClick=${() => {
        setSoundEnabled(!on);
        setOn(!on);
      }}><${Icon} name=${on ? 'bell' : 'bellOff'} size=${17} /><span class="icon-btn-text">${on ? '提示音开' : '提示音关'}</span></button>`;
}

function NavItem({ href, icon, label, active, testid, badge }) {
  return html`<a href=${href} class=${`rail-item${active ? ' is-active' : ''}`} data-testid=${testid} aria-current=${active ? 'page' : undefined} title=${label}>
    <span class="rail-icon"><${Icon} name=${icon} size=${20} />${badge ? html`<span class="rail-badge">${badge > 99 ? '99+' : badge}</span>` : null}</span>
    <span class="rail-label">${label}</span>
  </a>`;
}

function Rail({ me, route, demo }) {
  const q = useStore(queue);
  const alerts = useStore(botAlerts);
  const inConversations = route.name === 'queue' || route.name === 'conv';
  return html`<nav class="rail" aria-label="主导航">
    <div class="rail-brand" title="客服工作台"><${Icon} name="chat" size=${20} /></div>
    ${hasRole(me, 'agent') ? html`<${NavItem} href="#/queue" icon="inbox" label="会话" testid="nav-queue" active=${inConversations} badge=${q.totals?.waiting ?? q.waiting.length} />` : null}
    ${hasRole(me, 'agent') ? html`<${NavItem} href="#/problems" icon="flag" label="已知问题" testid="nav-problems" active=${route.name === 'problems'} />` : null}
    ${hasRole(me, 'editor') ? html`<${NavItem} href="#/editor" icon="book" label="知识库" testid="nav-editor" active=${route.name === 'editor'} />` : null}
    ${hasRole(me, 'manager') ? html`<${NavItem} href="#/manager" icon="chart" label="数据" testid="nav-manager" active=${route.name === 'manager'} />` : null}
    ${hasRole(me, 'manager') ? html`<${NavItem} href="#/bots" icon="qr" label="微信账号" testid="nav-bots" active=${route.name === 'bots'} badge=${alerts.items.length} />` : null}
    ${hasRole(me, 'admin') ? html`<${NavItem} href="#/accounts" icon="users" label="账号" testid="nav-accounts" active=${route.name === 'accounts'} />` : null}
    ${demo
      ? html`<div class="rail-spacer"></div>
          <${NavItem} href="#/simulator" icon="phone" label="模拟器" testid="nav-simulator" active=${route.name === 'simulator'} />`
      : null}
  </nav>`;
}

function Topbar({ me, route }) {
  const titles = { queue: '会话', conv: '会话', problems: '已知问题', editor: '知识库', manager: '数据', simulator: '微信模拟器', bots: '微信账号', search: '搜索', accounts: '账号' };
  const roles = (me.roles ?? []).map((r) => ROLE_NAMES[r] ?? r).join(' · ');
  async function logout() {
    try {
      await post('/api/auth/logout');
    } catch {
      // Logging out locally is what matters; the token expires on its own.
    }
    // The next person at this computer must not find this agent's unsent words.
    dropMyDrafts();
    clearSession();
  }
  return html`<header class="topbar">
    <div class="topbar-title">客服工作台 <span class="sep">/</span> <strong>${titles[route.name]}</strong></div>
    <div class="topbar-right">
      ${hasRole(me, 'agent') ? html`<${TopbarSearch} initial=${route.name === 'search' ? route.q : ''} />` : null}
      <${LiveStatus} />
      ${hasRole(me, 'agent') ? html`<${SoundToggle} /><${NotifyToggle} />` : null}
      <span class="me" title=${me.name || me.username}><span class="me-avatar" aria-hidden="true">${[...(me.name || me.username || '?')][0]}</span>
        <span class="me-text"><span class="me-name" data-testid="me-name">${me.name || me.username}</span><span class="me-roles">${roles}</span></span></span>
      <button type="button" class="btn btn-ghost btn-sm" data-testid="logout" title="退出" aria-label="退出" onClick=${logout}><${Icon} name="logout" size=${15} /><span class="icon-btn-text">退出</span></button>
    </div>
  </header>`;
}

function Welcome() {
  const q = useStore(queue);
  return html`<section class="conv-empty" data-testid="conv-none">
    <${Icon} name="chat" size=${44} />
    <h2>${q.waiting.length ? `有 ${q.totals?.waiting ?? q.waiting.length} 位客户在排队` : '暂时没有排队的客户'}</h2>
    <p class="muted">从左侧选择一个会话开始处理。新的转人工会话会实时出现。</p>
    <div class="kbd-help">
      <span><kbd>N</kbd> 打开最紧急的排队会话</span>
      <span><kbd>J</kbd> / <kbd>K</kbd> 下一个 / 上一个会话</span>
      <span><kbd>Enter</kbd> 发送 · <kbd>Shift</kbd>+<kbd>Enter</kbd> 换行 · <kbd>/</kbd> 快捷回复</span>
    </div>
  </section>`;
}

function Forbidden() {
  return html`<main class="page"><div class="conv-empty"><${Icon} name="lock" size=${40} /><h2>没有访问权限</h2>
    <p class="muted">这个页面需要相应的角色，请联系管理员开通。</p></div></main>`;
}

/** j/k walk the column, n opens the most urgent waiting chat; never while typing in a field. */
function useShortcuts(me, route) {
  useEffect(() => {
    function onKey(e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const t = e.target;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      // The simulator is a customer's phone: the agents' keys do not belong there.
      if (!hasRole(me, 'agent') || route.name === 'simulator') return;
      const key = e.key.toLowerCase();
      if (key === 'n') {
        const first = queue.get().waiting[0];
        if (first) go(convHref(first.id));
      } else if (key === 'j' || key === 'k') {
        const ids = visibleIds(me);
        if (!ids.length) return;
        const at = route.name === 'conv' ? ids.indexOf(route.id) : -1;
        const next = at === -1 ? 0 : Math.min(Math.max(at + (key === 'j' ? 1 : -1), 0), ids.length - 1);
        go(convHref(ids[next]));
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [me, route]);
}

function Shell({ me }) {
  const route = useRoute(me);
  // The demo's WeChat simulator routes exist only when the console runs with the demo.
  const [demo, setDemo] = useState(null);
  useShortcuts(me, route);
  useEffect(() => {
    live.start(session.token);
    startConnection();
    startData();
    const off = live.on('unauthorized', clearSession);
    // The roles may have changed since this tab logged in; `features` says whether the demo runs.
    const loadMe = () =>
      getOptional('/api/auth/me', null)
        .then((res) => {
          if (res?.agent && JSON.stringify(res.agent) !== JSON.stringify(session.agent)) updateAgent(res.agent);
          if (res) setDemo(Boolean(res.features?.demo));
          else setDemo((d) => d ?? false);
        })
        .catch(() => setDemo((d) => d ?? false));
    loadMe();
    // After an outage (or a reconnect) ask again: the first answer may have been lost to it.
    const offResync = live.on('resync', loadMe);
    return () => {
      off();
      offResync();
      stopConnection();
      live.stop();
      stopData();
    };
  }, []);

  // Managers follow the bot accounts' logins everywhere: a logged-out account shows a banner.
  const isManager = hasRole(me, 'manager');
  useEffect(() => (isManager ? startBots() : undefined), [isManager]);

  const isAgent = hasRole(me, 'agent');
  // Problem titles for the chats, the queue and the 已知问题 page.
  useEffect(() => (isAgent ? startProblems() : undefined), [isAgent]);
  // A colleague's transfer to me, with their note.
  useEffect(() => (isAgent ? startHandedNotices() : undefined), [isAgent]);
  // Customers writing in my chats, breaches and low ratings: sound, notifications, toasts on any page.
  useEffect(() => {
    if (!isAgent) return undefined;
    pruneDrafts();
    return startAttention();
  }, [isAgent]);

  let content;
  if (route.name === 'simulator') {
    content = demo === null
      ? html`<section class="conv-empty"><${Spinner} /></section>`
      : demo ? html`<${SimulatorPage} />` : html`<${SimulatorUnavailable} />`;
  } else if (route.name === 'editor') content = hasRole(me, 'editor') ? html`<${EditorPage} me=${me} />` : html`<${Forbidden} />`;
  else if (route.name === 'manager') content = isManager ? html`<${ManagerPage} />` : html`<${Forbidden} />`;
  else if (route.name === 'bots') content = isManager ? html`<${BotsPage} />` : html`<${Forbidden} />`;
  else if (route.name === 'accounts') content = hasRole(me, 'admin') ? html`<${AccountsPage} me=${me} />` : html`<${Forbidden} />`;
  else if (route.name === 'problems') content = isAgent ? html`<${ProblemsPage} me=${me} id=${route.id} />` : html`<${Forbidden} />`;
  else if (!isAgent) content = html`<${Forbidden} />`;
  else if (route.name === 'search') content = html`<${SearchPage} q=${route.q} />`;
  else {
    content = html`<div class=${`workspace${route.name === 'conv' ? ' has-conv' : ''}`}>
      <${QueueColumn} me=${me} selectedId=${route.name === 'conv' ? route.id : null} />
      ${route.name === 'conv' ? html`<${ConversationView} key=${route.id} id=${route.id} me=${me} focus=${route.focus} />` : html`<${Welcome} />`}
    </div>`;
  }

  return html`<div class="app">
    <${Rail} me=${me} route=${route} demo=${demo} />
    <div class="app-main">
      <${Topbar} me=${me} route=${route} />
      <div class="shell-alerts" role="alert"><${ConnectionBanner} />${isManager ? html`<${BotAlerts} />` : null}</div>
      <div class="app-content">${content}</div>
      <${ResolveUndoBars} />
    </div>
  </div>`;
}

function App() {
  const [current, setCurrent] = useState({ token: session.token, agent: session.agent });
  useEffect(() => onSession((s) => setCurrent({ token: s.token, agent: s.agent })), []);
  if (!current.token || !current.agent) return html`<${Login} /><${Toasts} />`;
  return html`<${Shell} key=${current.token} me=${current.agent} /><${Toasts} />`;
}

render(html`<${App} />`, document.getElementById('app'));
