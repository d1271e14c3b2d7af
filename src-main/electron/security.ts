// Electron hardening in one place (electronjs.org security checklist): the window's web
// preferences, denied navigation and new windows, and permissions denied except the camera for
// the app's own page.
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

export function secureWebPreferences(
  preload: string,
): BrowserWindowConstructorOptions['webPreferences'] {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** Says whether a URL belongs to the app's own page: its file folder, or the dev server's origin. */
export function appUrlMatcher(
  rendererFileUrl: string,
  devServerUrl?: string,
): (url: string) => boolean {
  const folder = rendererFileUrl.slice(0, rendererFileUrl.lastIndexOf('/') + 1);
  const devOrigin = devServerUrl ? new URL(devServerUrl).origin : null;
  return (url) => {
    if (url.startsWith(folder)) return true;
    if (!devOrigin) return false;
    try {
      return new URL(url).origin === devOrigin;
    } catch {
      return false;
    }
  };
}

export function hardenContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function hardenSession(session: Session, isAppUrl: (url: string) => boolean): void {
  const cameraOnly = (
    permission: string,
    url: string,
    mediaTypes: readonly string[] = [],
  ): boolean => permission === 'media' && isAppUrl(url) && mediaTypes.every((t) => t === 'video');
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? (details.mediaTypes ?? []) : [];
    callback(cameraOnly(permission, contents.getURL(), mediaTypes));
  });
  session.setPermissionCheckHandler(
    (_contents, permission, origin) => permission === 'media' && isAppUrl(`${origin}/`),
  );
}
