// The application menu: the usual roles (so copy, paste, zoom and quit behave as on every
// desktop), the data folder, and links to the docs; nothing that bypasses the contract.
import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';

export function buildAppMenu(dataDir: string, devTools: boolean): Menu {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Data Folder', click: () => void shell.openPath(dataDir) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        ...(devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: `About Musical Chair Lab ${app.getVersion()}`,
          click: () => app.showAboutPanel(),
        },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
