// Modelfiles: parse (with editor-ready diagnostics), turn into an /api/create request, upload the
// local weights as blobs, and the data behind completions and hovers. Never imports `vscode`.

export * from './spec';
export * from './parser';
export * from './create';
export * from './review';
export * from './blobs';
export * from './completions';
