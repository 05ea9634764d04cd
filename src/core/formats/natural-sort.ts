/**
 * Natural ("human") order of file names: runs of digits compare as numbers, so
 * `Covid (2).png` < `Covid (10).png` and `img9.jpg` < `img10.jpg`. Other runs compare
 * case-insensitively by code point; exact ties fall back to plain code-point order, so the
 * result is deterministic on every platform (no locale involved).
 */
import nodePath from 'node:path';

const CHUNK = /(\d+)|(\D+)/g;

function chunks(name: string): string[] {
  return name.match(CHUNK) ?? [];
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  if (x !== y) return x < y ? -1 : 1;
  return a.length - b.length; // "007" after "7"
}

export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a);
  const cb = chunks(b);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    const xDigits = /^\d/.test(x);
    const yDigits = /^\d/.test(y);
    let order: number;
    if (xDigits && yDigits) order = compareDigits(x, y);
    else if (xDigits !== yDigits) order = xDigits ? -1 : 1;
    else {
      const xl = x.toLowerCase();
      const yl = y.toLowerCase();
      order = xl === yl ? 0 : xl < yl ? -1 : 1;
    }
    if (order !== 0) return order;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Files in natural order of their base names (then of their full paths). */
export function sortSliceFiles(files: readonly string[]): string[] {
  return [...files].sort(
    (a, b) => naturalCompare(nodePath.basename(a), nodePath.basename(b)) || naturalCompare(a, b),
  );
}
