// What can be checked of the installers without building them (the Electron download is not
// possible here): electron-builder accepts the configuration, the packaged files include the
// model and its card, and everything native or opened by native code lies outside app.asar.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { load } from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { outsideAsar } from '../core/inference/asar-path.js';

const root = path.resolve(import.meta.dirname, '../..');
const config = load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as { files: string[]; asarUnpack: string[]; publish: unknown; linux: { target: string[] }; win: { target: string[] }; mac: { target: string[] } };
const require = createRequire(import.meta.url);
const packagedPath = (file: string) => path.relative(root, file).split(path.sep).join('/');
const unpacked = (file: string) => config.asarUnpack.some((pattern) => minimatch(packagedPath(file), pattern, { dot: true }));

describe('installer configuration', () => {
  it('is valid for electron-builder', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (c: unknown, logger: unknown) => Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds the four installers and never publishes (no update server)', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.publish).toBeNull();
  });

  it('packs the model with its card, unpacked from app.asar', () => {
    for (const file of ['models/lunglens-compact.onnx', 'models/lunglens-compact.card.json']) {
      expect(config.files.some((p) => minimatch(file, p)), file).toBe(true);
      expect(unpacked(path.join(root, file)), file).toBe(true);
    }
  });

  it('resolves onnxruntime-node and better-sqlite3 to native files outside app.asar', () => {
    const ort = path.dirname(require.resolve('onnxruntime-node'));
    const binding = path.join(ort, '..', 'bin', 'napi-v6', 'linux', 'x64', 'onnxruntime_binding.node');
    expect(unpacked(binding)).toBe(true);
    expect(unpacked(path.join(path.dirname(require.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    expect(unpacked(path.join(ort, '..', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime.so.1'))).toBe(true);
  });

  it('the engine looks for the bundled model beside app.asar, where it is unpacked', () => {
    expect(outsideAsar('/opt/LungLens/resources/app.asar/models/lunglens-compact.onnx')).toBe('/opt/LungLens/resources/app.asar.unpacked/models/lunglens-compact.onnx');
    expect(outsideAsar('C:\\Program Files\\LungLens\\resources\\app.asar\\models\\m.onnx')).toBe('C:\\Program Files\\LungLens\\resources\\app.asar.unpacked\\models\\m.onnx');
    expect(outsideAsar('/work/app.asarx/models/m.onnx')).toBe('/work/app.asarx/models/m.onnx');
    expect(outsideAsar('/work/main/models/m.onnx')).toBe('/work/main/models/m.onnx');
  });
});
