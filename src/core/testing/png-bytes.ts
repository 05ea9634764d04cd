/** PNG files for tests, written with pngjs (an encoder independent of the readers under test). */
import { PNG } from 'pngjs';

/** A PNG written with pngjs: grey (1 value per pixel), RGB (3) or RGBA (4), 8 or 16 bits. */
export function pngBytes(width: number, height: number, samples: ArrayLike<number>, options: { channels?: 1 | 3 | 4; bitDepth?: 8 | 16 } = {}): Buffer {
  const channels = options.channels ?? 1;
  const bitDepth = options.bitDepth ?? 8;
  const colorType = ({ 1: 0, 3: 2, 4: 6 } as const)[channels];
  const data = bitDepth === 16 ? Buffer.from(new Uint16Array(Array.from(samples)).buffer) : Buffer.from(Array.from(samples));
  const png = new PNG({ width, height, colorType, inputColorType: colorType, bitDepth, inputHasAlpha: channels === 4 });
  png.data = data;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: channels === 4 });
}
