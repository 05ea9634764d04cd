/**
 * Generated studies for the e2e tests (written once into test-results/fixtures by the global
 * setup, through the real `lunglens phantom` command): a COVID-19 study to read (lesions on 105 of its 150 slices), a 300-slice
 * 512² study for the responsiveness figures, a batch folder with two studies and a corrupt file, and
 * a COVID-19 study written as an 8-bit PNG stack in a lung window (no spacing in the files).
 */
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const FIXTURES = path.join(ROOT, 'test-results', 'fixtures');
export const SCREENS = path.join(ROOT, 'test-results', 'screens');

export const STUDY = { dir: path.join(FIXTURES, 'study'), args: ['--count', '1', '--seed', 'e2e-study-2', '--realism', 'v1', '--positive-rate', '1', '--size', '256', '--slices', '150..150'] };
export const LARGE = { dir: path.join(FIXTURES, 'large'), args: ['--count', '1', '--seed', 'e2e-large', '--realism', 'v1', '--positive-rate', '1', '--size', '512', '--slices', '300..300'] };
export const BATCH = { dir: path.join(FIXTURES, 'batch'), args: ['--count', '2', '--seed', 'e2e-batch', '--realism', 'v1', '--positive-rate', '0.5', '--size', '128', '--slices', '40..60'] };
export const PNG_STUDY = { dir: path.join(FIXTURES, 'png-study'), args: ['--count', '1', '--seed', 'e2e-png', '--realism', 'v1', '--positive-rate', '1', '--size', '256', '--slices', '80..80', '--format', 'png', '--window', 'lung'] };
export const CORRUPT_FILE = 'corrupt.dcm';
