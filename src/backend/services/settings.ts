import type { AppInfo, Settings } from '../../shared/api.js';
import type { AnalysisService } from './analysis.js';
import type { ServiceContext } from './context.js';
import type { ModelHolder } from './model.js';

/** What the app is (version, transport, data folder, model) and the user's settings; a new model, provider or thread count reopens the engine. */
export class SettingsService {
  constructor(private readonly ctx: ServiceContext, private readonly model: ModelHolder, private readonly analysis: AnalysisService) {}

  info(): AppInfo {
    const { options, prefs } = this.ctx;
    return {
      version: options.version,
      transport: options.transport,
      dataDir: options.dataDir,
      model: this.model.info(),
      modelProblem: this.model.problem,
      settings: prefs.settings,
      recent: prefs.recent,
    };
  }

  async set(settings: Settings): Promise<AppInfo> {
    const before = this.ctx.prefs.settings;
    await this.ctx.prefs.saveSettings(settings);
    if (before.modelPath !== settings.modelPath || before.provider !== settings.provider || before.threads !== settings.threads) {
      await this.model.open(settings);
      this.analysis.forgetAll(); // they were the old model's
    }
    return this.info();
  }
}
