// Typed access to the extension's settings: one getter per setting, and the one place that knows
// which setting changes rebuild the HTTP client.
import * as vscode from 'vscode';
import type { BackendKind } from '../core/llm/backend';

export const SECTION = 'ollamaAssistant';

export interface ConnectionConfig {
  /** Endpoint as configured; empty means OLLAMA_HOST or the default. */
  endpoint: string;
  backend: BackendKind;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Settings whose change means a new client (endpoint, headers, timeouts, backend). */
export const CONNECTION_KEYS = ['endpoint', 'backend', 'headers', 'timeouts'].map((k) => `${SECTION}.${k}`);

export function readConnectionConfig(env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const endpoint = (c.get<string>('endpoint') ?? '').trim() || env.OLLAMA_HOST || '';
  const rawHeaders = c.get<Record<string, unknown>>('headers') ?? {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawHeaders)) if (typeof v === 'string') headers[k] = v;
  const secs = (key: string, dflt: number) => {
    const v = c.get<number>(key);
    return (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt) * 1000;
  };
  return {
    endpoint,
    backend: c.get<string>('backend') === 'openai' ? 'openai' : 'ollama',
    headers,
    connectTimeoutMs: secs('timeouts.connectSeconds', 10),
    headersTimeoutMs: secs('timeouts.firstByteSeconds', 600),
    idleTimeoutMs: secs('timeouts.idleSeconds', 120),
  };
}

export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return CONNECTION_KEYS.some((k) => e.affectsConfiguration(k));
}
