/**
 * Where `lunglens prepare` takes its preprocessing constants from: a model card's `preprocessing`
 * block, else the command's flags, else DEFAULT_PREPROCESSING — never a number of its own.
 */
import { promises as fs } from 'node:fs';
import { LungLensError } from '../errors.js';
import { DEFAULT_PREPROCESSING } from '../model/defaults.js';
import type { InputPreprocessing, LungCrop } from '../model/preprocess.js';
import { inputPreprocessingSchema } from '../model/preprocessing-schema.js';

function check(value: unknown, what: string): InputPreprocessing {
  const parsed = inputPreprocessingSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'preprocessing'}: ${issue.message}` : 'unknown problem';
  throw new LungLensError('usage', `${what} is not a valid preprocessing block ({ size, huWindow: { lowHu, highHu }, normalization: { mean, std }, crop?: { to: "lungs", marginMm, minSideMm } }) — ${where}.`);
}

/** The `preprocessing` block of a model card file; throws `usage` with a sentence when absent or invalid. */
export async function readCardPreprocessing(file: string): Promise<InputPreprocessing> {
  let card: unknown;
  try {
    card = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new LungLensError('usage', `The model card ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (typeof card !== 'object' || card === null || !('preprocessing' in card)) {
    throw new LungLensError('usage', `The model card ${file} has no "preprocessing" block.`);
  }
  return check(card.preprocessing, `The model card's "preprocessing" (${file})`);
}

export interface PreprocessingOverrides {
  size?: number;
  huWindow?: { lowHu: number; highHu: number };
  normalization?: { mean?: number; std?: number };
  crop?: LungCrop;
}

/** DEFAULT_PREPROCESSING with the given values replaced, validated. */
export function withOverrides(o: PreprocessingOverrides): InputPreprocessing {
  const d = DEFAULT_PREPROCESSING;
  return check({
    size: o.size ?? d.size,
    huWindow: { ...(o.huWindow ?? d.huWindow) },
    normalization: { mean: o.normalization?.mean ?? d.normalization.mean, std: o.normalization?.std ?? d.normalization.std },
    ...(o.crop ? { crop: o.crop } : {}),
  }, 'The options');
}
