/**
 * The managers' service figures as day-counter fields: first response and resolution time, each
 * with a histogram of its minutes, overall and per agent. They live in the day hashes beside the
 * funnel's counters, so the reports' sync copies them to the archive with the rest and a range
 * reads them as it reads the funnel (a field is the larger of Redis and its copy: never twice).
 *
 * Fields (agent ids are [A-Za-z0-9_-], so ':' splits them unambiguously):
 * - `fr:m:<b>` / `res:m:<b>`: first responses / resolutions that took bucket `b` business minutes;
 * - `res:count`, `res:minutes`: resolutions with a handoff start, and their minutes summed;
 * - `agent:<id>:fr:count|fr:minutes|fr:met|fr:m:<b>`: first responses by that agent;
 * - `agent:<id>:resolved`: conversations that agent closed (their "handled");
 * - `agent:<id>:replies`: messages that agent sent customers (written by reply-6.lua);
 * - `agent:<id>:served`: chats that agent replied in, counted when the chat came to them and they
 *   replied (a transfer's receiver too; reply-6.lua).
 * Medians come from the histograms: exact to the minute for the first hour, then within the bucket.
 */

/** The largest bucket: anything longer counts as this many minutes (a week of business minutes). */
export const MAX_BUCKET_MINUTES = 10_080;

/**
 * A duration's bucket (its lower bound): every minute up to an hour, then 5 minutes up to 4 hours,
 * 15 up to a day, then hours. A day's hash keeps a few dozen fields whatever the traffic.
 */
export function bucketOf(minutes: number): number {
  const m = Math.min(Math.max(0, Math.round(minutes)), MAX_BUCKET_MINUTES);
  if (m < 60) return m;
  if (m < 240) return m - (m % 5);
  if (m < 1440) return m - (m % 15);
  return m - (m % 60);
}

export function firstResponseFields(minutes: number, met: 0 | 1, agentId?: string): Record<string, number> {
  const b = bucketOf(minutes);
  const f: Record<string, number> = { [`fr:m:${b}`]: 1 };
  if (agentId) {
    const a = `agent:${agentId}:`;
    f[`${a}fr:count`] = 1;
    f[`${a}fr:minutes`] = Math.max(0, Math.round(minutes));
    if (met) f[`${a}fr:met`] = 1;
    f[`${a}fr:m:${b}`] = 1;
  }
  return f;
}

/** `minutes` null: no handoff start known (nothing timed); `agentId` absent: closed by the system. */
export function resolutionFields(minutes: number | null, agentId?: string): Record<string, number> {
  const f: Record<string, number> = {};
  if (minutes !== null) {
    f['res:count'] = 1;
    f['res:minutes'] = Math.max(0, Math.round(minutes));
    f[`res:m:${bucketOf(minutes)}`] = 1;
  }
  if (agentId) f[`agent:${agentId}:resolved`] = 1;
  return f;
}

/** The median of a histogram (bucket -> count): the lower middle bucket; null when empty. */
export function histogramMedian(hist: ReadonlyMap<number, number>): number | null {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const half = Math.ceil(total / 2);
  let seen = 0;
  for (const b of [...hist.keys()].sort((x, y) => x - y)) {
    seen += hist.get(b)!;
    if (seen >= half) return b;
  }
  return null;
}

export interface AgentServiceCounts {
  handled: number;
  replies: number;
  served: number;
  fr: { count: number; minutes: number; met: number; hist: Map<number, number> };
}

export interface ServiceCounts {
  frHist: Map<number, number>;
  res: { count: number; minutes: number; hist: Map<number, number> };
  agents: Map<string, AgentServiceCounts>;
}

const add = (m: Map<number, number>, b: number, n: number) => m.set(b, (m.get(b) ?? 0) + n);

/** The service fields of summed day counters, grouped (other fields are ignored). */
export function readServiceCounts(counters: Record<string, number>): ServiceCounts {
  const out: ServiceCounts = { frHist: new Map(), res: { count: 0, minutes: 0, hist: new Map() }, agents: new Map() };
  const agent = (id: string): AgentServiceCounts => {
    let a = out.agents.get(id);
    if (!a) out.agents.set(id, (a = { handled: 0, replies: 0, served: 0, fr: { count: 0, minutes: 0, met: 0, hist: new Map() } }));
    return a;
  };
  for (const [field, n] of Object.entries(counters)) {
    if (field.startsWith('fr:m:')) add(out.frHist, Number(field.slice(5)), n);
    else if (field.startsWith('res:m:')) add(out.res.hist, Number(field.slice(6)), n);
    else if (field === 'res:count') out.res.count += n;
    else if (field === 'res:minutes') out.res.minutes += n;
    else if (field.startsWith('agent:')) {
      const [, id, ...rest] = field.split(':');
      if (!id) continue;
      const what = rest.join(':');
      const a = agent(id);
      if (what === 'resolved') a.handled += n;
      else if (what === 'replies') a.replies += n;
      else if (what === 'served') a.served += n;
      else if (what === 'fr:count') a.fr.count += n;
      else if (what === 'fr:minutes') a.fr.minutes += n;
      else if (what === 'fr:met') a.fr.met += n;
      else if (what.startsWith('fr:m:')) add(a.fr.hist, Number(what.slice(5)), n);
    }
  }
  return out;
}
