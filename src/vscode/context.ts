// One owner for everything the extension registers. The Ollama client has a shorter lifetime: it
// is rebuilt lazily after a connection setting changes, and the old one is closed (in-flight
// requests end with AbortError, which features treat as a cancel, not a failure).
import * as vscode from 'vscode';
import { OllamaBackend, OpenAIBackend, type LlmBackend } from '../core/llm/backend';
import { OllamaClient } from '../core/ollama/client';
import { affectsConnection, readConnectionConfig, type ConnectionConfig } from './config';

export class ExtensionContextOwner implements vscode.Disposable {
  private client: OllamaClient | undefined;
  private backend: LlmBackend | undefined;
  private config: ConnectionConfig | undefined;
  private readonly onDidChangeClientEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeClient = this.onDidChangeClientEmitter.event;

  constructor(readonly ext: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    ext.subscriptions.push(
      this,
      this.onDidChangeClientEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsConnection(e)) this.resetClient('settings changed');
      }),
    );
  }

  /** Register a disposable for the extension's lifetime. */
  own<T extends vscode.Disposable>(d: T): T {
    this.ext.subscriptions.push(d);
    return d;
  }

  connection(): ConnectionConfig {
    return (this.config ??= readConnectionConfig());
  }

  /** The native Ollama client for the configured endpoint (model management, status). */
  ollama(): OllamaClient {
    if (!this.client) {
      const c = this.connection();
      this.client = new OllamaClient({
        host: c.endpoint,
        headers: c.headers,
        connectTimeoutMs: c.connectTimeoutMs,
        headersTimeoutMs: c.headersTimeoutMs,
        idleTimeoutMs: c.idleTimeoutMs,
      });
      this.log.info(`client for ${this.client.host}`);
    }
    return this.client;
  }

  /** The chat/completion backend (native Ollama or OpenAI-compatible, per settings). */
  llm(): LlmBackend {
    if (!this.backend) {
      const c = this.connection();
      this.backend = c.backend === 'ollama'
        ? new OllamaBackend(this.ollama())
        : new OpenAIBackend({ host: c.endpoint, headers: c.headers, connectTimeoutMs: c.connectTimeoutMs, headersTimeoutMs: c.headersTimeoutMs, idleTimeoutMs: c.idleTimeoutMs });
    }
    return this.backend;
  }

  resetClient(why: string): void {
    const old = [this.client, this.backend];
    this.client = undefined;
    this.backend = undefined;
    this.config = undefined;
    // The Ollama backend wraps the client: close each object once.
    for (const o of new Set(old.map((x) => (x instanceof OllamaBackend ? x.client : x)))) void o?.close().catch(() => undefined);
    this.log.info(`connection reset: ${why}`);
    this.onDidChangeClientEmitter.fire();
  }

  dispose(): void {
    for (const o of new Set([this.client, this.backend instanceof OllamaBackend ? undefined : this.backend])) void o?.close().catch(() => undefined);
    this.client = undefined;
    this.backend = undefined;
  }
}
