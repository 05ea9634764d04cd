/**
 * The pixels of open series as the views need them — HU slices, lung mask slices, the lung
 * surface — fetched from the backend once and kept outside Vue's reactivity (lib/slice-cache.ts).
 */
import type { SeriesView } from '../../shared/api.js';
import { api } from '../api/client.js';
import { maskShelf, SliceCache, sliceShelf } from '../lib/slice-cache.js';

/** The series' HU slices (Int16, columns × rows), fetched on demand and kept. */
export function sliceCacheOf(series: SeriesView): SliceCache<Int16Array> {
  const id = series.id;
  return sliceShelf.get(id, () => new SliceCache(series.dimensions[2], async (k) => new Int16Array(await api().call('slice', { seriesId: id, index: k }))));
}

/** The series' lung mask slices (0/1, columns × rows), once it is analysed. */
export function maskCacheOf(series: SeriesView): SliceCache<Uint8Array> {
  const id = series.id;
  return maskShelf.get(id, () => new SliceCache(series.dimensions[2], async (k) => new Uint8Array(await api().call('mask', { seriesId: id, index: k }))));
}

/** One HU slice (from the kept slices when they are there). */
export function hounsfieldSlice(series: SeriesView, index: number): Promise<Int16Array> {
  return sliceCacheOf(series).get(index);
}

/** The lung surface of an analysed series (the mesh layout of src/shared/api.ts `mesh`). */
export async function lungSurface(seriesId: string): Promise<ArrayBuffer> {
  return api().call('mesh', { seriesId });
}
