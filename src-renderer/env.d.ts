// Types the renderer's build provides: Vue single-file components, the build-time version, and
// the Electron preload bridge (present only inside the desktop app).
import type { ContractBridge } from './api/bridge';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  const __APP_VERSION__: string;
  interface Window {
    /** Exposed by the sandboxed preload in Electron; undefined in a browser. */
    readonly mchair?: ContractBridge;
  }
}
