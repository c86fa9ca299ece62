/**
 * Known problems (the closed loop): the list every agent view shares — the link dialog of a chat,
 * the 已知问题 page, the queue's 等待问题修复 section and the transcript's system lines all need
 * a problem's title by its id. GET /api/problems?status=all, re-read on the `parked` and `fixed`
 * live events (a link changes a count, a fix a status), on every reconnect and every 30 s.
 */
import { get, post, session } from './api.js';
import { PROBLEM_EVENTS, REFRESH_MS } from './constants.js';
import { hasRole } from './format.js';
import { live } from './live.js';
import { singleFlight } from './loader.js';
import { createStore } from './store.js';

/** items: newest first, open and fixed; byId: id -> problem. */
export const problems = createStore({ items: [], byId: new Map(), loaded: false, failed: false });

let running = false;
let generation = 0;

function publish(items) {
  problems.set({ items, byId: new Map(items.map((p) => [p.id, p])), loaded: true, failed: false });
}

async function load() {
  const gen = generation;
  try {
    const data = await get('/api/problems?status=all');
    if (gen !== generation) return;
    publish(Array.isArray(data?.items) ? data.items : []);
  } catch {
    if (gen === generation) problems.set({ failed: true, loaded: true });
  }
}

const loads = singleFlight(load);

/** Re-reads the list: one request at a time, plus one trailing for what came meanwhile. */
export function refreshProblems() {
  if (running) loads.run();
}

/** A problem the server just returned (created, fixed): shown at once, before the next read. */
export function rememberProblem(problem) {
  if (!problem?.id) return;
  const { conversations: _c, notified: _n, ...fields } = problem;
  const items = problems.get().items;
  const next = items.some((p) => p.id === fields.id) ? items.map((p) => (p.id === fields.id ? { ...p, ...fields } : p)) : [fields, ...items];
  publish(next);
}

/** The problem's title, or its id while the list does not know it yet. */
export function problemTitle(id) {
  if (!id) return '';
  return problems.get().byId.get(id)?.title ?? id;
}

/** `publicTitle`: what customers are told it is (optional; the title otherwise). */
export async function createProblem(title, description, publicTitle) {
  const body = { title, ...(description ? { description } : {}), ...(publicTitle ? { publicTitle } : {}) };
  const problem = await post('/api/problems', body);
  rememberProblem(problem);
  return problem;
}

/** Renames an open problem: `{title?, publicTitle?, description?}`. */
export async function updateProblem(id, patch) {
  const problem = await post(`/api/problems/${encodeURIComponent(id)}`, patch);
  rememberProblem(problem);
  return problem;
}

export async function linkProblem(convId, problemId) {
  const conv = await post(`/api/conversations/${encodeURIComponent(convId)}/problem`, { problemId });
  refreshProblems();
  return conv;
}

export async function markFixed(problemId, note) {
  const res = await post(`/api/problems/${encodeURIComponent(problemId)}/fixed`, { note });
  rememberProblem(res);
  refreshProblems();
  return res;
}

/** Starts following the problems (agents and up); returns the stop function. */
export function startProblems() {
  stopProblems();
  if (!session.agent || !hasRole(session.agent, 'agent')) return stopProblems;
  running = true;
  generation += 1;
  refreshProblems();
  const timer = setInterval(refreshProblems, REFRESH_MS);
  const offs = [
    live.on('event', (ev) => {
      if (PROBLEM_EVENTS.has(ev?.type)) refreshProblems();
    }),
    live.on('resync', refreshProblems),
  ];
  stopFns = [() => clearInterval(timer), ...offs];
  return stopProblems;
}

let stopFns = [];
export function stopProblems() {
  stopFns.forEach((fn) => fn());
  stopFns = [];
  running = false;
  generation += 1;
  loads.reset();
  problems.set({ items: [], byId: new Map(), loaded: false, failed: false });
}
