import { createHash } from 'node:crypto';

/** Voxels hashed per step; the event loop gets a turn between steps. */
const CHUNK_VOXELS = 1 << 20;

/**
 * SHA-256 of voxel values written as little-endian Int32 in voxel memory order (DESIGN.md §3):
 * a way for anyone to prove that two readers decoded the same volume.
 */
export async function valueSha256(voxels: Int16Array): Promise<string> {
  const hash = createHash('sha256');
  const buffer = new ArrayBuffer(Math.min(voxels.length, CHUNK_VOXELS) * 4);
  const view = new DataView(buffer);
  for (let start = 0; start < voxels.length; start += CHUNK_VOXELS) {
    const end = Math.min(voxels.length, start + CHUNK_VOXELS);
    for (let i = start; i < end; i++) view.setInt32((i - start) * 4, voxels[i]!, true);
    hash.update(new Uint8Array(buffer, 0, (end - start) * 4));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return hash.digest('hex');
}
