// The Electron main process: one hardened window over the same core the CLI and `serve` run.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { createCore } from '../core/index';
import { createLogger } from '../log';
import { registerIpc } from './ipc';
import { KeychainSecretStore } from './secrets';
import { appUrlMatcher, hardenContents, hardenSession, secureWebPreferences } from './security';

const log = createLogger(process.env.MCHAIR_LOG ?? 'info');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const rendererFile = join(import.meta.dirname, '../renderer/index.html');
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  const isAppUrl = appUrlMatcher(pathToFileURL(rendererFile).href, devUrl);
  let window: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, isAppUrl));

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession, isAppUrl);
    const dataDir = app.getPath('userData');
    const core = createCore({
      mode: 'electron',
      dataDir,
      log,
      secrets: new KeychainSecretStore(dataDir),
    });
    registerIpc(ipcMain, core, isAppUrl, () =>
      BrowserWindow.getAllWindows().map((w) => w.webContents),
    );

    window = new BrowserWindow({
      width: 1280,
      height: 820,
      show: false,
      title: 'Musical Chair Lab',
      webPreferences: secureWebPreferences(join(import.meta.dirname, '../preload/index.cjs')),
    });
    window.once('ready-to-show', () => window?.show());
    window.on('closed', () => (window = null));
    void (devUrl ? window.loadURL(devUrl) : window.loadFile(rendererFile));

    app.on('window-all-closed', () => {
      void core.close().finally(() => app.quit());
    });
  });
}
