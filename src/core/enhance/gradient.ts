/**
 * Gradient magnitude of a single-channel image: √(gx² + gy²) with the unnormalised 3×3 Sobel
 * kernels, as the authors' `tensorgrad.m` (for one channel the square root of the structure
 * tensor's largest eigenvalue is exactly this). Borders replicate the edge pixels (the authors'
 * `imfilter` zero-pads, which invents an edge along the image border).
 */
export function sobelMagnitude(image: Float32Array, width: number, height: number, out: Float32Array = new Float32Array(width * height)): Float32Array {
  if (image.length !== width * height) throw new RangeError(`sobel: ${image.length} values for ${width}×${height}`);
  for (let y = 0; y < height; y++) {
    const ym = (y > 0 ? y - 1 : 0) * width;
    const y0 = y * width;
    const yp = (y < height - 1 ? y + 1 : y) * width;
    for (let x = 0; x < width; x++) {
      const xm = x > 0 ? x - 1 : 0;
      const xp = x < width - 1 ? x + 1 : x;
      const a = image[ym + xm]!, b = image[ym + x]!, c = image[ym + xp]!;
      const d = image[y0 + xm]!, f = image[y0 + xp]!;
      const g = image[yp + xm]!, h = image[yp + x]!, i = image[yp + xp]!;
      const gx = c + 2 * f + i - (a + 2 * d + g);
      const gy = g + 2 * h + i - (a + 2 * b + c);
      out[y0 + x] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}
