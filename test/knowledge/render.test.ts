import { describe, it, expect } from 'vitest';
import {
  WECHAT_MAX_MESSAGE_BYTES,
  renderAnswer,
  renderPlainText,
  splitMessages,
} from '../../src/knowledge/render.ts';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const squash = (text: string): string => text.replace(/\s+/g, '');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('renderPlainText', () => {
  it('renders the spec sample without emphasis markers; spaces around bold between Chinese words go, a bold menu path is quoted', () => {
    expect(renderPlainText('购买后 7 天内且未使用会员特权的订单，可在 **我的 → 订单 → 申请退款** 提交。')).toBe(
      '购买后 7 天内且未使用会员特权的订单，可在「我的 → 订单 → 申请退款」提交。',
    );
  });

  it('drops the spaces editors put around emphasis between Chinese words, not between Latin ones', () => {
    expect(renderPlainText('开通 **会员** 后即可去水印，在 *录制列表* 里找到')).toBe('开通会员后即可去水印，在录制列表里找到');
    expect(renderPlainText('Click **Save** now, 价格 **99** 元')).toBe('Click Save now, 价格 99 元');
  });

  it('removes bold, italic and strikethrough markers but keeps snake_case', () => {
    expect(renderPlainText('请填写 *订单号* 与 _手机号_，~~原价 ¥30~~ 现价 ¥20，字段 user_id 与 order_no_v2。')).toBe(
      '请填写订单号与手机号，原价 ¥30 现价 ¥20，字段 user_id 与 order_no_v2。',
    );
    expect(renderPlainText('__注意__：***重要***')).toBe('注意：重要');
  });

  it('removes bold markers CommonMark rejects next to CJK punctuation', () => {
    expect(renderPlainText('点击**“申请退款”**按钮即可。')).toBe('点击“申请退款”按钮即可。');
    expect(renderPlainText('密码中不能有 ** 这样的符号')).toBe('密码中不能有 ** 这样的符号');
  });

  it('renders headings as 【标题】 on their own line', () => {
    expect(renderPlainText('# 退款说明\n正文第一段。\n\n## 注意 **事项**\n\n正文第二段。')).toBe(
      '【退款说明】\n\n正文第一段。\n\n【注意事项】\n\n正文第二段。',
    );
  });

  it('keeps numbered lists readable and respects the start number', () => {
    expect(renderPlainText('操作步骤：\n\n3. 打开**设置**\n4. 进入账户\n5. 点击注销')).toBe(
      '操作步骤：\n\n3. 打开设置\n4. 进入账户\n5. 点击注销',
    );
  });

  it('renders bullet lists with • and indents nested lists by two spaces per level', () => {
    const md = ['- 会员权益', '  - 去广告', '    - 全站生效', '  - 专属客服', '- 付款方式', '  1. 微信支付', '  2. 支付宝'].join('\n');
    expect(renderPlainText(md)).toBe(
      ['• 会员权益', '  • 去广告', '    • 全站生效', '  • 专属客服', '• 付款方式', '  1. 微信支付', '  2. 支付宝'].join('\n'),
    );
  });

  it('renders loose lists one item per line, with continuation paragraphs indented', () => {
    expect(renderPlainText('1. 第一步\n\n2. 第二步\n\n   补充说明\n\n3. 第三步\n\n完成。')).toBe(
      '1. 第一步\n2. 第二步\n  补充说明\n3. 第三步\n\n完成。',
    );
  });

  it('shows task list checkboxes', () => {
    expect(renderPlainText('- [x] 已绑定手机\n- [ ] 已实名认证')).toBe('• ☑ 已绑定手机\n• ☐ 已实名认证');
  });

  it('renders links as "text: url", or just the url', () => {
    expect(renderPlainText('详见[退款政策](https://example.com/refund)。')).toBe('详见退款政策: https://example.com/refund。');
    expect(renderPlainText('[https://example.com](https://example.com)')).toBe('https://example.com');
    expect(renderPlainText('[](https://example.com/empty)')).toBe('https://example.com/empty');
    expect(renderPlainText('[帮助中心][help]\n\n[help]: https://example.com/help')).toBe('帮助中心: https://example.com/help');
    expect(renderPlainText('[参数](https://example.com/?a=1&amp;b=2)')).toBe('参数: https://example.com/?a=1&b=2');
    expect(renderPlainText('[客服邮箱](mailto:kf@example.com)')).toBe('客服邮箱: kf@example.com');
  });

  it('leaves autolinks and bare urls as written', () => {
    expect(renderPlainText('访问 <https://example.com/a> 或 https://example.com/b 或 www.example.com，邮件 <kf@example.com>')).toBe(
      '访问 https://example.com/a 或 https://example.com/b 或 www.example.com，邮件 kf@example.com',
    );
  });

  it('renders images as [图片] alt: url', () => {
    expect(renderPlainText('![订单页截图](https://example.com/a.png)')).toBe('[图片] 订单页截图: https://example.com/a.png');
    expect(renderPlainText('![](https://example.com/b.png)')).toBe('[图片] https://example.com/b.png');
  });

  it('renders inline code and code blocks as plain text', () => {
    expect(renderPlainText('在地址栏输入 `about:config` 后回车。')).toBe('在地址栏输入 about:config 后回车。');
    expect(renderPlainText('清除缓存：\n\n```bash\ncd ~/app\n  rm -rf cache   \n```\n\n然后重启。')).toBe(
      '清除缓存：\n\ncd ~/app\n  rm -rf cache\n\n然后重启。',
    );
    expect(renderPlainText('示例：\n\n    npm start\n    npm test')).toBe('示例：\n\nnpm start\nnpm test');
    // Code is literal: entities and markup inside stay as written.
    expect(renderPlainText('`&amp; **x**`')).toBe('&amp; **x**');
  });

  it('renders blockquotes without >', () => {
    expect(renderPlainText('> 温馨提示：**退款** 将原路返回\n> 到账需 1-3 个工作日\n>\n> 如有疑问请联系客服')).toBe(
      '温馨提示：退款将原路返回\n到账需 1-3 个工作日\n\n如有疑问请联系客服',
    );
  });

  it('renders tables one line per row with cells joined by |', () => {
    const md = '| 套餐 | 价格 | 说明 |\n|:---|---:|---|\n| 月度 | ¥30 | **自动续费** |\n| 年度 | ¥298 | 含 `发票` \\| 赠品 |';
    expect(renderPlainText(md)).toBe('套餐 | 价格 | 说明\n月度 | ¥30 | 自动续费\n年度 | ¥298 | 含 发票 | 赠品');
  });

  it('drops horizontal rules', () => {
    expect(renderPlainText('第一段\n\n---\n\n第二段\n\n***')).toBe('第一段\n\n第二段');
  });

  it('removes raw HTML tags but keeps their text', () => {
    expect(renderPlainText('请点击 <b>提交</b> 按钮<br>然后等待审核。')).toBe('请点击 提交 按钮\n然后等待审核。');
    expect(renderPlainText('<div align="center">\n<p>客服 <span style="color:red">9:00-18:00</span> 在线</p>\n</div>\n\n正文')).toBe(
      '客服 9:00-18:00 在线\n\n正文',
    );
    expect(renderPlainText('<!-- 编辑备注：下周更新 -->\n\n正文<!-- 行内备注 -->。')).toBe('正文。');
  });

  it('decodes HTML entities', () => {
    expect(renderPlainText('价格 &lt; ¥50 &amp; 库存 &gt; 0，&quot;会员&quot;&nbsp;专享 &copy; &#20013;&#x6587;')).toBe(
      '价格 < ¥50 & 库存 > 0，"会员" 专享 © 中文',
    );
    expect(renderPlainText('<p>A &amp; B &yen;30</p>')).toBe('A & B ¥30');
    expect(renderPlainText('&unknown; &amp;lt;')).toBe('&unknown; &lt;');
  });

  it('resolves backslash escapes', () => {
    expect(renderPlainText('输入 \\*\\*\\* 作为通配符，\\# 不是标题，\\[不是链接\\]')).toBe('输入 *** 作为通配符，# 不是标题，[不是链接]');
  });

  it('separates paragraphs by one blank line and keeps line breaks', () => {
    expect(renderPlainText('\n\n第一段第一行  \n第一段第二行\\\n第三行\n软换行\n   缩进的软换行\n\n\n\n第二段   \n\n')).toBe(
      '第一段第一行\n第一段第二行\n第三行\n软换行\n缩进的软换行\n\n第二段',
    );
  });

  it('returns an empty string for empty input', () => {
    expect(renderPlainText('')).toBe('');
    expect(renderPlainText('  \n\n---\n<!-- x -->\n')).toBe('');
  });

  it('leaves no trailing spaces', () => {
    const out = renderPlainText('- 项目  \n  - 子项 \n\n| a | b |\n|---|---|\n| | |\n\n> 引用  \n> 行');
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });
});

