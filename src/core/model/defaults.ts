import type { InputPreprocessing } from './preprocess.js';

/**
 * The model input used when no model card says otherwise (`lunglens prepare` without `--card`):
 * 128×128 slices, the lung window −1350…150 HU (the same window image stacks are assumed to use),
 * normalised to [−1, 1] by mean 0.5 and std 0.5. The one place these numbers are written; a
 * trained model's card carries its own copy, and from then on the card is what counts.
 */
export const DEFAULT_PREPROCESSING: Readonly<InputPreprocessing> = Object.freeze({
  size: 128,
  huWindow: Object.freeze({ lowHu: -1350, highHu: 150 }),
  normalization: Object.freeze({ mean: 0.5, std: 0.5 }),
});
