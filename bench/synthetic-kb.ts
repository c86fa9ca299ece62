/**
 * Synthetic knowledge bases for benchmarks: entries built from a product vocabulary
 * (devices × features × symptoms), written to a temporary directory in the spec's format,
 * and questions that paraphrase them or are out of scope.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const devices = ['手机', '电脑', '平板', 'Mac', 'Windows', 'iPhone', '安卓', '网页版', '小程序', '智能手表'];
const features = [
  '同步', '导出', '分享', '登录', '支付', '退款', '发票', '会员', '通知', '备份', '恢复', '搜索', '标签', '模板',
  '评论', '收藏', '下载', '上传', '打印', '截图', '录音', '视频', '字幕', '水印', '相册', '日历', '提醒', '地图',
  '翻译', '扫码', '直播', '弹幕', '头像', '昵称', '密码', '验证码', '邮箱', '手机号', '积分', '优惠券', '订单',
  '物流', '地址', '客服', '反馈', '主题', '字体', '夜间模式', '存储空间', '离线模式',
];
const symptoms = ['失败', '很慢', '没反应', '报错', '不显示', '打不开', '闪退', '乱码', '重复', '丢失'];
const fillers = ['请问', '你好，', '麻烦问下', '', '', '急！', '在吗，'];
const endings = ['怎么办', '怎么解决', '是怎么回事', '咋整', '', '啊', '呢'];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

export interface SyntheticKb {
  dir: string;
  questions: string[];
}

/** A knowledge base of `size` entries on disk, plus 1,000 questions (about 1 in 5 out of scope). */
export function syntheticKb(size: number): SyntheticKb {
  const dir = mkdtempSync(path.join(tmpdir(), `kb-bench-${size}-`));
  const combos: [string, string, string][] = [];
  for (let i = 0; combos.length < size; i++) {
    combos.push([pick(devices, i), pick(features, Math.floor(i / devices.length)), pick(symptoms, i * 7 + Math.floor(i / 500))]);
  }
  combos.forEach(([d, f, s], i) => {
    const body = `请先更新到最新版本，然后在 **设置 → ${f}** 里重试。\n\n1. 检查网络\n2. 重新登录\n3. 仍然${s}请回复「人工」`;
    writeFileSync(
      path.join(dir, `e${i}.md`),
      [
        '---',
        `question: ${d}上${f}${s}怎么办？`,
        'alternates:',
        `  - ${d}${f}一直${s}`,
        `  - 为什么${f}${s}`,
        `  - ${d}端${f}功能${s}了`,
        `keywords: [${f}, ${s}]`,
        `tags: [${pick(['account', 'billing', 'sync', 'media'], i)}]`,
        '---',
        body,
        '',
      ].join('\n'),
    );
  });
  const questions: string[] = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 5 === 4) {
      questions.push(pick(['今天天气怎么样', '帮我写首诗', '推荐一部电影', '你们公司在哪', '附近有什么好吃的', '股票能涨吗'], i));
      continue;
    }
    const [d, f, s] = pick(combos, i * 37);
    questions.push(`${pick(fillers, i)}我的${d}${f}${pick(['老是', '总是', '突然', ''], i)}${s}${pick(endings, i)}`);
  }
  return { dir, questions };
}
