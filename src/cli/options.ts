import { InvalidArgumentError } from 'commander';

/** Commander parser for options that take a positive integer. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Commander parser for `--spacing X,Y,Z`: three positive millimetre values. */
export function parseSpacing(value: string): [number, number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || !parts.every((n) => Number.isFinite(n) && n > 0 && n <= 100)) {
    throw new InvalidArgumentError(`expected three positive millimetre values X,Y,Z (e.g. 0.7,0.7,5), got "${value}"`);
  }
  return parts as [number, number, number];
}

/** The `--spacing` option's help, the same for every command that reads volumes. */
export const SPACING_HELP = 'voxel spacing X,Y,Z in mm, used instead of the files\' own (or, for image slices, instead of the estimate from anatomy)';

/** Commander parser for options that take an integer ≥ 0 (indices). */
export function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}
