/**
 * Counts the round trips one ioredis client makes to Redis, for the round-trip test and
 * bench/handoff.ts (free of vitest). A round trip is what a caller has to wait for: commands
 * written before any answer came back cannot depend on one another's answers, so they share one
 * (a pipeline, a MULTI block, commands sent side by side with Promise.all); a command written
 * after an answer arrived may have waited for it, so it starts the next one. That is an upper
 * bound on the turn's chain of waits, never an under-count (unrelated traffic on the same client
 * would only add rounds), and it counts what latency costs: an EVALSHA refused with NOSCRIPT and
 * sent again as EVAL is two.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

interface SentCommand {
  name: string;
  args: unknown[];
  promise: Promise<unknown>;
}

/** One round trip: the commands written together, as `NAME arg0` (arg0 shortened). */
export type Round = string[];

export interface RoundTripCounter {
  /** Starts a fresh count (the client's commands until `stop`). */
  start(): void;
  /** Stops counting; the rounds seen since `start`. */
  stop(): Round[];
  /** Commands written and not yet answered (counted or not). */
  inFlight(): number;
  /** Commands written since `stop` (kept to prove nothing of the counted work came late), as in `Round`. */
  after(): string[];
  /** Puts the client's own `sendCommand` back. */
  detach(): void;
}

/** The handoff's scripts by sha1, so that a round reads `EVALSHA append-15` instead of a hash. */
const LUA_DIR = new URL('../../src/handoff/lua/', import.meta.url);
const SCRIPTS = new Map(
  readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => [createHash('sha1').update(readFileSync(new URL(f, LUA_DIR), 'utf8')).digest('hex'), f.slice(0, -4)]),
);

const label = (c: SentCommand): string => {
  const first = c.args[0];
  const text = typeof first === 'string' || typeof first === 'number' ? String(first) : Buffer.isBuffer(first) ? first.toString() : '';
  const shown = SCRIPTS.get(text) ?? text;
  return `${c.name.toUpperCase()}${shown ? ` ${shown.length > 48 ? `${shown.slice(0, 48)}…` : shown}` : ''}`;
};

/** Wraps `redis.sendCommand` (every command, pipelines' and scripts' too, passes through it). */
export function countRoundTrips(redis: Redis | Cluster): RoundTripCounter {
  const client = redis as unknown as { sendCommand: (command: SentCommand, ...rest: unknown[]) => unknown };
  const original = client.sendCommand;
  let counting = false;
  let rounds: Round[] = [];
  let late: string[] = [];
  /** An answer arrived since the last command was written: the next command starts a round. */
  let answered = true;
  let pending = 0;
  client.sendCommand = function (this: unknown, command: SentCommand, ...rest: unknown[]) {
    pending++;
    const settled = () => {
      pending--;
      answered = true;
    };
    // Registered before the caller's own continuation, so it runs first when the answer comes.
    command.promise.then(settled, settled);
    if (counting) {
      if (answered || rounds.length === 0) rounds.push([]);
      rounds.at(-1)!.push(label(command));
    } else {
      late.push(label(command));
    }
    answered = false;
    return original.call(this, command, ...rest);
  };
  return {
    start() {
      counting = true;
      rounds = [];
      answered = true;
    },
    stop() {
      counting = false;
      late = [];
      return rounds;
    },
    inFlight: () => pending,
    after: () => late,
    detach() {
      client.sendCommand = original;
    },
  };
}
