import type { Volume } from '../volume/volume.js';

export type PhantomLabel = 'covid' | 'non-covid';

/** COVID-19 patterns and the non-COVID confounders a case may carry. */
/**
 * `organizing`: the later stage (≈ 2–4 weeks): subpleural bands and curvilinear opacities with
 * fading ground glass (realism v2 and inserted cases only).
 */
export type CovidFinding = 'ground-glass' | 'crazy-paving' | 'consolidation' | 'organizing';
export type ConfounderFinding =
  | 'nodule' | 'emphysema' | 'atelectasis' | 'effusion' | 'motion'
  // Realism v2 only:
  | 'nodules' | 'mass' | 'dependent-density' | 'plate-atelectasis' | 'fibrosis' | 'sternotomy' | 'clips' | 'lobectomy';

/** Everything that decides one case; drawn from the run's seed, so a case is reproducible from it. */
export interface PhantomCaseSpec {
  /** e.g. "case-0007" */
  id: string;
  /** Seed of this case's own random stream (derived from the run seed and the case index). */
  seed: number;
  label: PhantomLabel;
  /** In-plane size (columns = rows). */
  size: number;
  slices: number;
  /** Square pixels, 0.5–0.9 mm. */
  pixelSpacingMm: number;
  /** 0.625–5 mm; slices are contiguous (spacing = thickness). */
  sliceThicknessMm: number;
  /** Standard deviation of the image noise in HU (≈ 8 standard dose … 40 low dose). */
  noiseHu: number;
  /** `standard` only in realism v2. */
  kernel: 'smooth' | 'standard' | 'sharp';
  /** Unsigned storage with RescaleIntercept −1024, or signed with intercept 0. */
  storage: 'unsigned' | 'signed';
  /** COVID cases: which patterns and how far they extend (0 early … 1 peak). */
  covid: { findings: CovidFinding[]; extent: number } | null;
  confounders: ConfounderFinding[];
  /** Realism v2 (absent: the v1 generator, which the shipped model was trained on, unchanged). */
  v2?: RealismV2;
}

/** What realism v2 adds to a case: how the scanner and the patient differ from v1's one setup. */
export interface RealismV2 {
  /** Slices every this many mm; below the thickness, slabs overlap (as many scanners reconstruct). */
  sliceSpacingMm: number;
  /** The kernel as σ of its blur (pixels) and its edge gain g: out = blur(x) + g · (x − blur(x)). */
  blurPx: number;
  edgeGain: number;
  /** Reconstruction circle radius over half the image width (< 1: the circle shows), and the HU outside it. */
  fovFraction: number;
  outsideHu: number;
  /** Whether the files declare the outside value as PixelPaddingValue (readers then show it as air). */
  paddingDeclared: boolean;
  /** Prone: the patient face down; the files carry the flipped orientation, as a scanner writes it. */
  position: 'supine' | 'prone';
  /** Arms down beside the chest (in the field of view) or up above the head. */
  arms: 'up' | 'down';
  /** The patient's width (mm, ± 8 %): an adult's, whatever the field of view. */
  bodyWidthMm: number;
}

/** A generated case: the CT volume and its exact truth on the same voxel grid. */
export interface PhantomCase {
  spec: PhantomCaseSpec;
  /** HU, axial, slice index increasing inferior → superior (DESIGN.md §2). */
  volume: Volume;
  /** 1 where a COVID-19 lesion voxel lies (all zero for non-COVID cases). */
  lesionMask: Uint8Array;
  /** 1 inside the lungs (parenchyma, vessels and lesions within the pleura) — truth for the lung mask. */
  lungMask: Uint8Array;
  /** Lesion voxels per slice, in slice-index order. */
  lesionVoxelsPerSlice: number[];
  /** True exactly where `lesionVoxelsPerSlice[k] > 0`. */
  slicePositive: boolean[];
}
