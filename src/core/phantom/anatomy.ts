import { paintAbdomen } from './abdomen.js';
import { paintArms, paintBody, paintTable } from './body.js';
import { HU } from './hu.js';
import { paintCavities } from './lungs.js';
import { paintMediastinum } from './mediastinum.js';
import type { Patient } from './patient.js';
import { Tissue, type SliceCanvas } from './raster.js';
import { paintScapulae, paintSpine, paintSternum } from './skeleton.js';

/**
 * Paints the anatomy made of smooth shapes at one axial plane (reference z), back to front:
 * table, body wall, scapulae, the pleural cavities filled with lung (and effusion), the abdomen
 * under the domes, the mediastinum and heart, the spine and sternum. Tubes (vessels, airways,
 * ribs) and lung texture come later.
 */
export function paintAnatomy(c: SliceCanvas, p: Patient, zr: number, effusionMm: [number, number]): void {
  c.clear(HU.air, Tissue.outside);
  paintTable(c, p, zr);
  paintBody(c, p, zr);
  if (p.armsDown) paintArms(c, p, zr);
  paintScapulae(c, p, zr);
  paintCavities(c, p, zr, effusionMm);
  paintAbdomen(c, p, zr);
  paintMediastinum(c, p, zr);
  paintSpine(c, p, zr);
  paintSternum(c, p, zr);
}
