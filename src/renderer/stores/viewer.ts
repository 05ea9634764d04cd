import { defineStore } from 'pinia';
import type { WindowPreset } from '../../shared/api.js';
import { highAttentionSlices, nextMark } from '../lib/timeline.js';
import { presetWindow, type HuWindow } from '../lib/window-level.js';

export const ZOOM_MIN = 0.25;
export const ZOOM_MAX = 16;

/**
 * The reading state of the selected series, shared by the slice viewer, the timeline, the
 * enhancement comparison and the 3-D view: slice, window, zoom and pan, overlays.
 */
export const useViewerStore = defineStore('viewer', {
  state: () => ({
    sliceCount: 0,
    index: 0,
    window: presetWindow('lung') as HuWindow,
    preset: 'lung' as WindowPreset | null,
    zoom: 1,
    panX: 0,
    panY: 0,
    maskVisible: true,
    maskOpacity: 0.35,
    attentionTint: false,
    /** Milliseconds of the last slice re-render (the ≤ 16 ms target). */
    lastRenderMs: 0,
  }),
  actions: {
    reset(sliceCount: number, defaultPreset: WindowPreset, start?: number) {
      this.sliceCount = sliceCount;
      this.index = Math.min(sliceCount - 1, Math.max(0, start ?? Math.floor(sliceCount / 2)));
      this.setPreset(defaultPreset);
      this.resetView();
    },
    resetView() {
      this.zoom = 1;
      this.panX = 0;
      this.panY = 0;
    },
    goTo(index: number) {
      if (this.sliceCount === 0) return;
      this.index = Math.min(this.sliceCount - 1, Math.max(0, Math.round(index)));
    },
    scrollBy(delta: number) {
      this.goTo(this.index + delta);
    },
    setPreset(name: WindowPreset) {
      this.window = presetWindow(name);
      this.preset = name;
    },
    setWindow(w: HuWindow) {
      this.window = w;
      this.preset = null;
    },
    zoomBy(factor: number) {
      this.zoom = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, this.zoom * factor));
    },
    panBy(dx: number, dy: number) {
      this.panX += dx;
      this.panY += dy;
    },
    /** Jumps to the next (or previous) high-attention slice of an analysis. */
    jump(attention: readonly number[], positive: readonly boolean[], top: readonly number[], direction: 1 | -1) {
      this.goTo(nextMark(highAttentionSlices(attention, positive, top), this.index, direction));
    },
  },
});
