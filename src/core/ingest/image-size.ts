import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Width and height of a PNG or JPEG file from its header, without decoding it, so that a
 * folder of slices can be grouped by size before it is stacked. Null when not recognised.
 */
export function readImageSize(path: string): { width: number; height: number } | null {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    return imageSizeFromBytes(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export function imageSizeFromBytes(b: Buffer): { width: number; height: number } | null {
  // PNG: signature, then the IHDR chunk with big-endian width and height.
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  // JPEG: walk the markers to the first start-of-frame.
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let p = 2;
    while (p + 9 < b.length) {
      if (b[p] !== 0xff) return null;
      const marker = b[p + 1]!;
      if (marker === 0xff) {
        p++;
        continue;
      }
      const length = b.readUInt16BE(p + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { width: b.readUInt16BE(p + 7), height: b.readUInt16BE(p + 5) };
      p += 2 + length;
    }
  }
  return null;
}
