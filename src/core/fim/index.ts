// Fill-in-the-middle inline completion, pure core: model formats, the per-model decision, context
// windows, context from other files (symbols, definitions, recent ranges, budget, prompt layouts),
// output shaping, caching, stream reuse, debouncing, latency lines, and the engine that puts them
// together behind the editor's provider. Never imports `vscode`.
export * from './templates';
export * from './capabilities';
export * from './context';
export * from './symbols';
export * from './recent';
export * from './crossfile';
export * from './repo';
export * from './postprocess';
export * from './cache';
export * from './session';
export * from './debounce';
export * from './request';
export * from './stats';
export * from './engine';
