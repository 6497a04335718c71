// Shared helpers for tests in the real extension host.
import * as vscode from 'vscode';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';

export const EXTENSION_ID = 'ollama-assistant.ollama-assistant';

export async function activate(): Promise<vscode.Extension<OllamaAssistantTestApi | undefined>> {
  const ext = vscode.extensions.getExtension<OllamaAssistantTestApi | undefined>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  await ext.activate();
  return ext;
}

/** The extension's test API (src/vscode/testApi.ts): activate() returns it in ExtensionMode.Test. */
export async function testApi(): Promise<OllamaAssistantTestApi> {
  const api = (await activate()).exports;
  if (!api) throw new Error('the extension returned no test API: not a test build, or not in ExtensionMode.Test');
  return api;
}

/** Set a setting globally (user scope) and wait until the extension can see it. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('ollamaAssistant').update(key, value, vscode.ConfigurationTarget.Global);
}

export async function waitFor<T>(f: () => T | Promise<T>, what: string, timeoutMs = 10000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ask the runner for a screenshot of the whole workbench; resolves with the PNG path once written. */
export async function screenshot(name: string): Promise<string> {
  const dir = process.env.OA_ARTIFACTS;
  if (!dir) throw new Error('OA_ARTIFACTS not set by the runner');
  const fs = await import('fs');
  const path = await import('path');
  const file = path.join(dir, `${name}.png`);
  fs.rmSync(file, { force: true });
  console.log(`[exthost] SCREENSHOT ${name}`);
  await waitFor(() => fs.existsSync(file), `screenshot ${name}`, 15000);
  return file;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
