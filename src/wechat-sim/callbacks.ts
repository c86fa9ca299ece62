/**
 * Calls the adapter back the way WeChat does: one HTTP request, abandoned when it takes longer
 * than the timeout (5 s), then retried — three retries in all — with the very same request.
 * Counts attempts, deliveries, retries and give-ups per channel.
 */
import type { Logger } from '../logger.ts';
import type { CallbackOutcome, CallbackStats, Channel, DeliveryResult } from './types.ts';

export interface CallbackRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  contentType?: string;
}

/** Whether an answer counts as received (else WeChat tries again). */
export type AcceptAnswer = (status: number, body: string) => boolean;

export interface CallbackSenderOptions {
  timeoutMs: number;
  retries: number;
  logger?: Logger;
}

const emptyStats = (): CallbackStats => ({ attempts: 0, delivered: 0, retried: 0, failed: 0 });

export class CallbackSender {
  private readonly counters: Record<Channel, CallbackStats> = { 'wecom-kf': emptyStats(), oa: emptyStats() };
  private readonly inFlight = new Set<AbortController>();
  private closed = false;
  private readonly log: Logger | undefined;

  constructor(private readonly options: CallbackSenderOptions) {
    this.log = options.logger?.child({ module: 'wechat-sim' });
  }

  stats(): Record<Channel, CallbackStats> {
    return { 'wecom-kf': { ...this.counters['wecom-kf'] }, oa: { ...this.counters.oa } };
  }

  private async attempt(request: CallbackRequest): Promise<{ outcome: CallbackOutcome; status?: number; body?: string }> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.options.timeoutMs);
    try {
      const res = await fetch(request.url, {
        method: request.method,
        body: request.body,
        headers: request.contentType ? { 'content-type': request.contentType } : undefined,
        signal: controller.signal,
      });
      const body = await res.text();
      return { outcome: 'ok', status: res.status, body };
    } catch {
      return { outcome: controller.signal.aborted && !this.closed ? 'timeout' : 'error' };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Sends `request` until `accept` likes an answer or the retries run out (the URL check passes 0). */
  async send(channel: Channel, request: CallbackRequest, accept: AcceptAnswer, retries = this.options.retries): Promise<DeliveryResult> {
    const stats = this.counters[channel];
    let last: { outcome: CallbackOutcome; status?: number; body?: string } = { outcome: 'error' };
    let attempts = 0;
    while (attempts <= retries && !this.closed) {
      if (attempts > 0) stats.retried++;
      attempts++;
      stats.attempts++;
      last = await this.attempt(request);
      if (last.outcome === 'ok') {
        if (accept(last.status as number, last.body ?? '')) {
          stats.delivered++;
          return { delivered: true, attempts, outcome: 'ok', status: last.status, body: last.body };
        }
        last = { ...last, outcome: 'rejected' };
      }
      this.log?.debug({ channel, attempt: attempts, outcome: last.outcome, status: last.status }, 'callback attempt not accepted');
    }
    stats.failed++;
    this.log?.warn({ channel, attempts, outcome: last.outcome }, 'callback given up after every retry');
    return { delivered: false, attempts, outcome: last.outcome, status: last.status, body: last.body };
  }

  /** Stops retrying and abandons requests in flight. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort(new Error('simulator closed'));
  }
}
