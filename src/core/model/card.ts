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
  /** The `features` output, the OOD score of it and the body fraction of the golden inputs (cards with `ood`). */
  features: z.array(z.number()).optional(),
  oodScore: z.number().optional(),
  bodyFractionOutsideLung: z.number().optional(),
}).passthrough().refine((c) => c.attention.length === c.slices, { message: 'attention must hold one weight per slice' });

const finite = z.number().finite();

/** training/inference.py `calibrated_probability`: per pass σ((l_covid − l_non-covid) / T), averaged over passes. */
const probabilityCalibrationSchema = z.object({ kind: z.literal('temperature'), temperature: finite.positive() }).passthrough();

/** training/inference.py `OodModel`: Mahalanobis distance to the nearest class mean under a PPCA covariance. */
const oodSchema = z.object({
  kind: z.literal('mahalanobis-ppca'),
  feature: z.literal('features'),
  dimension: z.number().int().positive(),
  classMeans: z.record(z.array(finite)),
  eigenvectors: z.array(z.array(finite)).min(1),
  eigenvalues: z.array(finite.positive()).min(1),
  residualVariance: finite.positive(),
  threshold: finite.positive(),
}).passthrough().superRefine((o, ctx) => {
  const bad = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  if (Object.keys(o.classMeans).length === 0) bad('classMeans must hold at least one class');
  if (Object.values(o.classMeans).some((m) => m.length !== o.dimension)) bad(`every class mean must have dimension ${o.dimension}`);
  if (o.eigenvectors.some((v) => v.length !== o.dimension)) bad(`every eigenvector must have dimension ${o.dimension}`);
  if (o.eigenvalues.length !== o.eigenvectors.length) bad('one eigenvalue per eigenvector');
});

/** training/inference.py `InputChecks`: the limits of the checks that make a verdict indeterminate. */
const inputChecksSchema = z.object({
  maxSliceSpacingMm: finite.positive(),
  minLungVolumeMl: finite.nonnegative(),
  maxNormalAngleDeg: finite.min(0).max(90),
  minBodyFractionOutsideLung: finite.min(0).max(1),
  bodyHuFloor: finite,
  uncalibrated: z.enum(['indeterminate', 'warn']),
  /** Where present: the lungs must span at least this share of the input width (abstention.ts `lungWidthFraction`). */
  minLungWidthFraction: finite.min(0).max(1).optional(),
}).passthrough();

const abstentionGoldenSchema = z.object({
  facts: z.object({
    calibrated: z.boolean(), sliceSpacingMm: finite, lungVolumeMl: finite, normalAngleDeg: finite, bodyFractionOutsideLung: finite,
    lungWidthFraction: finite.optional(),
  }),
  probability: finite,
  /** null: not a number (abstains). */
  oodScore: finite.nullable(),
  verdict: z.enum(['covid', 'non-covid', 'indeterminate']),
  reasons: z.array(z.object({ code: z.string().min(1), message: z.string().min(1) })),
}).passthrough();

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
  outputs: z.object({
    features: z.object({ shape: z.tuple([z.literal(1), z.number().int().positive()]) }).passthrough().optional(),
  }).passthrough().optional(),
  // Abstention (README of training/, "Abstention"): all three blocks or none; a card without them
  // gives covid / non-covid verdicts only.
  probabilityCalibration: probabilityCalibrationSchema.optional(),
  ood: oodSchema.optional(),
  inputChecks: inputChecksSchema.optional(),
  abstention: z.object({
    reasons: z.array(z.object({ code: z.string().min(1), message: z.string().min(1) }).passthrough()),
    golden: z.array(abstentionGoldenSchema),
    /** Where present: a probability on which the threshold and these odds disagree is `equivocal` (abstention.ts). */
    evenOdds: z.number().gt(0).lt(1).optional(),
  }).passthrough().optional(),
}).passthrough().superRefine((card, ctx) => {
  const present = [card.probabilityCalibration, card.ood, card.inputChecks].filter((b) => b !== undefined).length;
  if (present !== 0 && present !== 3) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ood'], message: 'probabilityCalibration, ood and inputChecks come together (all three or none)' });
  }
  const features = card.outputs?.features?.shape[1];
  if (card.ood && features !== card.ood.dimension) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ood', 'dimension'], message: `must equal the features output's size (${features ?? 'no features output'})` });
  }
});

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
