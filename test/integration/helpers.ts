// Shared helpers for tests in the real extension host.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'ollama-assistant.ollama-assistant';

export async function activate(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  await ext.activate();
  return ext;
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
