// The editor-free half of model management: formatting for the Models view, progress of pull/push/
// create streams, the model-details document, Modelfile hovers. Never imports `vscode`.

export * from './format';
export * from './progress';
export * from './show';
export * from './modelfileHover';
