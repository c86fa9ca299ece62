/**
 * Writes src/knowledge/engine/lexicon/pinyin-words.txt: jieba's common words by toneless reading,
 * the table that turns pinyin typed without an input method back into Han text
 * (src/knowledge/engine/pinyin-input.ts). Run again after upgrading @node-rs/jieba or pinyin-pro:
 *
 *   npx tsx scripts/pinyin-words.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildGeneralWords, formatGeneralWords, GENERAL_WORDS_FILE } from '../src/knowledge/engine/pinyin-input.ts';

const require = createRequire(import.meta.url);
const text = formatGeneralWords(buildGeneralWords(readFileSync(require.resolve('@node-rs/jieba/dict.txt'), 'utf8')));
writeFileSync(GENERAL_WORDS_FILE, text);
console.error(`${GENERAL_WORDS_FILE.pathname}: ${text.split('\n').length - 1} readings`);
