// Fill-in-the-middle inline completion, pure core: model formats, the per-model decision, context
// windows, output shaping, caching, stream reuse, debouncing, latency lines, and the engine that
// puts them together behind the editor's provider. Never imports `vscode`.
export * from './templates';
export * from './capabilities';
export * from './context';
export * from './postprocess';
export * from './cache';
export * from './session';
export * from './debounce';
export * from './request';
export * from './stats';
export * from './engine';
