import { InferenceEngine } from '../../core/inference/engine.js';
import type { ModelInfo, Settings } from '../../shared/api.js';
import { ApiError, toProblem } from '../api-error.js';

/**
 * The model the backend analyses with: opened from the settings (model file, provider, threads),
 * reopened when they change, and why there is none when it cannot be loaded.
 */
export class ModelHolder {
  private current: InferenceEngine | null = null;
  private why: { code: string; message: string } | null = null;

  get engine(): InferenceEngine | null {
    return this.current;
  }

  get problem(): { code: string; message: string } | null {
    return this.why;
  }

  /** The engine, or a `no-model` refusal with the reason. */
  require(): InferenceEngine {
    if (!this.current) throw new ApiError('no-model', this.why?.message ?? 'No model is loaded. Choose a model file in Settings.', 409);
    return this.current;
  }

  async open(s: Settings): Promise<void> {
    const previous = this.current;
    this.current = null;
    await previous?.close();
    try {
      this.current = await InferenceEngine.open({ ...(s.modelPath ? { model: s.modelPath } : {}), provider: s.provider, ...(s.threads > 0 ? { threads: s.threads } : {}) });
      this.why = null;
    } catch (error) {
      const p = toProblem(error);
      this.why = { code: p.code, message: `${p.message} Choose another model file in Settings.` };
    }
  }

  info(): ModelInfo | null {
    const e = this.current;
    return e && {
      name: e.identity.name, version: e.identity.version, sha256: e.identity.sha256, threshold: e.card.threshold,
      intendedUse: e.card.intendedUse, inputSize: e.card.preprocessing.size,
      provider: { requested: e.identity.provider.requested, used: e.identity.provider.used, ...(e.identity.provider.fallbackReason ? { fallbackReason: e.identity.provider.fallbackReason } : {}) },
    };
  }

  async close(): Promise<void> {
    await this.current?.close();
  }
}
