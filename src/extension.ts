// Entry point: builds the parts and hands every registration to the context owner. No network and
// no heavy work here: clients are created on first use, views fetch when they are shown. In test
// builds run by tests (ExtensionMode.Test) it returns the test API (src/vscode/testApi.ts).
import * as vscode from 'vscode';
import { isTransportLoaded } from './core/http/transport';
import { registerChat } from './vscode/chat';
import { registerCompletion } from './vscode/completion';
import { ExtensionContextOwner } from './vscode/context';
import { registerDiagnose } from './vscode/diagnose';
import { registerNativeAi } from './vscode/lm';
import { registerModels } from './vscode/models';
import { ConnectionMonitor, registerStatusCommands } from './vscode/status';
import type { ActivationMeasurement, OllamaAssistantTestApi } from './vscode/testApi';
import { registerToken } from './vscode/token';
import { registerTranslation } from './vscode/translate';
import { registerModelPickers } from './vscode/modelPick';

/** True in test builds only (esbuild.js defines it): `npm run package` leaves the test API out. */
declare const __OA_TEST__: boolean;
/** Set by the bundle's first statement (esbuild.js banner): when loading this extension began,
 * the process CPU used by then, and the process-wide undici dispatcher as it was then. */
declare const __oaLoadStart: number | undefined;
declare const __oaLoadThreadCpu: NodeJS.CpuUsage | undefined;
declare const __oaDispatcherAtLoad: unknown;
/** Set by the bundle's last statement (esbuild.js footer). */
declare const __oaLoadEnd: number | undefined;
declare const __oaLoadEndThreadCpu: NodeJS.CpuUsage | undefined;

/** CPU of the calling thread (Node >= 23.9; undefined before). */
function threadCpu(): NodeJS.CpuUsage | undefined {
  return (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
}
const cpuMs = (a: NodeJS.CpuUsage | undefined, b: NodeJS.CpuUsage | undefined) => (a && b ? (b.user - a.user + b.system - a.system) / 1000 : NaN);

export function activate(context: vscode.ExtensionContext): OllamaAssistantTestApi | undefined {
  const testing = __OA_TEST__ && context.extensionMode === vscode.ExtensionMode.Test;
  const activateStart = performance.now();
  const activateCpu = testing ? threadCpu() : undefined;
  const log = vscode.window.createOutputChannel('Ollama Assistant', { log: true });
  context.subscriptions.push(log);
  const ctx = new ExtensionContextOwner(context, log);
  const monitor = ctx.own(new ConnectionMonitor(ctx));
  registerStatusCommands(ctx, monitor);
  registerToken(ctx);
  registerDiagnose(ctx);
  const models = registerModels(ctx, monitor);
  registerCompletion(ctx, monitor);
  const chat = registerChat(ctx, monitor);
  const translation = registerTranslation(ctx, monitor);
  registerModelPickers(ctx);
  // VS Code's own chat, language models and tools: each only where this VS Code has the API.
  const nativeAi = registerNativeAi({ ctx, monitor, chatModels: chat.controller.models, calibration: chat.controller.calibration }, models.tree);
  if (__OA_TEST__ && testing) {
    const end = performance.now();
    const loadMs = typeof __oaLoadStart === 'number' && typeof __oaLoadEnd === 'number' ? __oaLoadEnd - __oaLoadStart : NaN;
    const activateMs = end - activateStart;
    const activation: ActivationMeasurement = {
      ms: loadMs + activateMs, loadMs, activateMs, spanMs: typeof __oaLoadStart === 'number' ? end - __oaLoadStart : NaN,
      threadCpuMs: cpuMs(__oaLoadThreadCpu, __oaLoadEndThreadCpu) + cpuMs(activateCpu, threadCpu()), transportLoaded: isTransportLoaded(),
      dispatcherUnchanged: typeof __oaLoadStart === 'number' && (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] === __oaDispatcherAtLoad,
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require the production build drops with this branch
    const { createTestApi } = require('./vscode/testApi') as typeof import('./vscode/testApi');
    return createTestApi({ activation, context: ctx, monitor, models, chat, translation, nativeAi });
  }
  return undefined;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
