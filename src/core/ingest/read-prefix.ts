import { closeSync, openSync, readSync } from 'node:fs';

/** The first `bytes` bytes of a file (fewer when the file is shorter). */
export function readPrefix(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}
