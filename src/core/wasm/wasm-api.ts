/**
 * The little of the WebAssembly JS API our SIMD kernels use (the DOM lib, which declares it, is
 * not loaded in this Node project), shared by every kernel loader.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
}

/** The runtime's WebAssembly object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

export const WASM_PAGE_BYTES = 65536;

/**
 * One SIMD kernel's module (base64, as the generated .wasm.ts holds it), decoded and validated
 * once, and this thread's instance of it, made on first use (module state is per thread). Every
 * kernel loader (hu, lung, model input) keeps one.
 */
export class KernelSlot<K> {
  private decoded: Uint8Array | undefined;
  private valid: boolean | undefined;
  private instance: K | null | undefined;

  constructor(private readonly base64: string, private readonly create: () => K) {}

  /** The module's bytes. */
  bytes(): Uint8Array {
    return (this.decoded ??= Uint8Array.from(atob(this.base64), (c) => c.charCodeAt(0)));
  }

  /** Whether this runtime validates the module (WebAssembly with 128-bit SIMD). */
  available(): boolean {
    if (this.valid === undefined) {
      try {
        this.valid = wasmApi()?.validate(this.bytes()) ?? false;
      } catch {
        this.valid = false;
      }
    }
    return this.valid;
  }

  /** A new instance of the module (no imports), its exports; throws without WebAssembly SIMD. */
  instantiate(): Record<string, unknown> {
    const wa = wasmApi();
    if (!wa || !this.available()) throw new Error('WebAssembly SIMD is not available in this runtime');
    return new wa.Instance(new wa.Module(this.bytes()), {}).exports;
  }

  /** This thread's kernel object (null without WebAssembly SIMD: the caller uses its JavaScript). */
  get(): K | null {
    if (this.instance === undefined) this.instance = this.available() ? this.create() : null;
    return this.instance;
  }

  /** Drops this thread's instance when `drop` says so (the next `get` makes a new one). */
  releaseIf(drop: (kernel: K) => boolean): void {
    if (this.instance && drop(this.instance)) this.instance = undefined;
  }
}
