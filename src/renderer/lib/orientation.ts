/**
 * The patient-direction letters at the edges of a slice (DESIGN.md §2: LPS, direction = row,
 * column, normal): the right edge shows where the row direction points, the bottom edge where the
 * column direction points; an oblique direction gets up to two letters (largest component first).
 */
const LETTERS: Array<[string, string]> = [['L', 'R'], ['P', 'A'], ['S', 'I']];

export function directionLetters(v: readonly number[]): string {
  const parts = [0, 1, 2].map((axis) => ({ axis, value: v[axis]! })).filter((p) => Math.abs(p.value) > 0.3)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 2);
  return parts.map((p) => LETTERS[p.axis]![p.value > 0 ? 0 : 1]).join('');
}

export interface EdgeLabels { left: string; right: string; top: string; bottom: string }

export function edgeLabels(direction: readonly number[]): EdgeLabels {
  const row = direction.slice(0, 3), column = direction.slice(3, 6);
  return {
    right: directionLetters(row), left: directionLetters(row.map((x) => -x)),
    bottom: directionLetters(column), top: directionLetters(column.map((x) => -x)),
  };
}
