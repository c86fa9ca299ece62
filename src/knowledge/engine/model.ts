import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Thresholds } from '../types.ts';
import type { Features } from './score.ts';

/**
 * The confidence model: a logistic regression over match features, fitted by
 * `npm run calibrate` on the product's labelled questions (test/cases/kb-cases.jsonl), so a
 * score of 0.8 means "right about 80% of the time" on questions like those. The thresholds
 * come from the same fit; they are defaults that configuration may override.
 */
const modelSchema = z.object({
  weights: z.object({
    bias: z.number(),
    coverage: z.number(),
    discriminative: z.number(),
    phrasing: z.number(),
    bigrams: z.number(),
    miss: z.number(),
    keyword: z.number(),
    mass: z.number(),
    evidence: z.number(),
    margin: z.number(),
  }),
  thresholds: z.object({ answer: z.number().min(0).max(1), suggest: z.number().min(0).max(1) }),
  fittedOn: z.string().optional(),
});

export type ConfidenceModel = z.infer<typeof modelSchema>;
export type ModelInput = Features & { margin: number };
export const FEATURE_NAMES = [
  'coverage',
  'discriminative',
  'phrasing',
  'bigrams',
  'miss',
  'keyword',
  'mass',
  'evidence',
  'margin',
] as const satisfies readonly (keyof ModelInput)[];

let cached: ConfidenceModel | undefined;

export function defaultModel(): ConfidenceModel {
  cached ??= modelSchema.parse(JSON.parse(readFileSync(new URL('./calibration.json', import.meta.url), 'utf8')));
  return cached;
}

export function defaultThresholds(): Thresholds {
  return { ...defaultModel().thresholds };
}

export function linear(model: ConfidenceModel, x: ModelInput): number {
  let z = model.weights.bias;
  for (const name of FEATURE_NAMES) z += model.weights[name] * x[name];
  return z;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
