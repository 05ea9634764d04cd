/**
 * The Electron main process: one window on the built reading room, sandboxed (context isolation,
 * no Node in the renderer, navigation and new windows refused), and the IPC side of the API
 * contract. The backend's services run on a thread of their own (ThreadBackend), behind the same
 * validating dispatcher as `lunglens serve`: this process only routes calls and events.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, crashReporter, dialog, ipcMain, session, shell } from 'electron';
import { toProblem } from '../backend/api-error.js';
import { optimiseOnCallingThread } from '../core/compiler-flags.js';
import { appVersion } from '../backend/app-version.js';
import { dataDir } from '../backend/data-dir.js';
import { RENDERER_DIR } from '../backend/http-server.js';
import { Log } from '../backend/log.js';
import { ThreadBackend } from '../backend/thread-backend.js';
import { IPC } from '../shared/api.js';
import type { BridgeReply } from '../shared/bridge.js';

const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const INDEX = path.join(RENDERER_DIR, 'index.html');
const rendererUrl = pathToFileURL(RENDERER_DIR).href;

let running: ThreadBackend | null = null;

// Minidumps stay on this machine (the crash log beside them is what a user hands to IT).
crashReporter.start({ uploadToServer: false });
optimiseOnCallingThread(); // before the backend starts its threads
app.enableSandbox();

/** Every web contents: no webviews, no new windows, no navigation away from the reading room. */
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(rendererUrl)) event.preventDefault();
  });
});

/** No permission (camera, notifications, …) is ever granted, and nothing is fetched from a network. */
function lockDownSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'backend://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) => callback({ cancel: true }));
}

function fromOurPage(frameUrl: string | undefined): boolean {
  return typeof frameUrl === 'string' && frameUrl.startsWith(rendererUrl);
}

async function createWindow(backend: ThreadBackend): Promise<void> {
  const win = new BrowserWindow({
    width: 1480, height: 940, minWidth: 1100, minHeight: 700, backgroundColor: '#0f1419', title: 'LungLens',
    webPreferences: { preload: PRELOAD, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, spellcheck: false },
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    // a link to a report the app wrote (file:) opens in the system's viewer; anything else is refused
    if (url.startsWith('file:')) void shell.openPath(fileURLToPath(url));
    return { action: 'deny' };
  });
  const unsubscribe = backend.onEvent((event) => {
    if (!win.isDestroyed()) win.webContents.send(IPC.event, event);
  });
  win.on('closed', unsubscribe);
  await win.loadFile(INDEX);
}

async function start(): Promise<void> {
  await app.whenReady();
  lockDownSession();
  const log = new Log(path.join(dataDir(), 'logs'));
  const stopped = (error: unknown) => {
    const report = log.crash(error, { lunglens: appVersion(), electron: process.versions.electron ?? '', node: process.versions.node });
    dialog.showErrorBox('LungLens stopped', `Something went wrong. A crash report was written to ${report}; please hand it to IT.`);
    app.exit(1);
  };
  process.on('uncaughtException', stopped);
  const backend = await ThreadBackend.start({ dataDir: dataDir(), transport: 'electron', version: appVersion() });
  running = backend;
  backend.onCrash(stopped);
  ipcMain.handle(IPC.call, async (event, method: unknown, payload: unknown): Promise<BridgeReply> => {
    if (!fromOurPage(event.senderFrame?.url)) return { ok: false, error: { code: 'bad-sender', message: 'Calls are accepted from the LungLens window only.' } };
    try {
      const value = await backend.call(String(method), payload);
      return { ok: true, value: Buffer.isBuffer(value) ? new Uint8Array(value) : value };
    } catch (error) {
      const p = toProblem(error);
      return { ok: false, error: { code: p.code, message: p.message } };
    }
  });
  ipcMain.handle(IPC.chooseFolder, async (event) => {
    if (!fromOurPage(event.senderFrame?.url)) return [];
    const win = BrowserWindow.fromWebContents(event.sender);
    const options = { title: 'Open a CT study', properties: ['openDirectory', 'multiSelections'] as Array<'openDirectory' | 'multiSelections'> };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return result.canceled ? [] : result.filePaths;
  });
  await createWindow(backend);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(backend);
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void running?.close();
});

start().catch((error: unknown) => {
  dialog.showErrorBox('LungLens could not start', (error as Error).message);
  app.exit(1);
});
