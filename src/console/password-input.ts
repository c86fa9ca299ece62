/**
 * How the command line gets a password without taking it in argv (where `ps` shows it to every
 * user and the shell history keeps it): the first line of stdin, or a prompt that does not echo.
 */
import { KefuError } from '../errors.ts';

export class PasswordInputError extends KefuError {
  constructor(message: string) {
    super('PASSWORD_INPUT', message);
  }
}

/** The first line of stdin, without its line ending (a pipe, a file, a heredoc). */
export async function readStdinLine(): Promise<string> {
  let data = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split(/\r?\n/)[0] ?? '';
}

const ENTER = new Set(['\r', '\n', '\u0004']);
const ERASE = new Set(['\u007f', '\b']);

/**
 * Asks on stderr and reads one line from the terminal with echo off (raw mode): nothing of the
 * password reaches the screen. Ctrl-C cancels (exit code 130 from the caller).
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new PasswordInputError('no terminal to ask for a password: use --password-stdin'));
  // Raw mode first, then the question: whatever is typed after the question is never echoed.
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      // Arrow keys and the like arrive as escape sequences: not part of a password.
      if (chunk.startsWith('\u001b')) return;
      for (const ch of chunk) {
        if (ch === '\u0003') {
          finish();
          reject(new PasswordInputError('cancelled'));
          return;
        }
        if (ENTER.has(ch)) {
          finish();
          resolve(value);
          return;
        }
        if (ERASE.has(ch)) value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
