import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Customer names and message text never reach the logs: they are personal data, and logs
 * are shipped to places the customer never agreed to.
 */
export const REDACT_PATHS = [
  'text',
  '*.text',
  'customer.name',
  '*.customer.name',
  'customerName',
  'question',
  '*.question',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
];

export interface LoggerConfig {
  level: LoggerOptions['level'];
  /** Human-friendly output for terminals; JSON lines otherwise. */
  pretty: boolean;
  /** 1 = stdout, 2 = stderr (CLIs keep stdout for their own output). */
  fd?: 1 | 2;
}

export function createLogger({ level, pretty, fd = 1 }: LoggerConfig): Logger {
  const options: LoggerOptions = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (pretty) {
    return pino(options, pino.transport({ target: 'pino-pretty', options: { destination: fd, colorize: true } }));
  }
  return pino(options, pino.destination({ fd, sync: fd === 2 }));
}
