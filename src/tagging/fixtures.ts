/**
 * Labelled conversations written as JSON lines (test/fixtures/tagging): `id`, `tags`, `faq`,
 * `customer`, `agent`. Read by `npm run eval:tags` and the tests; checked, so a typo in a fixture
 * fails loudly instead of teaching the model nothing.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { LabelledConversation } from './features.ts';

const line = z.object({
  id: z.string().min(1),
  tags: z.array(z.string().min(1)).min(1),
  faq: z.array(z.string()).default([]),
  customer: z.array(z.string()).min(1),
  agent: z.array(z.string()).default([]),
});

export function readLabelled(file: string): LabelledConversation[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, n]) => {
      const r = line.safeParse(JSON.parse(l));
      if (!r.success) throw new Error(`${file}:${n}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      return { id: r.data.id, tags: r.data.tags, faqIds: r.data.faq, customer: r.data.customer, agent: r.data.agent };
    });
}
