/**
 * Settings and recent studies, as JSON files in the data folder, validated on the way in and out
 * (a damaged file gives the defaults back, never a crash) and replaced atomically.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../core/util/write-atomically.js';
import { RecentStudySchema, SettingsSchema, type RecentStudy, type Settings } from '../shared/api.js';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({ modelPath: null, provider: 'auto', threads: 0, defaultWindow: 'lung', reviewer: '', imageSpacingMm: null });
const RECENT_MAX = 12;

export class Preferences {
  private constructor(private readonly dir: string, private current: Settings, private recentStudies: RecentStudy[]) {}

  static async load(dir: string): Promise<Preferences> {
    await fs.mkdir(dir, { recursive: true });
    const settings = await readJson(path.join(dir, 'settings.json'), SettingsSchema, { ...DEFAULT_SETTINGS });
    const recent = await readJson(path.join(dir, 'recent.json'), z.array(RecentStudySchema), []);
    return new Preferences(dir, settings, recent);
  }

  get settings(): Settings {
    return { ...this.current };
  }

  get recent(): RecentStudy[] {
    return this.recentStudies.map((r) => ({ ...r }));
  }

  async saveSettings(settings: Settings): Promise<void> {
    this.current = SettingsSchema.parse(settings);
    await writeAtomically(path.join(this.dir, 'settings.json'), [JSON.stringify(this.current, null, 2)]);
  }

  /** Puts a study first in the recent list (one entry per path). */
  async remember(study: Omit<RecentStudy, 'openedAt'>): Promise<void> {
    this.recentStudies = [{ ...study, openedAt: new Date().toISOString() }, ...this.recentStudies.filter((r) => r.path !== study.path)].slice(0, RECENT_MAX);
    await writeAtomically(path.join(this.dir, 'recent.json'), [JSON.stringify(this.recentStudies, null, 2)]);
  }
}

async function readJson<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, fallback: T): Promise<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : fallback;
  } catch {
    return fallback;
  }
}
