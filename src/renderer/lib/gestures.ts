/**
 * Mouse conventions shared by every image pane: the wheel scrolls slices (one per notch), with
 * Ctrl/⌘ it zooms; a drag pans with Shift or the middle button, otherwise it is the pane's own
 * tool (window/level in the slice viewer, pan in the enhancement panes).
 */
export type WheelAction = { kind: 'scroll'; delta: number } | { kind: 'zoom'; factor: number };

export function wheelAction(e: Pick<WheelEvent, 'deltaY' | 'ctrlKey' | 'metaKey'>): WheelAction {
  if (e.ctrlKey || e.metaKey) return { kind: 'zoom', factor: Math.exp(-e.deltaY * 0.0015) };
  return { kind: 'scroll', delta: Math.sign(e.deltaY) };
}

export function isPanDrag(e: Pick<PointerEvent, 'button' | 'shiftKey'>): boolean {
  return e.button === 1 || e.shiftKey;
}
