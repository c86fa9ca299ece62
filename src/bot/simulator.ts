/**
 * The demo's WeChat simulator on wechaty-puppet-mock: each simulated customer is a mock contact
 * talking to the bot's logged-in mock account, and what it hears is recorded as its phone would
 * show it (agent replies come from the bot's account, so they read as the bot's lines).
 */
import type { mock } from 'wechaty-puppet-mock';

export interface SimulatedLine {
  from: 'customer' | 'bot';
  text: string;
  at: string;
}

export interface SimulatorOptions {
  /** At most this many customers (the demo keeps everything in memory). Default 500. */
  maxCustomers?: number;
  /** Lines kept per chat (the oldest go first). Default 500. */
  maxLines?: number;
}

export class SimulatorFullError extends Error {
  readonly code = 'SIMULATOR_FULL';
}

export class MockWeChatSimulator {
  private readonly chats = new Map<string, { contact: mock.ContactMock; lines: SimulatedLine[] }>();
  private readonly maxCustomers: number;
  private readonly maxLines: number;

  constructor(
    private readonly mocker: mock.Mocker,
    /** The bot's own (logged-in) mock account. */
    private readonly botUser: mock.ContactMock,
    opts: SimulatorOptions = {},
  ) {
    this.maxCustomers = opts.maxCustomers ?? 500;
    this.maxLines = opts.maxLines ?? 500;
  }

  async say(customer: string, text: string): Promise<void> {
    this.contactOf(customer).say(text).to(this.botUser);
  }

  chat(customer: string): SimulatedLine[] {
    return [...(this.chats.get(customer)?.lines ?? [])];
  }

  customers(): string[] {
    return [...this.chats.keys()];
  }

  private contactOf(name: string): mock.ContactMock {
    const known = this.chats.get(name);
    if (known) return known.contact;
    if (this.chats.size >= this.maxCustomers) throw new SimulatorFullError(`the simulator holds at most ${this.maxCustomers} customers`);
    const contact = this.mocker.createContact({ name });
    const chat = { contact, lines: [] as SimulatedLine[] };
    // The mock emits every message to and from this contact; group chats are not simulated.
    contact.on('message', (m: mock.MessageMock) => {
      if (m.payload.roomId) return;
      const from = m.payload.talkerId === this.botUser.id ? 'bot' : m.payload.talkerId === contact.id ? 'customer' : null;
      if (!from) return;
      chat.lines.push({ from, text: m.payload.text ?? '', at: new Date(m.payload.timestamp || Date.now()).toISOString() });
      if (chat.lines.length > this.maxLines) chat.lines.splice(0, chat.lines.length - this.maxLines);
    });
    this.chats.set(name, chat);
    return contact;
  }
}
