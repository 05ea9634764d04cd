import type { Point3 } from './patient.js';
import type { Rng } from './random.js';

/** One straight piece of a branching tree, with the node ids it joins. */
export interface Branch {
  from: number;
  to: number;
  radiusMm: number;
  generation: number;
}

/** A tree: node positions (mm, LPS) and branches in parent-before-child order. */
export interface Tree {
  nodes: Point3[];
  branches: Branch[];
}

export interface TreeOptions {
  /** Radius of the root branch; children follow Murray's law by the volume they supply. */
  rootRadiusMm: number;
  /** Fraction of the way toward its territory's centroid that a branch goes before splitting. */
  lengthFraction: number;
  /** A territory with this many sample points or fewer ends in a terminal branch. */
  leafPoints: number;
}

/**
 * A space-filling branching tree grown the way Kitaoka et al. (1999) model the airways: each branch
 * supplies a territory of sample points; it heads for the territory's centroid, then the territory
 * is cut in two by a plane through the centroid across its longest extent and each half gets a
 * child branch. Radii follow Murray's law: r = rootRadius · (points / all points)^(1/3), so
 * vessels thin toward the periphery generation by generation.
 *
 * @param points sample points filling the organ, as x, y, z triples (mm)
 */
export function growTree(root: Point3, points: Float32Array, rng: Rng, options: TreeOptions): Tree {
  const total = points.length / 3;
  const nodes: Point3[] = [root];
  const branches: Branch[] = [];
  if (total === 0) return { nodes, branches };
  const all = new Int32Array(total);
  for (let i = 0; i < total; i++) all[i] = i;
  // Explicit stack: (start node, index range in `all`, generation, direction of the parent).
  const stack: [number, number, number, number, Point3 | null][] = [[0, 0, total, 0, null]];
  while (stack.length) {
    const [startNode, lo, hi, generation, parentDir] = stack.pop()!;
    const n = hi - lo;
    let cx = 0;
    let cy = 0;
    let cz = 0;
    for (let k = lo; k < hi; k++) {
      const q = all[k]! * 3;
      cx += points[q]!;
      cy += points[q + 1]!;
      cz += points[q + 2]!;
    }
    cx /= n;
    cy /= n;
    cz /= n;
    const radius = options.rootRadiusMm * Math.cbrt(n / total);
    const start = nodes[startNode]!;
    if (n <= options.leafPoints) {
      nodes.push([cx, cy, cz]);
      branches.push({ from: startNode, to: nodes.length - 1, radiusMm: radius, generation });
      continue;
    }
    // Head for the centroid, but no sharper than MAX_TURN from the parent and no shorter than
    // a few radii (otherwise nodes pile up where a territory surrounds its start: starbursts).
    let dx = cx - start[0];
    let dy = cy - start[1];
    let dz = cz - start[2];
    const dist = Math.hypot(dx, dy, dz) || 1e-6;
    dx /= dist; dy /= dist; dz /= dist;
    if (parentDir) [dx, dy, dz] = limitTurn([dx, dy, dz], parentDir, MAX_TURN);
    const length = Math.max(dist * options.lengthFraction * rng.uniform(0.8, 1.2), 3 * radius + 1.5);
    nodes.push([start[0] + dx * length, start[1] + dy * length, start[2] + dz * length]);
    const end = nodes.length - 1;
    const dir: Point3 = [dx, dy, dz];
    branches.push({ from: startNode, to: end, radiusMm: radius, generation });
    // Split across the longest extent (power iteration on the covariance), slightly jittered.
    const axis = principalAxis(points, all, lo, hi, cx, cy, cz, rng);
    let a = lo;
    let b = hi - 1;
    while (a <= b) {
      const q = all[a]! * 3;
      const d = (points[q]! - cx) * axis[0] + (points[q + 1]! - cy) * axis[1] + (points[q + 2]! - cz) * axis[2];
      if (d < 0) a++;
      else {
        const t = all[a]!;
        all[a] = all[b]!;
        all[b] = t;
        b--;
      }
    }
    if (a === lo || a === hi) {
      // Degenerate split (all points coincide): finish here.
      continue;
    }
    stack.push([end, lo, a, generation + 1, dir], [end, a, hi, generation + 1, dir]);
  }
  return { nodes, branches };
}

/** Largest angle (radians) between a branch and its parent. */
const MAX_TURN = (70 * Math.PI) / 180;

