/**
 * The WASM decoders (OpenJPEG, CharLS, libjpeg-turbo 8-bit from the cornerstone codec packages),
 * each instantiated once per thread on first use and kept. Their `decodewasmjs` entries find
 * the .wasm beside themselves; print/printErr are silenced so nothing reaches stdout.
 */

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

export interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}

export interface OpenJpegModule {
  J2KDecoder: new () => EmbindDecoder & { getIsReversible(): boolean };
}
export interface CharLSModule {
  JpegLSDecoder: new () => EmbindDecoder & { getNearLossless(): number; getInterleaveMode(): number };
}
export interface LibJpegTurboModule {
  JPEGDecoder: new () => EmbindDecoder;
}

export type CodecModuleFactory<M> = (options: { print: (text: string) => void; printErr: (text: string) => void }) => Promise<M>;

/**
 * A lazily created module, forgotten after a failed decode: an aborted Emscripten module stays
 * broken and a C++ exception may leak its memory, so the next decode starts a fresh instance.
 */
class CachedModule<M> {
  private module: Promise<M> | null = null;
  constructor(private readonly load: () => Promise<{ default: CodecModuleFactory<M> }>) {}

  get(): Promise<M> {
    if (this.module === null) {
      // A fresh options object each time: Emscripten uses it as the module object itself.
      const module = this.load().then((entry) => entry.default({ print: () => {}, printErr: () => {} }));
      module.catch(() => this.forget());
      this.module = module;
    }
    return this.module;
  }

  forget(): void {
    this.module = null;
  }
}

export const openJpeg = new CachedModule<OpenJpegModule>(() => import('@cornerstonejs/codec-openjpeg/decodewasmjs'));
export const charLS = new CachedModule<CharLSModule>(() => import('@cornerstonejs/codec-charls/decodewasmjs'));
export const libJpegTurbo = new CachedModule<LibJpegTurboModule>(() => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'));

/**
 * Runs one decode: copies `encoded` in, decodes, copies the result out of WASM memory and frees
 * the decoder. `inspect` reads anything else from the decoder before it is freed.
 */
export function runDecoder<D extends EmbindDecoder, X>(decoder: D, encoded: Uint8Array, inspect: (d: D) => X): { info: CodecFrameInfo; bytes: Uint8Array; extra: X } {
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    return { info, bytes, extra: inspect(decoder) };
  } finally {
    decoder.delete();
  }
}

/** A readable detail from whatever an Emscripten module threw (C++ exceptions arrive as numbers). */
export function codecErrorDetail(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'the decoder stopped with an internal error; the data may be damaged or truncated';
}
