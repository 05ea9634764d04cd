import { z } from 'zod';

/**
 * An InputPreprocessing (the model card's `preprocessing` block), exactly: unknown keys are
 * refused, since a card asking for a step this version does not implement must not be prepared
 * or run without it.
 */
export const inputPreprocessingSchema = z.object({
  size: z.number().int().min(8).max(2048),
  huWindow: z.object({ lowHu: z.number().finite(), highHu: z.number().finite() }).strict()
    .refine((w) => w.lowHu < w.highHu, { message: 'lowHu must be below highHu' }),
  normalization: z.object({ mean: z.number().finite(), std: z.number().finite().positive() }).strict(),
  crop: z.object({ to: z.literal('lungs'), marginMm: z.number().finite().min(0).max(200), minSideMm: z.number().finite().min(10).max(2000) }).strict().optional(),
}).strict();

