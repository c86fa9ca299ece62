/**
 * The demo's opening scene: a few customers talk to the bot through the WeChat simulator (the
 * real bot path), so the console starts with chats in different states and tiers.
 */
import { ADMIN_USERNAME, AgentStore, type DemoSimulator } from '../console/index.ts';
import type { Kefu } from '../main.ts';

export const DEMO_BOT_NAME = '闪录客服';
/** Customers the demo treats as VIP (by the handoff's tier rule). */
export const DEMO_VIPS: readonly string[] = ['王芳', '张伟'];

interface Step {
  customer: string;
  text: string;
}

/** Each customer's lines, in order; every line waits for the bot's answer before the next. */
const SCRIPT: Step[][] = [
  [{ customer: '孙悦', text: '开会员后水印还在，怎么去掉？' }],
  [
    { customer: '张伟', text: '录屏没有声音怎么办' },
    { customer: '张伟', text: '2' },
    { customer: '张伟', text: '1' },
  ],
  [{ customer: '王芳', text: '我要投诉，导出的视频一直失败，转人工' }],
  [{ customer: '李娜', text: '你们公司招人吗，我想投简历' }],
  [
    { customer: '赵磊', text: '会员可以退款吗' },
    { customer: '赵磊', text: '我买的是年费会员，昨天刚买，转人工' },
  ],
];

async function waitUntil(customer: string, done: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`demo seed: the bot did not answer ${customer} in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const botLines = (sim: DemoSimulator, customer: string): number => sim.chat(customer).filter((l) => l.from === 'bot').length;

/**
 * The bot spoke after the customer's line `text`: counting bot lines is not enough, since on
 * 微信客服 a new customer first gets the welcome (before their first line).
 */
function answered(sim: DemoSimulator, customer: string, text: string): boolean {
  const lines = sim.chat(customer);
  const at = lines.findLastIndex((l) => l.from === 'customer' && l.text === text);
  return at >= 0 && lines.slice(at + 1).some((l) => l.from === 'bot');
}

/** Seeds when nobody is waiting or being served yet (a restarted demo keeps what it had). */
export async function seedDemo(kefu: Kefu): Promise<boolean> {
  const sim = kefu.simulator;
  if (!sim) return false;
  const c = await kefu.handoff.counts();
  if (c.waiting + c.active + c.awaitingFix > 0) return false;

  await Promise.all(
    SCRIPT.map(async (steps) => {
      for (const step of steps) {
        await sim.say(step.customer, step.text);
        await waitUntil(step.customer, () => answered(sim, step.customer, step.text));
      }
    }),
  );

  // The last one is already with the admin, who has answered.
  const admin = await new AgentStore(kefu.redis, kefu.config.redis.prefix).get(ADMIN_USERNAME);
  const waiting = await kefu.handoff.listWaiting(50);
  const zhao = waiting.find((w) => w.customer.name === '赵磊');
  if (admin && zhao) {
    const agent = { id: admin.id, name: admin.name, publicName: admin.displayName };
    await kefu.handoff.claim(zhao.id, agent);
    const before = botLines(sim, '赵磊');
    await kefu.handoff.reply(zhao.id, agent, '您好，我是闪录客服。年费会员购买 7 天内可以全额退款，我这就帮您提交，请稍等～');
    await waitUntil('赵磊', () => botLines(sim, '赵磊') > before);
  }
  return true;
}
