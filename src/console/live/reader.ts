/**
 * The app's one EventReader for the live sockets: a blocking connection per bot account plus one
 * plain connection (discovery), made when the first socket joins. A start that fails (Redis down)
 * is forgotten, so the next socket tries again.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { EventReader, type EventReaderOptions, type Handoff, type HandoffEvent } from '../../handoff/index.ts';

export interface SharedReaderOptions {
  handoff: Handoff;
  connect: () => Redis | Cluster;
  reader?: Pick<EventReaderOptions, 'blockMs' | 'discoverMs'>;
  logger?: Logger;
  onEvent: (event: HandoffEvent) => void;
}

interface Running {
  reader: EventReader;
  registry: Redis | Cluster;
  started: Promise<void>;
}

export class SharedReader {
  private current: Running | null = null;

  constructor(private readonly o: SharedReaderOptions) {}

  /** True from the first start until a failed start or `stop`. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Starts the reader unless it runs; resolves once it reads, rejects when its start failed. */
  start(): Promise<void> {
    if (!this.current) {
      const registry = this.o.connect();
      const reader = new EventReader(registry, this.o.connect, this.o.handoff.keys, { ...this.o.reader, logger: this.o.logger });
      reader.onEvent(this.o.onEvent);
      const made: Running = { reader, registry, started: reader.start() };
      this.current = made;
      made.started.catch(async () => {
        if (this.current === made) this.current = null;
        await reader.stop().catch(() => undefined);
        registry.disconnect();
      });
    }
    return this.current.started;
  }

  /** The reader's plain connection (null when not running): short reads that go with its events. */
  connection(): Redis | Cluster | null {
    return this.current?.registry ?? null;
  }

  /** Per bot account, the id of the last event read (null when not running). */
  positions(): Record<string, string> | null {
    return this.current ? this.current.reader.positions() : null;
  }

  async stop(): Promise<void> {
    const s = this.current;
    this.current = null;
    if (!s) return;
    await s.started.catch(() => undefined);
    await s.reader.stop();
    s.registry.disconnect();
  }
}
