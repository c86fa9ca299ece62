/**
 * Sessions of open sockets are re-validated in batches: a socket whose token no longer works
 * (logout, password change, agent disabled, in this process or any other sharing Redis, or with the
 * `kefu` command) is closed 4401 within one interval, and a role change reaches the feed's filter.
 * Sockets sharing a token cost one check. While Redis does not answer, sockets are left open: an
 * outage is not a sign-out.
 */
import type { AgentStore, Agent } from '../auth/index.ts';
import type { Logger } from '../../logger.ts';
import type { Client } from './protocol.ts';

export interface SessionCheckOptions {
  agents: AgentStore;
  clients: () => Iterable<Client>;
  /** The session ended: close the socket. */
  onEnded: (client: Client) => void;
  /** The agent as it is now (roles may have changed). */
  onRefreshed: (client: Client, agent: Agent) => void;
  logger?: Logger;
  /** Tokens checked at once (default 16). */
  concurrency?: number;
}

/** Live apps per AgentStore, so an in-process change can re-check at once. */
const registry = new WeakMap<AgentStore, Set<() => Promise<void>>>();

/**
 * Re-validates now every live socket of the apps that use `agents`: call after disabling an agent,
 * changing its roles or revoking its sessions in this process, so its sockets close at once rather
 * than at the next periodic check.
 */
export async function revalidateLiveSessions(agents: AgentStore): Promise<void> {
  await Promise.all([...(registry.get(agents) ?? [])].map((check) => check()));
}

/** Returns the check (one at a time: a call during a run waits for that run) and its unregister function. */
export function sessionChecker(o: SessionCheckOptions): { check: () => Promise<void>; dispose: () => void } {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;

  async function run(): Promise<void> {
    const byToken = new Map<string, Client[]>();
    for (const c of o.clients()) {
      if (!c.agent || !c.token || c.closed) continue;
      const list = byToken.get(c.token);
      if (list) list.push(c);
      else byToken.set(c.token, [c]);
    }
    const tokens = [...byToken.keys()];
    const workers = Array.from({ length: Math.min(o.concurrency ?? 16, tokens.length) }, async () => {
      for (let token = tokens.pop(); token !== undefined; token = tokens.pop()) {
        let agent: Agent | null;
        try {
          agent = await o.agents.authenticate(token);
        } catch (err) {
          o.logger?.debug({ err }, 'live session check failed');
          continue;
        }
        for (const c of byToken.get(token) ?? []) {
          if (c.closed) continue;
          if (agent) o.onRefreshed(c, agent);
          else o.onEnded(c);
        }
      }
    });
    await Promise.all(workers);
  }

  const check = (): Promise<void> => {
    if (!running) {
      running = run()
        .catch((err: unknown) => o.logger?.warn({ err }, 'live session check failed'))
        .finally(() => {
          running = null;
        });
      return running;
    }
    // A change made during a run may have been read before it: one more run after it, shared by
    // every caller meanwhile.
    queued ??= running.then(() => {
      queued = null;
      return check();
    });
    return queued;
  };

  let set = registry.get(o.agents);
  if (!set) registry.set(o.agents, (set = new Set()));
  set.add(check);
  return { check, dispose: () => registry.get(o.agents)?.delete(check) };
}
