/**
 * What only the desktop shell can do (src/preload): the native folder dialog and the path of a
 * dropped file. In a browser both are absent: the page asks for a typed path instead.
 */
import { api } from '../api/client.js';

export interface Desktop {
  /** The native folder dialog, where there is one. */
  chooseFolder: (() => Promise<string[]>) | null;
  /** The path on disk of a dropped file, where the shell reveals it. */
  pathOf: ((file: File) => string) | null;
}

export function useDesktop(): Desktop {
  const t = api().transport;
  return { chooseFolder: t.chooseFolder ?? null, pathOf: t.pathForFile ?? null };
}
