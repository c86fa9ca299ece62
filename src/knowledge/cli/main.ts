/**
 * `kb` — the knowledge editors' command line (see docs/knowledge-base.md):
 *   kb lint [--kb DIR] [--self-check]
 *   kb ask  [--kb DIR] --json ["question" …]  (the questions given, else stdin's lines; JSON lines on stdout)
 *   kb ask  [--kb DIR] "question"
 *   kb eval [--kb DIR] --cases FILE.jsonl [--verbose] [--by-type]
 * Standard output carries only the command's result; diagnostics go to stderr.
 */
import { parseArgs } from 'node:util';
import { KefuError } from '../../errors.ts';
import { runAsk } from './ask.ts';
import { runEval } from './eval.ts';
import { runLint } from './lint.ts';

const USAGE = `usage:
  kb lint [--kb DIR] [--self-check] check every editor file (--self-check: the rates its own phrasings predict)
  kb ask  [--kb DIR] --json [Q …]    one JSON line each on stdout for the questions given, else stdin's lines
  kb ask  [--kb DIR] "question"      show the decision and the answer as WeChat shows it
  kb eval [--kb DIR] --cases FILE    rates and latency on {"q", "expect", "type"?} lines
options:
  --kb DIR       knowledge base directory (default ./knowledge-base)
  --answer X     answer threshold 0..1 (default: the calibrated one)
  --suggest X    suggest threshold 0..1 (default: the calibrated one)
  --verbose      eval: list every question that was not answered correctly
  --by-type      eval: the rates per case "type" (close, colloquial, typo, trap, …)`;

class UsageError extends KefuError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

function threshold(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new UsageError(`--${name} must be a number from 0 to 1`);
  return x;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kb: { type: 'string', default: 'knowledge-base' },
      json: { type: 'boolean', default: false },
      cases: { type: 'string' },
      answer: { type: 'string' },
      suggest: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'by-type': { type: 'boolean', default: false },
      'self-check': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    process.stderr.write(`${USAGE}\n`);
    return values.help || command === 'help' ? 0 : 2;
  }
  const kbDir = values.kb!;
  const thresholds = { answer: threshold('answer', values.answer), suggest: threshold('suggest', values.suggest) };
  if (thresholds.answer !== undefined && thresholds.suggest !== undefined && thresholds.suggest > thresholds.answer) {
    throw new UsageError(`--suggest ${thresholds.suggest} is above --answer ${thresholds.answer}: a question sure enough to answer is always sure enough to suggest`);
  }
  switch (command) {
    case 'lint':
      return runLint(kbDir, values['self-check']!);
    case 'ask':
      if (!values.json && rest.join('').trim() === '') throw new UsageError('ask needs a question, or --json to read questions from stdin');
      return runAsk(kbDir, thresholds, rest, values.json!);
    case 'eval':
      if (!values.cases) throw new UsageError('eval needs --cases FILE.jsonl');
      return runEval(kbDir, thresholds, values.cases, values.verbose!, values['by-type']!);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`kb: ${err.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`kb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
