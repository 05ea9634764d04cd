/**
 * The model card (`models/<name>.card.json`, DESIGN.md §4) as the TypeScript side reads it: the
 * blocks inference depends on are validated strictly; the descriptive rest (training, metrics,
 * limits) is kept as it is for display. training/export.py writes it.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { LungLensError } from '../errors.js';
import { inputPreprocessingSchema } from './preprocessing-schema.js';

const goldenCaseSchema = z.object({
  slices: z.number().int().positive(),
  logits: z.array(z.number()).length(2),
  attention: z.array(z.number()),
}).refine((c) => c.attention.length === c.slices, { message: 'attention must hold one weight per slice' });

export const modelCardSchema = z.object({
  format: z.literal('lunglens-model-card'),
  version: z.literal(1),
  name: z.string().min(1),
  createdAt: z.string().optional(),
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lower-case hex digits'),
  opset: z.number().int().min(17),
  labels: z.tuple([z.literal('non-covid'), z.literal('covid')]),
  preprocessing: inputPreprocessingSchema,
  sliceStrategy: z.object({ kind: z.literal('interleaved'), sliceCount: z.number().int().positive() }).passthrough(),
  threshold: z.number().min(0).max(1),
  slicePositiveRule: z.object({ kind: z.literal('attention-over-uniform'), factor: z.number().finite().nonnegative() }).passthrough(),
  inputs: z.object({ slices: z.object({}).passthrough(), masks: z.object({}).passthrough() }).passthrough(),
  golden: z.object({ inputs: z.string(), tolerance: z.number().positive(), cases: z.array(goldenCaseSchema).min(1) }).passthrough().optional(),
  intendedUse: z.string().min(1),
}).passthrough();

export type ModelCard = z.infer<typeof modelCardSchema>;

/** Validates a parsed card; `bad-model` with the first problem as a sentence. */
export function parseModelCard(value: unknown, where: string): ModelCard {
  const parsed = modelCardSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue ? `${issue.path.join('.') || '(card)'}: ${issue.message}` : 'unknown problem';
  throw new LungLensError('bad-model', `The model card ${where} is not valid — ${at}.`);
}

/** Reads and validates a card file. */
export async function readModelCard(file: string): Promise<ModelCard> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new LungLensError('bad-model', `The model card ${file} cannot be read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LungLensError('bad-model', `The model card ${file} is not JSON: ${(error as Error).message}`);
  }
  return parseModelCard(value, file);
}
