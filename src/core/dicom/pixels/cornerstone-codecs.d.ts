/**
 * Types for the WASM decoder entries of the cornerstone codec packages, which ship none.
 * Each entry is an Emscripten module factory; the decoders are Embind classes whose buffers
 * are views into WASM memory (valid until the next call) and which must be delete()d.
 */
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: import('./wasm-codecs.js').CodecModuleFactory<import('./wasm-codecs.js').OpenJpegModule>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: import('./wasm-codecs.js').CodecModuleFactory<import('./wasm-codecs.js').CharLSModule>;
  export default factory;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: import('./wasm-codecs.js').CodecModuleFactory<import('./wasm-codecs.js').LibJpegTurboModule>;
  export default factory;
}
