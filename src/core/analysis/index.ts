/**
 * Analysis: a series read from disk → its lung mask and model inputs → the detector → its result
 * (series-result.ts). The one pipeline of `lunglens scan`, the reading room and the DICOM node:
 *
 *   const pools = new AnalysisPools();                    // reading and compute threads, started now
 *   const engine = await InferenceEngine.open();
 *   await pools.readSeries(paths, { onVolume: async (summary, volume) => {
 *     const { result } = await analyzeVolume(summary, volume, () => contentIdentity(volume), { readMs, identityMs: 0 }, { engine, compute: pools.compute });
 *   } });
 *   await pools.close();
 *
 * The only entry to this folder.
 */
export { analyzeVolume, rejectedResult, type AnalyzeContext, type VolumeAnalysis } from './analyze-volume.js';
export { assumptionsOf, lungVolumeText, ASSUMPTION_CODES, type Assumptions } from './assumptions.js';
export { ComputePool } from './compute-pool.js';
export { contentIdentity } from './identity.js';
export { AnalysisPools } from './pools.js';
export { SeriesResultSchema, TOP_SLICES, type SeriesResult } from './series-result.js';
export { sliceThumbnail } from './thumbnail.js';
