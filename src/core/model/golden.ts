/**
 * The closed-form inputs of a model card's `golden` block (training/export.py `golden_inputs`):
 * PyTorch's outputs on them are written into the card at export, so any runtime can prove it
 * computes the same network — the onnxruntime-node test here, and an installed workstation.
 * Computed in float64 and stored as float32, exactly like numpy does, so both sides feed the
 * network the same bits.
 */
export function goldenInputs(size: number, n: number): { slices: Float32Array; masks: Float32Array } {
  const plane = size * size;
  const slices = new Float32Array(n * plane);
  const masks = new Float32Array(n * plane);
  const r2 = (0.3 * size) ** 2;
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = k * plane + y * size + x;
        slices[i] = 1.5 * Math.sin(0.37 * (x + 1) * (k + 1) / size + 0.11 * y) - 0.5 * Math.cos(0.23 * x - 0.19 * (y + k));
        masks[i] = (x - size / 2 + 0.5) ** 2 + (y - size / 2 + 0.5) ** 2 < r2 ? 1 : 0;
      }
    }
  }
  return { slices, masks };
}
