// The Electron main process: one hardened window over the same core the CLI and `serve` run.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, screen, session } from 'electron';
import { createCore } from '../core/index';
import { createLogger } from '../log';
import { nameThisProgram } from '../store/owner';
import { dataDirOf, defaultDataDir } from '../store/paths';
import { registerIpc } from './ipc';
import { buildAppMenu } from './menu';
import { electronPdfPrinter } from './pdf';
import { KeychainSecretStore } from './secrets';
import { appUrlMatcher, hardenContents, hardenSession, secureWebPreferences } from './security';
import { loadWindowState, placeOnScreen, saveWindowState } from './window-state';

const log = createLogger(process.env.MCHAIR_LOG ?? 'info');
nameThisProgram('the desktop app');

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

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession, isAppUrl);
    // The lab's one data folder, shared with serve and the CLI (Electron's userData keeps only
    // Chromium's own files).
    const home = defaultDataDir(process.env);
    const dataDir = dataDirOf(home);
    Menu.setApplicationMenu(buildAppMenu(dataDir, !app.isPackaged));
    const core = createCore({
      mode: 'electron',
      dataDir,
      log,
      secrets: new KeychainSecretStore(dataDir),
      printPdf: electronPdfPrinter(isAppUrl),
      home,
      // The core's services hold the old folder's paths: start again on the new one.
      onDataFolderChanged: () =>
        setTimeout(() => {
          app.relaunch();
          void core.close().finally(() => app.exit(0));
        }, 500),
    });
    registerIpc(ipcMain, core, isAppUrl, () =>
      BrowserWindow.getAllWindows().map((w) => w.webContents),
    );

    const saved = placeOnScreen(
      await loadWindowState(dataDir),
      screen.getAllDisplays().map((d) => d.workArea),
    );
    const win = new BrowserWindow({
      width: saved.width,
      height: saved.height,
      ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
      show: false,
      title: 'Musical Chair Lab',
      webPreferences: secureWebPreferences(join(import.meta.dirname, '../preload/index.cjs')),
    });
    window = win;
    win.once('ready-to-show', () => {
      if (saved.maximized) win.maximize();
      win.show();
    });
    // Saved when the window closes: the normal bounds, so a maximised window restores to them.
    win.on('close', () => {
      const b = win.getNormalBounds();
      void saveWindowState(dataDir, { ...b, maximized: win.isMaximized() }).catch((err: unknown) =>
        log.warn({ err }, 'window state not saved'),
      );
    });
    win.on('closed', () => (window = null));
    void (devUrl ? win.loadURL(devUrl) : win.loadFile(rendererFile));

    app.on('window-all-closed', () => {
      void core.close().finally(() => app.quit());
    });
  });
}
