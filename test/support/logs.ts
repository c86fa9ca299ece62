/**
 * A pino logger whose JSON lines a test can read and wait on: a component's log line ("messages
 * reloaded", "knowledge base reloaded") is often the one observable sign that it has processed an
 * input. Free of vitest.
 */
import { pino, type Logger } from 'pino';
import { waitFor, type WaitOptions } from './waits.ts';

export interface LogRecord {
  level: number;
  msg: string;
  module?: string;
  [key: string]: unknown;
}

export interface LogCapture {
  logger: Logger;
  /** Every line logged so far, parsed. */
  records: LogRecord[];
  /** Records with this message (exact match). */
  withMsg(msg: string): LogRecord[];
  /**
   * Waits until `msg` has been logged more than `seen` times (default: at all) and returns that
   * record. Take `seen` = withMsg(msg).length before the action to wait for its line.
   */
  waitForLog(msg: string, seen?: number, opts?: WaitOptions): Promise<LogRecord>;
}

export function captureLogs(level: pino.LevelWithSilent = 'info'): LogCapture {
  const records: LogRecord[] = [];
  const logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  const withMsg = (msg: string): LogRecord[] => records.filter((r) => r.msg === msg);
  return {
    logger,
    records,
    withMsg,
    waitForLog: (msg, seen = 0, opts) =>
      waitFor(() => `the log line "${msg}" (#${seen + 1}; logged: ${JSON.stringify(records.slice(-20).map((r) => r.msg))})`, () => withMsg(msg)[seen], opts),
  };
}
