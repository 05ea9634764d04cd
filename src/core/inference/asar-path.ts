/**
 * A path inside an Electron `app.asar` archive, moved to its unpacked twin — where
 * electron-builder's `asarUnpack` (electron-builder.yml) puts the model and native code, because
 * onnxruntime opens files with its own C++ I/O, which cannot read inside the archive. Other paths
 * are returned as they are.
 */
export function outsideAsar(p: string): string {
  return p.replace(/(^|[\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
}
