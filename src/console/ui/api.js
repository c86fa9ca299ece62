/**
 * HTTP to the console API: the bearer token lives in localStorage (a reload keeps you logged in),
 * every call sends it, and a 401 anywhere ends the session so the login screen comes back.
 */

const TOKEN_KEY = 'kefu.token';
const AGENT_KEY = 'kefu.agent';

function readAgent() {
  try {
    const agent = JSON.parse(localStorage.getItem(AGENT_KEY) ?? 'null');
    return agent && typeof agent === 'object' ? agent : null;
  } catch {
    return null;
  }
}

export const session = {
  token: localStorage.getItem(TOKEN_KEY),
  agent: readAgent(),
};

const listeners = new Set();
/** Called with the session whenever someone logs in or out (or is logged out by a 401). */
export function onSession(cb) {
  listeners.add(cb);
  return () => listeners.delete(cb);
}
const emit = () => listeners.forEach((cb) => cb(session));

export function setSession(token, agent) {
  session.token = token;
  session.agent = agent;
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(AGENT_KEY, JSON.stringify(agent));
  emit();
}

export function updateAgent(agent) {
  session.agent = agent;
  localStorage.setItem(AGENT_KEY, JSON.stringify(agent));
  emit();
}

export function clearSession() {
  if (!session.token && !session.agent) return;
  session.token = null;
  session.agent = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(AGENT_KEY);
  emit();
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The server's answer when it cannot reach Redis: nothing was done, retry shortly. */
export const REDIS_UNAVAILABLE = 'REDIS_UNAVAILABLE';

const reachability = new Set();
/**
 * Called with false after every call the service could not serve at all (no network, its database
 * unreachable, a proxy without a backend) and with true after every other answer (connection.js).
 */
export function onReachability(cb) {
  reachability.add(cb);
  return () => reachability.delete(cb);
}
const reach = (ok) => reachability.forEach((cb) => cb(ok));
const UNREACHABLE = new Set([502, 504]);

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  // Bodiless POSTs carry neither a body nor a content type.
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    reach(false);
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  if (res.status === 401 && path !== '/api/auth/login') clearSession();
  if (res.status === 204) {
    reach(true);
    return null;
  }
  // Error pages from a proxy may not be JSON: keep the status, lose only the details.
  const data = await res.json().catch(() => null);
  const code = data?.error?.code ?? `HTTP_${res.status}`;
  reach(!(UNREACHABLE.has(res.status) || (res.status === 503 && code === REDIS_UNAVAILABLE)));
  if (!res.ok) throw new ApiError(res.status, code, data?.error?.message ?? res.statusText);
  return data;
}

/**
 * A file the API serves (a customer's image or voice note) as an object URL: an <img> cannot send
 * the agent's token, so the file is fetched here. The caller revokes the URL when done.
 */
export async function blobUrl(path) {
  const headers = session.token ? { authorization: `Bearer ${session.token}` } : {};
  const res = await fetch(path, { headers });
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText);
  return URL.createObjectURL(await res.blob());
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/**
 * For routes that may not exist on an older server (or that the role cannot use): a missing or
 * forbidden list is just empty, so the page still renders.
 */
export async function getOptional(path, fallback) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && [403, 404, 405, 501, 503].includes(err.status)) return fallback;
    throw err;
  }
}

const BY_STATUS = {
  0: '网络连接失败，请检查网络后重试',
  400: '提交的内容不符合要求',
  401: '登录已失效，请重新登录',
  403: '你没有执行此操作的权限',
  404: '找不到该内容，可能已被删除',
  409: '会话状态已变化，请刷新后再试',
  413: '内容太长了',
  429: '操作太频繁，请稍后再试',
};

/** One Chinese sentence for people, plus the server's own message as a detail line. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return { text: '出了点问题，请重试', detail: String(err?.message ?? err) };
  if (err.code === REDIS_UNAVAILABLE) return { text: '服务暂时中断，操作未执行，请稍后重试', detail: '' };
  const text = BY_STATUS[err.status] ?? (err.status >= 500 ? '服务器出错了，请稍后重试' : `请求失败（${err.status}）`);
  return { text, detail: err.status === 0 ? '' : err.message };
}
