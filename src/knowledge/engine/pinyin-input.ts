import { readFileSync } from 'node:fs';
import { pinyin } from 'pinyin-pro';

/**
 * Pinyin typed instead of characters ("tuikuan zenme tui", "wodemimawangle") turned back into
 * Han text, the way an input method would: the letters are cut into syllables, then the syllables
 * into the likeliest words, preferring the knowledge base's own words over the general dictionary.
 * Toneless; ü may be typed v or u ("lv", "lu").
 */

const SYLLABLES = new Set(
  (
    'a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng cha chai chan ' +
    'chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan ' +
    'dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou ' +
    'fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu ' +
    'hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng ' +
    'kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu ' +
    'luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ' +
    'ni nian niang niao nie nin ning niu nong nou nu nuan nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po ' +
    'pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa ' +
    'sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si ' +
    'song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei ' +
    'wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue ' +
    'yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang ' +
    'zhui zhun zhuo zi zong zou zu zuan zui zun zuo'
  ).split(' '),
);
/** "lue"/"nue" are how most people type lüe/nüe. */
const ALIASES = new Map([
  ['lue', 'lve'],
  ['nue', 'nve'],
]);
const MAX_SYLLABLE = 6;
/** Two of them outweigh a two-character word of middling frequency ("永乐", "态度"), not a common one ("怎么"). */
const KB_CHAR_WEIGHT = 9;
const MAX_WORD = 4;

/**
 * Cuts letters into syllables, fewest syllables first ("xian" is 先, not 西安; "fangan" is fang+an
 * or fan+gan: both have two, the first found wins). Undefined when the letters are not pinyin.
 */
export function syllabify(letters: string): string[] | undefined {
  const n = letters.length;
  const best: (string[] | undefined)[] = new Array(n + 1).fill(undefined);
  best[0] = [];
  for (let i = 0; i < n; i++) {
    const prefix = best[i];
    if (!prefix) continue;
    for (let len = 1; len <= MAX_SYLLABLE && i + len <= n; len++) {
      const piece = letters.slice(i, i + len);
      const syl = SYLLABLES.has(piece) ? piece : ALIASES.get(piece);
      if (!syl) continue;
      const cand = [...prefix, syl];
      const cur = best[i + len];
      if (!cur || cand.length < cur.length) best[i + len] = cand;
    }
  }
  return best[n];
}

interface Word {
  text: string;
  /** Larger is likelier: knowledge-base words far above general ones. */
  weight: number;
}

/** Every toneless reading of a word, each character's readings combined (at most a few). */
function readings(word: string): string[] {
  let out = [''];
  for (const ch of word) {
    const r = pinyin(ch, { toneType: 'none', v: true, multiple: true, type: 'array' }).filter((p) => /^[a-z]+$/.test(p));
    if (r.length === 0) return [];
    out = out.flatMap((prefix) => r.slice(0, 3).map((p) => (prefix ? `${prefix} ${p}` : p)));
    if (out.length > 8) out = out.slice(0, 8);
  }
  return out;
}

function put(map: Map<string, Word>, key: string, word: Word): void {
  const cur = map.get(key);
  if (!cur || cur.weight < word.weight) map.set(key, word);
}

/**
 * The general dictionary by reading, from jieba's dictionary: its common words (two to four
 * characters) and single characters, the likeliest word per reading. `scripts/pinyin-words.ts`
 * writes it to lexicon/pinyin-words.txt, so a server reads a small table instead of computing
 * readings for the whole dictionary (~0.7 s) when the first customer types pinyin.
 */
export function buildGeneralWords(dictText: string): Map<string, Word> {
  const map = new Map<string, Word>();
  for (const line of dictText.split('\n')) {
    const [word = '', f = '0'] = line.split(' ');
    const freq = Number(f);
    const len = [...word].length;
    // Rare words would turn typed pinyin into names and idioms; common ones are what people mean.
    if (len > MAX_WORD || !/^\p{Script=Han}+$/u.test(word) || freq < (len === 1 ? 1000 : 200)) continue;
    const weight = Math.round(Math.log(freq) * (len === 1 ? 0.5 : len) * 100) / 100;
    for (const r of readings(word)) put(map, r, { text: word, weight });
  }
  return map;
}

/** The table's text: "reading<TAB>word<TAB>weight" lines, sorted by reading. */
export function formatGeneralWords(map: Map<string, Word>): string {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, w]) => `${r}\t${w.text}\t${w.weight}`).join('\n') + '\n';
}

export const GENERAL_WORDS_FILE = new URL('./lexicon/pinyin-words.txt', import.meta.url);

let general: Map<string, Word> | undefined;

function generalWords(): Map<string, Word> {
  if (general) return general;
  const map = new Map<string, Word>();
  for (const line of readFileSync(GENERAL_WORDS_FILE, 'utf8').split('\n')) {
    const [reading, text, weight] = line.split('\t');
    if (reading && text && weight) map.set(reading, { text, weight: Number(weight) });
  }
  general = map;
  return map;
}

export class PinyinIndex {
  private readonly own = new Map<string, Word>();

  /** `words`: the knowledge base's own Han words, which typed pinyin most likely means. */
  constructor(words: Iterable<string>) {
    const chars = new Set<string>();
    for (const w of words) {
      const len = [...w].length;
      if (len < 2 || !/^\p{Script=Han}+$/u.test(w)) continue;
      for (const ch of w) chars.add(ch);
      if (len > MAX_WORD) continue;
      for (const r of readings(w)) put(this.own, r, { text: w, weight: 100 + 10 * len });
    }
    // A lone syllable is the character this knowledge base writes, not the dictionary's likeliest
    // ("cha" 查 not 茶, "shan le" 删了 not 山了): above any general character, below a common word.
    for (const ch of chars) for (const r of readings(ch)) put(this.own, r, { text: ch, weight: KB_CHAR_WEIGHT });
  }

  /** Han text for a run of syllables: the best-scoring cut into known words (Viterbi). */
  toHan(syllables: readonly string[]): string {
    const general = generalWords();
    const n = syllables.length;
    const score = new Array<number>(n + 1).fill(-Infinity);
    const back: { from: number; text: string }[] = new Array(n + 1);
    score[0] = 0;
    for (let i = 0; i < n; i++) {
      if (score[i] === -Infinity) continue;
      for (let len = 1; len <= MAX_WORD && i + len <= n; len++) {
        const key = syllables.slice(i, i + len).join(' ');
        const w = this.own.get(key) ?? general.get(key);
        if (!w) continue;
        const s = score[i]! + w.weight;
        if (s > score[i + len]!) {
          score[i + len] = s;
          back[i + len] = { from: i, text: w.text };
        }
      }
    }
    if (score[n] === -Infinity) return '';
    const parts: string[] = [];
    for (let j = n; j > 0; j = back[j]!.from) parts.unshift(back[j]!.text);
    return parts.join('');
  }
}
