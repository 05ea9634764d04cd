import { HU } from './hu.js';
import { at, type Patient, type Point3 } from './patient.js';
import type { TubeLayer } from './tubes.js';
import { companionTree, type Tree } from './vessels.js';

/** Trachea and main bronchi centre lines (reference mm) with outer radii. */
const CENTRAL: readonly { radius: number; points: readonly (readonly [number, number, number])[] }[] = [
  { radius: 10, points: [[0, -6, 320], [0, -3, 250], [-2, 0, 205], [0, 3, 179]] },
  { radius: 7.8, points: [[0, 3, 179], [-16, 6, 171], [-30, 9, 161]] },
  { radius: 6.4, points: [[-30, 9, 161], [-36, 12, 142]] },
  { radius: 7.2, points: [[0, 3, 179], [22, 7, 171], [42, 11, 160]] },
];

/** Where the intrapulmonary airway trees start: the ends of the main bronchi. */
export const BRONCHUS_ENDS = { right: [-36, 12, 142], left: [42, 11, 160] } as const;

/** Wall thickness of an airway of outer radius r (mm). */
const wallMm = (r: number) => 0.35 + 0.16 * r;

/** Trachea and main bronchi: air inside a soft-tissue wall, outside the lungs. */
export function addCentralAirways(walls: TubeLayer, lumens: TubeLayer, p: Patient): void {
  const k = Math.sqrt(p.sx * p.sy);
  for (const a of CENTRAL) {
    const pts: Point3[] = a.points.map(([x, y, z]) => at(p, x, y, z));
    walls.addChain(pts, a.radius * k, HU.airwayWall);
    lumens.addChain(pts, a.radius * k - wallMm(a.radius * k) - 0.8, HU.air);
  }
}

/**
 * Intrapulmonary bronchi beside the arteries, down to lumens of about 1 mm: walls, then air.
 * In consolidation they stay air-filled (air bronchograms).
 */
export function addBronchialTree(walls: TubeLayer, lumens: TubeLayer, artery: Tree, root: Point3): void {
  const tree = companionTree(artery, 0.85, 1.35, root);
  for (const b of tree.branches) {
    const from = tree.nodes[b.from]!;
    const to = tree.nodes[b.to]!;
    walls.add({ from, to, radiusMm: b.radiusMm, hu: HU.airwayWall });
    lumens.add({ from, to, radiusMm: b.radiusMm - wallMm(b.radiusMm), hu: HU.air });
  }
}
