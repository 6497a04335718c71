// The TypeScript language service in a worker thread, as the completion-context benchmark's
// definition provider: in the editor, definitions come from tsserver's own process, so a lookup
// never blocks the extension host and the context's time limit can cut it short. Here it runs on
// its own thread for the same reason. The main thread sends file texts and definition requests;
// answers come back in order.
import * as fs from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import ts from 'typescript';

export interface TsDefinition {
  fileName: string;
  /** The declaration's contextSpan (else its name's span), as VS Code's targetRange. */
  start: number;
  length: number;
}

interface Setup { files: string[]; options: ts.CompilerOptions; root: string }
type Request = { id: number; op: 'set'; file: string; text: string | null } | { id: number; op: 'defs'; file: string; offset: number };

/** The main thread's handle on the worker. */
export class TsDefinitionWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, (r: TsDefinition[]) => void>();

  constructor(setup: Setup) {
    this.worker = new Worker(__filename, { workerData: setup });
    this.worker.on('message', (m: { id: number; result: TsDefinition[] }) => {
      this.waiting.get(m.id)?.(m.result);
      this.waiting.delete(m.id);
    });
  }

  /** Replace a file's text with a new version (null: back to the file on disk). */
  set(file: string, text: string | null): void {
    this.worker.postMessage({ id: this.next++, op: 'set', file, text } satisfies Request);
  }

  definitions(file: string, offset: number): Promise<TsDefinition[]> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ id, op: 'defs', file, offset } satisfies Request);
    });
  }

  close(): Promise<number> { return this.worker.terminate(); }
}

function serve(setup: Setup): void {
  const versions = new Map<string, number>();
  const overrides = new Map<string, string>();
  const disk = new Map<string, string>();
  const read = (f: string): string | undefined => {
    const o = overrides.get(f);
    if (o !== undefined) return o;
    if (!disk.has(f)) { if (!fs.existsSync(f)) return undefined; disk.set(f, fs.readFileSync(f, 'utf8')); }
    return disk.get(f);
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => setup.options,
    getScriptFileNames: () => setup.files,
    getScriptVersion: (f) => String(versions.get(f) ?? 0),
    getScriptSnapshot: (f) => { const t = read(f); return t === undefined ? undefined : ts.ScriptSnapshot.fromString(t); },
    getCurrentDirectory: () => setup.root,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (f) => overrides.has(f) || ts.sys.fileExists(f),
    readFile: (f) => read(f),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const ls = ts.createLanguageService(host, ts.createDocumentRegistry());
  ls.getProgram();
  parentPort!.on('message', (m: Request) => {
    if (m.op === 'set') {
      if (m.text === null) overrides.delete(m.file); else overrides.set(m.file, m.text);
      versions.set(m.file, (versions.get(m.file) ?? 0) + 1);
      return;
    }
    const defs = ls.getDefinitionAtPosition(m.file, m.offset) ?? [];
    const result: TsDefinition[] = defs.map((d) => {
      const span = d.contextSpan ?? d.textSpan;
      return { fileName: d.fileName, start: span.start, length: span.length };
    });
    parentPort!.postMessage({ id: m.id, result });
  });
}

if (!isMainThread && workerData) serve(workerData as Setup);
