/**
 * One series' result (DESIGN.md §3 `items[]`): what an analysis of a volume gives, what
 * results.json holds per series, what the journal keeps and what the app shows. The schema is the
 * contract; the type is inferred from it.
 */
import { z } from 'zod';

const Problem = z.object({ code: z.string(), message: z.string() });
const Vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** The slices with the highest attention a result names (highest first). */
export const TOP_SLICES = 5;

export const SeriesResultSchema = z.object({
  id: z.string(),
  /** Content identity (geometry and voxel values): what `--resume` and the review queue recognise, whatever the path. */
  identity: z.string(),
  seriesInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  seriesDescription: z.string(),
  path: z.string(),
  status: z.enum(['ok', 'error', 'skipped']),
  probability: z.number().nullable(),
  /**
   * At the card's threshold; `indeterminate` where the card's abstention rule finds a reason
   * (`reasons`). A consumer that knows only covid/non-covid treats indeterminate as no answer.
   */
  verdict: z.enum(['covid', 'non-covid', 'indeterminate']).nullable(),
  threshold: z.number(),
  /** One weight per slice, slice-index order (sums to 1). */
  sliceAttention: z.array(z.number()),
  slicePositive: z.array(z.boolean()),
  /** The slices with the highest attention, highest first (at most TOP_SLICES). */
  topSlices: z.array(z.number().int()),
  lungVolumeMl: z.number().nullable(),
  dimensions: Vec3.nullable(),
  spacingMm: Vec3.nullable(),
  executionProvider: z.enum(['cuda', 'cpu']),
  /**
   * Per stage (ms): read, identity, mask (lung mask) and maskTensors, tensors (the slices, on another
   * thread while the mask is made), inference, thumbnails; total = wall time for the series.
   */
  timingsMs: z.record(z.string(), z.number()),
  /** The reader's warnings, and the analysis' own. */
  warnings: z.array(Problem),
  error: Problem.optional(),
  // What the analysis assumed about its input (DESIGN.md §3): absent where nothing had to be assumed.
  /** HU, or unknown for grey levels that could not be calibrated. */
  units: z.enum(['HU', 'unknown']).optional(),
  /** False when the HU values were estimated from grey levels (8-bit stacks). */
  calibrated: z.boolean().optional(),
  /** Where `spacingMm` came from: lengths and volumes from an estimated spacing are estimates. */
  spacingSource: z.enum(['header', 'estimated', 'given']).optional(),
  /**
   * False for a sparse set (a few slices far apart, or slices of several patients): the slices
   * are sections, not a volume — show them by index, not by millimetre.
   */
  contiguous: z.boolean().optional(),
  // Where the model's card has the abstention blocks (absent otherwise, DESIGN.md §3):
  /** The distance of the volume's features from the training data (null: not a number, which abstains). */
  oodScore: z.number().nullable().optional(),
  /** Why the verdict is indeterminate, in plain sentences (empty when the model decided). */
  reasons: z.array(Problem).optional(),
});

export type SeriesResult = z.infer<typeof SeriesResultSchema>;
