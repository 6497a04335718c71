// One owner for everything the extension registers. The backend (and the native client it holds)
// has a shorter lifetime: it is built on first use, and rebuilt lazily after a connection setting
// (config.ts REBUILDS.client) or the API token changes. The old one is retired: requests in flight
// (a pull, an upload, an answer) finish on it, new ones go to the new one. On shutdown it is closed
// (requests then end with AbortError, which features treat as a cancel, not a failure).
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { assembleHeaders } from '../core/http/headers';
import type { BusyRetryInfo } from '../core/http/core';
import { proxyInfo, selectProxy } from '../core/http/proxy';
import { createBackend, type LlmBackend } from '../core/llm/backend';
import { observeBackend, type ModelActivity } from '../core/llm/observe';
import type { ClientOptions } from '../core/http/options';
import type { OllamaClient } from '../core/ollama/client';
import { parseHost } from '../core/http/host';
import { affects, ignoredWorkspaceSettings, noteEndpointInUse, readConnectionConfig, type ConnectionConfig } from './config';
import { STORAGE_KEY } from './ids';

interface Clients { llm: LlmBackend; config: ConnectionConfig; url: string }

export class ExtensionContextOwner implements vscode.Disposable {
  private clients: Promise<Clients> | undefined;
  private readonly onDidChangeClientEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeClient = this.onDidChangeClientEmitter.event;
  private readonly onBusyRetryEmitter = new vscode.EventEmitter<BusyRetryInfo>();
  /** Fires before every wait of a request the server answered with 503 busy / 429 (the request is
   * retried; the status bar says "server busy, retrying"). */
  readonly onBusyRetry = this.onBusyRetryEmitter.event;
  private readonly onDidUseModelEmitter = new vscode.EventEmitter<ModelActivity>();
  /** Fires when a chat, completion or translation request starts answering and when it ends (the
   * server loaded the model and restarted its keep_alive): the Models view follows /api/ps with it. */
  readonly onDidUseModel = this.onDidUseModelEmitter.event;

  constructor(readonly ext: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    ext.subscriptions.push(
      this,
      this.onDidChangeClientEmitter,
      this.onBusyRetryEmitter,
      this.onDidUseModelEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => { if (affects(e, 'client')) this.resetClient('settings changed'); }),
      ext.secrets.onDidChange((e) => { if (e.key === STORAGE_KEY.apiToken) this.resetClient('API token changed'); }),
    );
  }

  /** Register a disposable for the extension's lifetime. */
  own<T extends vscode.Disposable>(d: T): T {
    this.ext.subscriptions.push(d);
    return d;
  }

  /** The native Ollama client for model management, or undefined when the backend setting is an
   * OpenAI-compatible server (which has no model endpoints). */
  async ollama(): Promise<OllamaClient | undefined> { return (await this.build()).llm.ollama; }

  /** The chat/completion backend (native Ollama or OpenAI-compatible, per settings). */
  async llm(): Promise<LlmBackend> { return (await this.build()).llm; }

  /** The endpoint URL requests go to, and the settings it came from. */
  async endpoint(): Promise<{ url: string; config: ConnectionConfig }> {
    const c = await this.build();
    return { url: c.url, config: c.config };
  }

  private build(): Promise<Clients> {
    if (!this.clients) {
      const p = this.create();
      this.clients = p;
      p.catch(() => { if (this.clients === p) this.clients = undefined; });
    }
    return this.clients;
  }

  private async create(): Promise<Clients> {
    const config = readConnectionConfig();
    const token = await this.ext.secrets.get(STORAGE_KEY.apiToken);
    const { headers, dropped } = assembleHeaders(config.headers, token);
    if (dropped.length) this.log.warn(`ignored invalid header names/values in ollamaAssistant.headers: ${dropped.join(', ')}`);
    const parsed = parseHost(config.endpoint);
    const proxy = selectProxy(parsed.url, { ...process.env, settingProxy: config.httpProxy, settingNoProxy: config.httpNoProxy });
    let ca: Buffer | undefined;
    if (config.caCertificateFile) {
      try { ca = await fs.readFile(config.caCertificateFile); } catch (e) {
        this.log.error(`cannot read ollamaAssistant.caCertificateFile ${config.caCertificateFile}: ${(e as Error).message}`);
      }
    }
    const opts: ClientOptions = {
      host: config.endpoint,
      headers,
      connectTimeoutMs: config.connectTimeoutMs,
      headersTimeoutMs: config.headersTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      ...(proxy ? { proxy } : {}),
      ...(ca ? { ca } : {}),
      // Requests carry their lane (CallOptions.lane): batch work (translation jobs, pulls, uploads)
      // has its own connection pool, so it never holds the connections chat and completion need.
      onBusyRetry: (info) => {
        this.log.warn(`server busy (HTTP ${info.status}: ${info.message}); retry ${info.attempt}/${info.maxAttempts - 1} in ${(info.delayMs / 1000).toFixed(1)} s (${info.lane})`);
        this.onBusyRetryEmitter.fire(info);
      },
    };
    const llm = observeBackend(createBackend(config.backend, opts), (a) => this.onDidUseModelEmitter.fire(a));
    noteEndpointInUse(llm.baseUrl, config.endpointSource);
    // Never log header values: they may carry credentials.
    this.log.info(`endpoint ${llm.baseUrl} (${config.backend}, from ${config.endpointSource})${proxy ? ` via proxy ${proxyInfo(proxy).host}` : ''}${token ? ', with API token' : ''}`);
    for (const key of config.ignoredWorkspaceKeys) {
      this.log.warn(`ignored ${key} from the workspace settings: connection settings are read from User and Remote settings only, so a repository cannot redirect requests`);
    }
    for (const key of ignoredWorkspaceSettings()) {
      this.log.warn(`ignored ${key} from the workspace settings: it acts beyond this workspace (history kept for every workspace, memory limits, the shared server's loaded models), so it is read from User and Remote settings only`);
    }
    return { llm, config, url: llm.baseUrl };
  }

  resetClient(why: string): void {
    const old = this.clients;
    this.clients = undefined;
    // Requests in flight (a pull, an upload, an answer) finish on the old client; new ones use the new.
    void old?.then((c) => c.llm.retire()).catch(() => undefined);
    this.log.info(`connection reset: ${why}`);
    this.onDidChangeClientEmitter.fire();
  }

  dispose(): void {
    void this.clients?.then((c) => c.llm.close()).catch(() => undefined);
    this.clients = undefined;
  }
}