describe('splitMessages', () => {
  const paragraph = (n: number, chars: number): string =>
    `第${n}段：${'客服问答内容示例'.repeat(Math.ceil(chars / 8))}`.slice(0, chars) + '。';

  it('returns a single message when the text fits, and [] for empty text', () => {
    expect(splitMessages('第一段\n\n第二段')).toEqual(['第一段\n\n第二段']);
    expect(splitMessages('  短消息  ')).toEqual(['短消息']);
    expect(splitMessages('')).toEqual([]);
    expect(splitMessages(' \n\n \n')).toEqual([]);
    expect(WECHAT_MAX_MESSAGE_BYTES).toBe(2000);
  });

  it('packs whole paragraphs of a 5,000-byte answer into messages of at most 2000 bytes', () => {
    const paragraphs = [300, 250, 150, 320, 120, 280, 160, 110].map((chars, i) => paragraph(i + 1, chars));
    const text = paragraphs.join('\n\n');
    expect(bytes(text)).toBeGreaterThan(5000);

    const messages = splitMessages(text);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(2000);
      expect(message).toBe(message.trim());
    }
    // Each paragraph fits a message, so none may be cut.
    for (const p of paragraphs) expect(messages.some((m) => m.includes(p))).toBe(true);
    expect(squash(messages.join(''))).toBe(squash(text));
    // Greedy packing: the next message's first paragraph would not have fitted.
    for (let i = 0; i + 1 < messages.length; i++) {
      const next = messages[i + 1]!.split('\n\n')[0]!;
      expect(bytes(messages[i]!) + 2 + bytes(next)).toBeGreaterThan(2000);
    }
  });

  it('splits a long paragraph at line breaks first', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `${i + 1}. ${'设置页面中的选项说明'.repeat(3)}`);
    const text = lines.join('\n');
    const messages = splitMessages(text);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(2000);
      for (const line of message.split('\n')) expect(lines).toContain(line);
    }
    expect(messages.join('\n')).toBe(text);
  });

  it('splits a 3,000-byte paragraph without newlines after 。', () => {
    const sentences = Array.from({ length: 32 }, (_, i) => `第${i + 1}句说明会员退款的具体规则和到账时间以及注意事项，请仔细阅读。`);
    const text = sentences.join('');
    expect(bytes(text)).toBeGreaterThan(3000);
    expect(text).not.toContain('\n');

    const messages = splitMessages(text);
    expect(messages.length).toBe(2);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(2000);
      expect(message.endsWith('。')).toBe(true);
    }
    expect(messages.join('')).toBe(text);
  });

  it('keeps closing quotes with their sentence and also splits after ！？；', () => {
    const text = '客服说：“请稍候。”'.repeat(150);
    const messages = splitMessages(text, 200);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(200);
      expect(message.endsWith('。”')).toBe(true);
    }
    expect(messages.join('')).toBe(text);

    const mixed = '真的吗？是的！好；'.repeat(30);
    for (const message of splitMessages(mixed, 100)) expect(message).toMatch(/[？！；]$/);
  });

  it('hard-splits emoji and CJK without punctuation, never breaking surrogate pairs', () => {
    const text = '😀中文🎉字符'.repeat(300);
    const messages = splitMessages(text);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(2000);
      expect(message).not.toMatch(LONE_SURROGATE);
    }
    expect(messages.join('')).toBe(text);
  });

  it('keeps multi-code-point graphemes whole', () => {
    const family = '👨‍👩‍👧‍👦';
    const messages = splitMessages(family.repeat(100), 100);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(100);
      expect(message.replaceAll(family, '')).toBe('');
    }
    expect(messages.join('')).toBe(family.repeat(100));
  });

  it('cuts at a space rather than inside a url when it must', () => {
    const url = 'https://example.com/help/refund?from=wechat';
    const text = `${'请访问链接查看 '.repeat(10)}${url} ${'更多说明文字'.repeat(10)}`;
    const messages = splitMessages(text, 120);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(120);
    expect(messages.some((m) => m.includes(url))).toBe(true);
  });

  it('rejects a maxBytes too small for any character', () => {
    expect(() => splitMessages('中文', 3)).toThrow(RangeError);
  });
});

describe('renderAnswer', () => {
  it('renders then splits, with 2000 bytes by default', () => {
    expect(renderAnswer('可在 **我的 → 订单** 申请退款。')).toEqual(['可在「我的 → 订单」申请退款。']);
    expect(renderAnswer('')).toEqual([]);

    const md = Array.from({ length: 12 }, (_, i) => `## 问题 ${i + 1}\n\n${'**会员**续费后立即生效，'.repeat(20)}`).join('\n\n');
    const messages = renderAnswer(md);
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(bytes(message)).toBeLessThanOrEqual(2000);
      expect(message).not.toContain('**');
    }
  });

  it('respects the maxBytes option', () => {
    const md = '1. 打开微信\n2. 进入**我**页面\n3. 点击设置\n\n' + '退款将在三个工作日内原路返回。'.repeat(20);
    const messages = renderAnswer(md, { maxBytes: 150 });
    expect(messages.length).toBeGreaterThan(3);
    for (const message of messages) expect(bytes(message)).toBeLessThanOrEqual(150);
    expect(squash(messages.join(''))).toBe(squash(renderPlainText(md)));
    expect(messages[0]).toBe('1. 打开微信\n2. 进入我页面\n3. 点击设置');
  });
});
