import { Matcher } from '../engine/matcher.ts';
import { lintEditorFiles } from '../editor-files.ts';
import { problemLine } from './load.ts';

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(0)}%`);

/**
 * `kb lint`: every editor file of the knowledge base; exit 1 with file:line: message lines on any
 * problem. `--self-check` adds what the FAQ's own material predicts: its phrasings held out and
 * matched against the rest, and look-alikes made from them (see engine/self-calibrate.ts).
 */
export async function runLint(kbDir: string, selfCheck = false): Promise<number> {
  const { kb, messages, replies, problems } = await lintEditorFiles(kbDir);
  if (!kb || problems.length > 0) {
    for (const p of problems) process.stdout.write(`${problemLine(kbDir, p)}\n`);
    return 1;
  }
  const categories = new Set(kb.entries.map((e) => e.category));
  const alternates = kb.entries.reduce((n, e) => n + e.alternates.length, 0);
  const menu = kb.entries.filter((e) => e.menu !== undefined).length;
  const phrases = messages ? `, ${Object.keys(messages).length} bot phrases` : '';
  const templates = replies ? `, ${replies.length} reply templates` : '';
  process.stdout.write(
    `${kbDir}: ok — ${kb.entries.length} entries, ${alternates} alternates, ${categories.size} categories, ${menu} in the menu${phrases}${templates}\n`,
  );
  if (!messages) {
    process.stdout.write(
      'note: no _messages.yml here: the bot needs its phrases (greeting, "did you mean", handoff …) to run on this folder; copy knowledge-base/_messages.yml (and _replies.yml, _smalltalk.yml) and edit them\n',
    );
  }
  if (selfCheck) {
    const m = new Matcher(kb);
    const { thresholds, atDefault: e } = m.selfCalibrate();
    process.stdout.write(
      `self-check at answer threshold ${m.thresholds.answer}: held-out phrasings answered right ${pct(e.answeredRight, e.heldOut)} (${e.answeredRight}/${e.heldOut}), wrong ${pct(e.answeredWrong, e.heldOut)}; ` +
        `look-alikes answered ${pct(e.lookalikeAnswered, e.lookalikes)} (${e.lookalikeAnswered}/${e.lookalikes}); this FAQ's own operating point: answer ${thresholds.answer} (KB_ANSWER_THRESHOLD, or kb ask/eval --answer, to try it)\n`,
    );
  }
  return 0;
}
