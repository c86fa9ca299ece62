import { randomInt } from 'node:crypto';
import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * What a password must be, wherever one is set (the CLI, the store, the demo, the first admin).
 *
 * Length and kinds of characters catch the obvious; zxcvbn (with the common-password list of
 * @zxcvbn-ts/language-common, offline) catches the rest: leaked passwords and their variants,
 * sequences, repeats, keyboard rows, dates and the username itself. Each problem comes with an
 * English message (CLI, logs) and a zh-CN one (the console UI).
 */

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;
/** A passphrase this long may be a single kind of character ("correct horse battery staple"). */
const PASSPHRASE_LENGTH = 16;
/** zxcvbn's 3: about 10^8 guesses or more; below that the attempts a lockout allows add up. */
const MIN_SCORE = 3;

export type PasswordProblemCode = 'TOO_SHORT' | 'TOO_LONG' | 'ONE_KIND' | 'COMMON' | 'HAS_USERNAME' | 'GUESSABLE';

export interface PasswordProblem {
  code: PasswordProblemCode;
  /** English, for the command line and API messages: "must be at least 10 characters". */
  message: string;
  /** zh-CN, for the console UI. */
  zh: string;
}

const PROBLEMS: Record<PasswordProblemCode, Omit<PasswordProblem, 'code'>> = {
  TOO_SHORT: { message: `must be at least ${PASSWORD_MIN_LENGTH} characters`, zh: `密码至少需要 ${PASSWORD_MIN_LENGTH} 个字符` },
  TOO_LONG: { message: `must be at most ${PASSWORD_MAX_LENGTH} characters`, zh: `密码不能超过 ${PASSWORD_MAX_LENGTH} 个字符` },
  ONE_KIND: {
    message: `must mix at least two of letters, digits and symbols (or be a passphrase of ${PASSPHRASE_LENGTH}+ characters)`,
    zh: `密码需要包含字母、数字、符号中的至少两种（或使用 ${PASSPHRASE_LENGTH} 个字符以上的短语）`,
  },
  COMMON: { message: 'is a common password', zh: '这是常见密码，很容易被猜到，请换一个' },
  HAS_USERNAME: { message: 'is too close to the username', zh: '密码与用户名太相似，请换一个' },
  GUESSABLE: {
    message: 'is too easy to guess (a sequence, repeat, keyboard pattern or date)',
    zh: '密码太容易被猜到（如连续或重复的字符、键盘顺序、日期），请换一个',
  },
};

const problem = (code: PasswordProblemCode): PasswordProblem => ({ code, ...PROBLEMS[code] });

/**
 * Pieces of passwords common in China that the (Western) common list ranks low or misses: pinyin
 * phrases, "520"/"1314" (love numbers) and the product's own words.
 */
const COMMON_ZH = [
  'woaini', '5201314', '1314520', '1314', '520', '521', 'aini', 'woaini1314', 'wodemima', 'mima', 'zhongguo',
  'baobao', 'laopo', 'laogong', 'xiaoming', 'wangwang', 'nihao', 'beijing', 'shanghai', 'kefu', 'weixin',
  'wechat', 'taobao', 'admin', 'qq', 'tianya', 'xiaohua', 'xiaoyu', 'huawei', 'xiaomi',
];

/** zxcvbn's warnings that mean "a known password" rather than "a pattern". */
const COMMON_WARNINGS = new Set(['topTen', 'topHundred', 'common', 'similarToCommon', 'wordByItself', 'commonNames', 'namesByThemselves']);

// Built on first use: the dictionaries take a moment and some memory, and most processes never set a password.
let checker: ZxcvbnFactory | undefined;
const zxcvbn = (): ZxcvbnFactory =>
  (checker ??= new ZxcvbnFactory({ dictionary: { ...dictionary, 'passwords-zh': COMMON_ZH }, graphs: adjacencyGraphs }));

/** Letters (any script), digits, and everything else. */
function kinds(password: string): number {
  return [/\p{L}/u, /\p{N}/u, /[^\p{L}\p{N}]/u].filter((re) => re.test(password)).length;
}

function guessability(result: ZxcvbnResult): PasswordProblem {
  const warning = result.feedback.warning ?? '';
  if (warning === 'userInputs' || result.sequence.some((m) => m.pattern === 'dictionary' && 'dictionaryName' in m && m.dictionaryName === 'userInputs')) {
    return problem('HAS_USERNAME');
  }
  const fromList = result.sequence.some(
    (m) => m.pattern === 'dictionary' && 'dictionaryName' in m && String(m.dictionaryName).startsWith('passwords-'),
  );
  if (COMMON_WARNINGS.has(warning) || fromList) return problem('COMMON');
  return problem('GUESSABLE');
}

/** The account's own words as zxcvbn's user inputs: "Zhang Xiaoming" is also "zhangxiaoming", "zhang", "xiaoming". */
function knownWords(account: { username?: string; name?: string }): string[] {
  const words = new Set<string>();
  for (const text of [account.username, account.name]) {
    if (typeof text !== 'string' || text.trim() === '') continue;
    const parts = text.toLowerCase().split(/[\s._-]+/).filter((w) => w.length >= 3);
    for (const w of [text.toLowerCase(), parts.join(''), ...parts]) if (w) words.add(w);
  }
  return [...words];
}

/**
 * Everything wrong with `password` for this account (none: it may be set). `username` and `name`
 * count as known words: a password made of them is refused.
 */
export function passwordProblems(password: string, account: { username?: string; name?: string } = {}): PasswordProblem[] {
  const length = [...password].length;
  if (length > PASSWORD_MAX_LENGTH) return [problem('TOO_LONG')];
  const problems: PasswordProblem[] = [];
  if (length < PASSWORD_MIN_LENGTH) problems.push(problem('TOO_SHORT'));
  if (length < PASSPHRASE_LENGTH && kinds(password) < 2) problems.push(problem('ONE_KIND'));
  const result = zxcvbn().check(password, knownWords(account));
  if (result.score < MIN_SCORE) problems.push(guessability(result));
  return problems;
}

/** No 0/O, 1/l/I: generated passwords are read off a screen and typed. */
const ALPHABET = {
  lower: 'abcdefghijkmnopqrstuvwxyz',
  upper: 'ABCDEFGHJKLMNPQRSTUVWXYZ',
  digits: '23456789',
};

/**
 * A random password the policy accepts: `length` characters (16 by default, about 90 bits), with
 * lower- and upper-case letters and digits.
 */
export function generatePassword(length = 16): string {
  const all = ALPHABET.lower + ALPHABET.upper + ALPHABET.digits;
  for (;;) {
    const chars = Array.from({ length }, () => all[randomInt(all.length)]!);
    const password = chars.join('');
    const mixed = Object.values(ALPHABET).every((set) => chars.some((c) => set.includes(c)));
    // A random draw that reads like a word or a pattern is drawn again (rare).
    if (mixed && passwordProblems(password).length === 0) return password;
  }
}
