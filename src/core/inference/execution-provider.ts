/**
 * Which onnxruntime execution provider runs the model: CUDA when asked for (or `auto`) and its
 * libraries load, else the CPU — never silently: the result says what was asked, what runs, and
 * why it differs. onnxruntime-node throws when the CUDA provider's libraries are missing (they are
 * a separate download); that failure is caught here and becomes the `fallbackReason`.
 */
import type { InferenceSession } from 'onnxruntime-node';

export type ProviderPreference = 'auto' | 'cuda' | 'cpu';

export interface ProviderReport {
  requested: ProviderPreference;
  /** The provider the session actually runs on. */
  used: 'cuda' | 'cpu';
  /** Why `used` is not what was requested (`auto`: why CUDA was not used). */
  fallbackReason?: string;
}

export interface SessionFactory {
  create(path: string, options: InferenceSession.SessionOptions): Promise<InferenceSession>;
  /** Where the CUDA provider library would be, or null when it is not installed (then CUDA is not tried). */
  cudaLibrary(): string | null;
}

/** Opens the session on the preferred provider, falling back to the CPU with the reason recorded. */
export async function openSession(factory: SessionFactory, modelPath: string, preference: ProviderPreference, threads: number): Promise<{ session: InferenceSession; provider: ProviderReport }> {
  const base: InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  let fallbackReason: string | undefined;
  if (preference !== 'cpu' && factory.cudaLibrary() === null) {
    fallbackReason = 'The CUDA execution provider is not installed (libonnxruntime_providers_cuda.so next to onnxruntime-node; see the README); running on the CPU.';
  } else if (preference !== 'cpu') {
    try {
      const session = await factory.create(modelPath, { ...base, executionProviders: ['cuda'] });
      return { session, provider: { requested: preference, used: 'cuda' } };
    } catch (error) {
      fallbackReason = `The CUDA execution provider could not be started (${oneLine(error)}); running on the CPU.`;
    }
  }
  const session = await factory.create(modelPath, { ...base, executionProviders: ['cpu'] });
  return { session, provider: { requested: preference, used: 'cpu', ...(fallbackReason ? { fallbackReason } : {}) } };
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n').find((l) => l.trim()) ?? text;
  return first.length > 240 ? `${first.slice(0, 240)}…` : first;
}
