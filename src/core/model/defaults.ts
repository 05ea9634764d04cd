import type { InputPreprocessing, LungCrop } from './preprocess.js';

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

/**
 * `lunglens prepare --crop-lungs` without numbers: 10 mm around the lungs' bounding box (the
 * dilated mask already reaches a little past the pleura), never under 240 mm — an adult's lungs
 * are 250–300 mm wide, so only a scan covering part of them is shown at a larger scale than that.
 */
export const DEFAULT_LUNG_CROP: Readonly<LungCrop> = Object.freeze({ to: 'lungs', marginMm: 10, minSideMm: 240 });
