/**
 * Customers who write traditional characters (錄影沒有聲音怎麼辦, 謝謝, 轉人工) are read as
 * simplified, the script the FAQ and the engine's lexicons are written in. OpenCC's tables
 * (opencc-js) convert by phrase, not only by character (乾淨 → 干净, but 乾隆 stays).
 */
import * as OpenCC from 'opencc-js/t2cn';

let convert: ((text: string) => string) | undefined;

/** `text` in simplified characters; ASCII (and already simplified text) comes back as it was. */
export function toSimplified(text: string): string {
  // Nothing to convert in plain ASCII, the common case of English and pinyin questions.
  if (!/[^ -~\s]/u.test(text)) return text;
  convert ??= OpenCC.Converter({ from: 't', to: 'cn' });
  return convert(text);
}
