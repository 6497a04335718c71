// Typed access to the extension's settings: one getter per setting, and the one place that knows
// which setting changes rebuild the HTTP client.
import * as vscode from 'vscode';
import type { BackendKind, Sampling } from '../core/llm/backend';

export const SECTION = 'ollamaAssistant';

export interface ConnectionConfig {
  /** Endpoint as configured; empty means OLLAMA_HOST or the default. */
  endpoint: string;
  /** Where the endpoint came from, for messages. */
  endpointSource: 'setting' | 'OLLAMA_HOST' | 'default';
  backend: BackendKind;
  headers: Record<string, unknown>;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  caCertificateFile: string;
  /** VS Code's own proxy settings (undici does not see VS Code's patch of Node's http). */
  httpProxy: string;
  httpNoProxy: string[];
}

/** Settings whose change means a new client. */
export const CONNECTION_KEYS = [
  `${SECTION}.endpoint`, `${SECTION}.backend`, `${SECTION}.headers`, `${SECTION}.timeouts`, `${SECTION}.caCertificateFile`,
  'http.proxy', 'http.noProxy',
];

export function readConnectionConfig(env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const http = vscode.workspace.getConfiguration('http');
  const setting = (c.get<string>('endpoint') ?? '').trim();
  const fromEnv = (env.OLLAMA_HOST ?? '').trim();
  const secs = (key: string, dflt: number) => {
    const v = c.get<number>(key);
    return (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt) * 1000;
  };
  return {
    endpoint: setting || fromEnv,
    endpointSource: setting ? 'setting' : fromEnv ? 'OLLAMA_HOST' : 'default',
    backend: c.get<string>('backend') === 'openai' ? 'openai' : 'ollama',
    headers: c.get<Record<string, unknown>>('headers') ?? {},
    connectTimeoutMs: secs('timeouts.connectSeconds', 10),
    headersTimeoutMs: secs('timeouts.firstByteSeconds', 600),
    idleTimeoutMs: secs('timeouts.idleSeconds', 120),
    caCertificateFile: (c.get<string>('caCertificateFile') ?? '').trim(),
    httpProxy: (http.get<string>('proxy') ?? '').trim(),
    httpNoProxy: http.get<string[]>('noProxy') ?? [],
  };
}

export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return CONNECTION_KEYS.some((k) => e.affectsConfiguration(k));
}

export type Feature = 'chat' | 'completion' | 'translation' | 'embeddings';

/** The model configured for a feature. */
export function modelFor(feature: Feature): string {
  return (vscode.workspace.getConfiguration(SECTION).get<string>(`${feature}.model`) ?? '').trim();
}

/** Default generation options and keep_alive shared by every feature, so that the same model is
 * never reloaded because two features asked with different load-time options. */
export function generationDefaults(): { options: Sampling; keepAlive: string | number | undefined } {
  const c = vscode.workspace.getConfiguration(SECTION);
  const o = c.get<Record<string, unknown>>('options') ?? {};
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
  const options: Sampling = {};
  const set = <K extends keyof Sampling>(k: K, v: Sampling[K] | undefined) => { if (v !== undefined) options[k] = v; };
  set('temperature', num('temperature'));
  set('topP', num('top_p'));
  set('topK', num('top_k'));
  set('numCtx', num('num_ctx'));
  set('numPredict', num('num_predict'));
  set('seed', num('seed'));
  const ka = c.get<string>('keepAlive');
  return { options, keepAlive: ka && ka.trim() ? ka.trim() : undefined };
}
