// The sandboxed preload: exposes the contract bridge to the page and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from './bridge';

contextBridge.exposeInMainWorld('mchair', buildBridge(ipcRenderer));
