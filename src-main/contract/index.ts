// The contract between the renderer and the core (see define.ts).
export * from './define';
export * from './errors';
export * from './commands';
export * from './events';
export * from './run';
export * from './manifest';
export * from './provision';
export * from './lab';
export * from './farm';
export * from './liveRun';
export * from './livePower';
export * from './meters';
export * from './frameWindow';
export * from './modelCard';
export * from './download';
export * from './boards';
export * from './profile';
