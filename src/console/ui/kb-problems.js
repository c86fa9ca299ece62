/**
 * The knowledge base's problems (`kb lint`'s English, file:line) in Chinese for the 知识库 page:
 * editors are support staff, not developers. A message no rule knows is shown as it is; the
 * original stays in the row's title for whoever reads the logs or runs `kb lint`.
 */
const RULES = [
  [/^front matter is not closed.*$/, '开头的字段区没有结束：在字段后面加一行 ---'],
  [/^missing front matter.*$/, '缺少开头的字段区：文件第一行要是 ---'],
  [/^front matter must be "key: value" lines$/, '开头的字段要一行一个，写成「字段: 值」'],
  [/^answer is empty.*$/, '答案是空的：在第二个 --- 下面写机器人的回答'],
  [/^"([^"]+):" is in the answer: the front matter ended at line (\d+).*$/, '「$1:」写进了答案里：字段区在第 $2 行的 --- 就结束了，删掉那行 --- 或把这一行移到它上面'],
  [/^"([^"]+)" needs an ASCII colon and a space.*$/, '「$1」后面要用英文冒号加空格（$1: …），全角的「：」会被当成文字'],
  [/^"([^"]+):" needs a space after the colon.*$/, '「$1:」的冒号后面要有一个空格'],
  [/^"([^"]+)" is not closed: end the list.*$/, '列表的「$1」没有闭合：在同一行用 ] 结束'],
  [/^"([^"]+)" is not closed: end the map.*$/, '「$1」没有闭合：在同一行用 } 结束'],
  [/^a quote \((.)\) is not closed on its line.*$/, '引号 $1 没有在同一行闭合：补上引号，或者去掉引号'],
  [/^"([^"]+)" is given twice: keep one$/, '字段「$1」写了两次：只保留一个'],
  [/^a field is given twice: keep one$/, '有字段写了两次：只保留一个'],
  [/^indent with spaces, not tabs$/, '缩进请用空格，不要用 Tab'],
  [/^a value with ": " in it needs quotes.*$/, '值里有「: 」时要加引号，例如 question: "价格: 多少"（或者改用全角的「：」）'],
  [/^this line is not lined up with the ones above it.*$/, '这一行没有和上面对齐：列表项（- ）的缩进要一致'],
  [/^YAML syntax error: (.*)$/, 'YAML 格式错误（常见原因：缩进不对、冒号后缺空格、括号没闭合）：$1'],
  [/^duplicate id "([^"]+)" \(also in ([^)]+)\)$/, '条目 id「$1」重复了（另一个在 $2）'],
  [/^"related" names unknown id "([^"]+)"$/, 'related 里的「$1」不是任何条目的 id'],
  [/^"related" names the entry itself.*$/, 'related 里写了条目自己'],
  [/^id "([^"]+)" from the file name must not contain whitespace.*$/, '文件名「$1」里有空格：改文件名，或者写上 id: 字段'],
  [/^not valid UTF-8 text.*$/, '文件不是 UTF-8 编码：请另存为 UTF-8'],
  [/^"([^"]+)" is required$/, '缺少字段「$1」'],
  [/^"([^"]+)" must not be empty$/, '字段「$1」是空的'],
  [/^"([^"]+)" must be text$/, '字段「$1」应该是文字'],
];

/** `message` in Chinese when a rule knows it, else as it is. */
export function problemText(message) {
  const text = String(message ?? '');
  for (const [re, zh] of RULES) if (re.test(text)) return text.replace(re, zh);
  return text;
}