/** Turns unit vector `v` toward unit vector `ref` until they are at most `maxAngle` apart. */
function limitTurn(v: Point3, ref: Point3, maxAngle: number): Point3 {
  const cos = v[0] * ref[0] + v[1] * ref[1] + v[2] * ref[2];
  if (cos >= Math.cos(maxAngle)) return v;
  // Component of v perpendicular to ref, then rebuild at maxAngle from ref.
  let px = v[0] - cos * ref[0];
  let py = v[1] - cos * ref[1];
  let pz = v[2] - cos * ref[2];
  const len = Math.hypot(px, py, pz);
  if (len < 1e-9) {
    // v points straight back: any perpendicular will do.
    [px, py, pz] = Math.abs(ref[0]) < 0.9 ? [0, -ref[2], ref[1]] : [-ref[2], 0, ref[0]];
  }
  const l = Math.hypot(px, py, pz);
  const c = Math.cos(maxAngle);
  const s = Math.sin(maxAngle);
  return [ref[0] * c + (px / l) * s, ref[1] * c + (py / l) * s, ref[2] * c + (pz / l) * s];
}

function principalAxis(points: Float32Array, idx: Int32Array, lo: number, hi: number, cx: number, cy: number, cz: number, rng: Rng): Point3 {
  let xx = 0, xy = 0, xz = 0, yy = 0, yz = 0, zz = 0;
  const stride = Math.max(1, Math.floor((hi - lo) / 400));
  for (let k = lo; k < hi; k += stride) {
    const q = idx[k]! * 3;
    const dx = points[q]! - cx;
    const dy = points[q + 1]! - cy;
    const dz = points[q + 2]! - cz;
    xx += dx * dx; xy += dx * dy; xz += dx * dz; yy += dy * dy; yz += dy * dz; zz += dz * dz;
  }
  let v: Point3 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
  for (let it = 0; it < 8; it++) {
    const w: Point3 = [xx * v[0] + xy * v[1] + xz * v[2], xy * v[0] + yy * v[1] + yz * v[2], xz * v[0] + yz * v[1] + zz * v[2]];
    const len = Math.hypot(w[0], w[1], w[2]) || 1;
    v = [w[0] / len, w[1] / len, w[2] / len];
  }
  const j = 0.25;
  const u: Point3 = [v[0] + rng.uniform(-j, j), v[1] + rng.uniform(-j, j), v[2] + rng.uniform(-j, j)];
  const len = Math.hypot(u[0], u[1], u[2]) || 1;
  return [u[0] / len, u[1] / len, u[2] / len];
}

/**
 * The airway that runs beside each artery (broncho-vascular bundle): the artery tree's branches
 * down to `minArteryRadiusMm`, moved sideways by the two radii, with outer radius × `ratio`.
 */
export function companionTree(artery: Tree, ratio: number, minArteryRadiusMm: number, root: Point3): Tree {
  const radiusAt = new Float64Array(artery.nodes.length);
  const dirAt: Point3[] = artery.nodes.map(() => [0, 0, 1]);
  for (const b of artery.branches) {
    const p = artery.nodes[b.from]!;
    const q = artery.nodes[b.to]!;
    const len = Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]) || 1;
    dirAt[b.to] = [(q[0] - p[0]) / len, (q[1] - p[1]) / len, (q[2] - p[2]) / len];
    radiusAt[b.to] = b.radiusMm;
  }
  const offsetNode = (id: number): Point3 => {
    const d = dirAt[id]!;
    // Perpendicular to the branch, in the horizontal plane where possible.
    let nx = -d[1];
    let ny = d[0];
    let nz = 0;
    let len = Math.hypot(nx, ny);
    if (len < 0.2) { nx = 1; ny = 0; nz = 0; len = 1; }
    const r = radiusAt[id]!;
    const k = (r * (1 + ratio) + 0.4) / len;
    const p = artery.nodes[id]!;
    return [p[0] + nx * k, p[1] + ny * k, p[2] + nz * k];
  };
  const nodes: Point3[] = [root];
  const map = new Map<number, number>([[0, 0]]);
  const branches: Branch[] = [];
  for (const b of artery.branches) {
    if (b.radiusMm < minArteryRadiusMm) continue;
    const from = map.get(b.from);
    if (from === undefined) continue;
    nodes.push(offsetNode(b.to));
    map.set(b.to, nodes.length - 1);
    branches.push({ from, to: nodes.length - 1, radiusMm: b.radiusMm * ratio, generation: b.generation });
  }
  return { nodes, branches };
}
