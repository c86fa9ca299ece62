/**
 * The process's Prometheus metrics: one registry per process (bot and console share it when they
 * run together), with the bot's counters and timings behind the plugin's `BotMetrics` hooks.
 * GET /metrics serves it (the console, or the bot role's small ops server).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BotMetrics } from './bot/config.ts';

export interface KefuMetrics {
  registry: Registry;
  bot: BotMetrics;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): KefuMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'kefu_' });
  const registers = [registry];

  const received = new Counter({ name: 'kefu_messages_in_total', help: 'Customer messages the bot took in, by kind', labelNames: ['kind'] as const, registers });
  const sent = new Counter({
    name: 'kefu_messages_out_total',
    help: 'Messages WeChat accepted from the bot account: the bot\'s own, agent replies, notices',
    labelNames: ['source'] as const,
    registers,
  });
  const outcomes = new Counter({
    name: 'kefu_bot_outcomes_total',
    help: 'What the bot made of customer messages: answer, suggest, unanswered, helpful, not_helpful',
    labelNames: ['outcome'] as const,
    registers,
  });
  const handoffs = new Counter({ name: 'kefu_handoffs_total', help: 'Conversations queued for a person, by reason', labelNames: ['reason'] as const, registers });
  const failures = new Counter({ name: 'kefu_send_failures_total', help: 'Sends WeChat refused, by source', labelNames: ['source'] as const, registers });
  const match = new Histogram({
    name: 'kefu_match_duration_seconds',
    help: 'Time the matching engine took for one question',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
    registers,
  });
  const relay = new Histogram({
    name: 'kefu_relay_duration_seconds',
    help: 'From an agent reply entering the outbound stream to WeChat accepting it',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers,
  });

  return {
    registry,
    bot: {
      received: (kind) => received.inc({ kind }),
      sent: (source) => sent.inc({ source }),
      outcome: (outcome) => outcomes.inc({ outcome }),
      handoff: (reason) => handoffs.inc({ reason }),
      sendFailed: (source) => failures.inc({ source }),
      matchSeconds: (s) => match.observe(s),
      relaySeconds: (s) => relay.observe(s),
    },
  };
}

/** What the archive metrics read at scrape time (src/archive/service.ts's ArchiveService has it). */
export interface ArchiveStatusSource {
  status(): { up: boolean; lagMs?: number; archived: number; trimmed: number };
}

/**
 * The archive's state at /metrics, read from the archiver at scrape time: kefu_archive_up (0 while
 * PostgreSQL cannot be reached: archiving paused, nothing trimmed), how far behind it is, and what
 * this process archived and trimmed since it started.
 */
export function registerArchiveMetrics(registry: Registry, archive: ArchiveStatusSource): void {
  const registers = [registry];
  new Gauge({
    name: 'kefu_archive_up',
    help: '1 while the archive\'s PostgreSQL answers; 0 while it cannot be reached (archiving paused, nothing trimmed from Redis)',
    registers,
    collect() {
      this.set(archive.status().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kefu_archive_lag_seconds',
    help: 'How far the archive is behind Redis as of its last run (while PostgreSQL is down: time since the last good run)',
    registers,
    collect() {
      const { lagMs } = archive.status();
      // Unknown (no run yet): absent rather than a made-up figure.
      if (lagMs === undefined) this.reset();
      else this.set(lagMs / 1000);
    },
  });
  // Counters whose value the archiver keeps: set at scrape time from its totals.
  const total = (name: string, help: string, read: (s: ReturnType<ArchiveStatusSource['status']>) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const n = read(archive.status());
        if (n > 0) this.inc(n);
      },
    });
  total('kefu_archive_archived_total', 'Conversations this process copied (or brought up to date) in PostgreSQL', (s) => s.archived);
  total('kefu_archive_trimmed_total', 'Conversations this process trimmed from Redis after they were archived', (s) => s.trimmed);
}
