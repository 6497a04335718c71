// The language-model tools other agents can call (vscode.lm.registerTool, 1.95+; contributed in
// package.json `languageModelTools` with their input schemas): translate text, list the local
// models, run a prompt on a chosen local model. Each checks its input (a wrong one is an error the
// calling model can read and correct), honours cancellation (the connection is closed), and asks
// VS Code for a confirmation only when it would send text to a server that is not on this machine
// (core/lm/tools leavesMachine; listing models sends no text).
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { capPiece } from '../../core/chat/conversation';
import { leavesMachine, modelListResult, runPromptToolInput, ToolInputError, translateToolInput, type RunPromptToolInput, type TranslateToolInput } from '../../core/lm/tools';
import { chatTranslateFn } from '../../core/translate/chatTranslate';
import { translateText, TranslationTruncatedError } from '../../core/translate';
import { abortOn } from '../cancel';
import { chatSettings, generationDefaults, translationSettings } from '../config';
import { presentError } from '../errors';
import { LM_TOOL } from '../ids';
import type { NativeAiDeps } from './deps';

const result = (text: string) => new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

/** Why a tool call failed, as an Error whose message the calling model (and the user) can read. */
async function toolError(d: NativeAiDeps, tool: string, e: unknown, model: string | undefined): Promise<Error> {
  if (e instanceof ToolInputError) return new Error(vscode.l10n.t('Invalid input for {0}: {1}', tool, e.message));
  const url = await d.ctx.endpoint().then((x) => x.url, () => '');
  d.ctx.log.error(`tool ${tool}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  if (e instanceof TranslationTruncatedError) return new Error(vscode.l10n.t('The translation was cut short: the model stopped at its length limit. Raise num_predict in the setting ollamaAssistant.options, or lower ollamaAssistant.translation.chunkChars for smaller chunks.'));
  d.monitor.reportError(e, url);
  return new Error(presentError(e, { url, ...(model ? { model } : {}) }).message);
}

/** VS Code's confirmation when text would leave this machine (undefined otherwise). */
async function confirmation(d: NativeAiDeps, what: string): Promise<vscode.LanguageModelToolConfirmationMessages | undefined> {
  const url = await d.ctx.endpoint().then((x) => x.url, () => '');
  if (url && !leavesMachine(url)) return undefined;
  return {
    title: vscode.l10n.t('Send text to {0}?', hostOf(url) || vscode.l10n.t('the server')),
    message: new vscode.MarkdownString(vscode.l10n.t('{0} The server at {1} is not on this machine.', what, url)),
  };
}

class TranslateTool implements vscode.LanguageModelTool<TranslateToolInput> {
  constructor(private readonly d: NativeAiDeps) {}

  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<TranslateToolInput>): Promise<vscode.PreparedToolInvocation> {
    const s = translationSettings();
    const target = typeof options.input?.targetLanguage === 'string' && options.input.targetLanguage.trim() ? options.input.targetLanguage.trim() : s.target;
    const confirm = await confirmation(this.d, vscode.l10n.t('The text is sent to be translated into {0} by {1}.', target, s.model));
    return { invocationMessage: vscode.l10n.t('Translating into {0} with {1}', target, s.model), ...(confirm ? { confirmationMessages: confirm } : {}) };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<TranslateToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const s = translationSettings();
    const abort = abortOn([token]);
    try {
      const input = translateToolInput(options.input);
      const target = input.targetLanguage ?? s.target;
      const { options: gen, keepAlive } = generationDefaults();
      const r = await translateText(input.text, chatTranslateFn(() => this.d.ctx.llm(), { model: s.model, options: gen, keepAlive }), {
        target, glossary: s.glossary, model: s.model, cache: this.d.translationCache, format: 'markdown', maxChunkChars: s.chunkChars,
        signal: abort.signal, concurrency: s.parallelRequests,
      });
      this.d.ctx.log.info(`tool ${LM_TOOL.translate}: ${input.text.length} characters into ${target} with ${s.model}, ${r.requests} requests`);
      return result(r.text);
    } catch (e) {
      if (isCancel(e, abort.signal)) throw new vscode.CancellationError();
      throw await toolError(this.d, LM_TOOL.translate, e, s.model);
    } finally {
      abort.dispose();
    }
  }
}

class ListModelsTool implements vscode.LanguageModelTool<Record<string, never>> {
  constructor(private readonly d: NativeAiDeps) {}

  prepareInvocation(): vscode.PreparedToolInvocation {
    return { invocationMessage: vscode.l10n.t('Listing the Ollama models') };
  }

  async invoke(_options: vscode.LanguageModelToolInvocationOptions<Record<string, never>>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const abort = abortOn([token]);
    try {
      const llm = await this.d.ctx.llm();
      const [models, ps] = await Promise.all([llm.listModels({ signal: abort.signal }), llm.ollama?.ps({ signal: abort.signal })]);
      return result(modelListResult(llm.baseUrl, models, ps?.models.map((m) => ({ name: m.name, sizeVramBytes: m.size_vram, ...(m.context_length ? { contextLength: m.context_length } : {}), expiresAt: m.expires_at }))));
    } catch (e) {
      if (isCancel(e, abort.signal)) throw new vscode.CancellationError();
      throw await toolError(this.d, LM_TOOL.listModels, e, undefined);
    } finally {
      abort.dispose();
    }
  }
}

class RunPromptTool implements vscode.LanguageModelTool<RunPromptToolInput> {
  constructor(private readonly d: NativeAiDeps) {}

  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<RunPromptToolInput>): Promise<vscode.PreparedToolInvocation> {
    const model = typeof options.input?.model === 'string' ? options.input.model : '';
    const confirm = await confirmation(this.d, vscode.l10n.t('The prompt is sent to {0}.', model));
    return { invocationMessage: vscode.l10n.t('Asking {0}', model), ...(confirm ? { confirmationMessages: confirm } : {}) };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<RunPromptToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const abort = abortOn([token]);
    let model: string | undefined;
    try {
      const input = runPromptToolInput(options.input);
      model = input.model;
      const llm = await this.d.ctx.llm();
      const { options: gen, keepAlive } = generationDefaults();
      const stream = await llm.chat({
        model: input.model,
        messages: [...(input.system ? [{ role: 'system' as const, content: input.system }] : []), { role: 'user', content: input.prompt }],
        options: gen, ...(keepAlive !== undefined ? { keepAlive } : {}),
      }, { signal: abort.signal });
      // The answer only (never the reasoning), up to the chat's answer limit.
      const max = chatSettings().maxAnswerChars;
      let text = '';
      for await (const c of stream) {
        if (c.textWasThinking) text = '';
        const piece = capPiece(text.length, { text: c.text, thinking: '' }, max);
        text += piece.text;
        if (piece.reached) break; // leaving the loop closes the connection
      }
      return result(text);
    } catch (e) {
      if (isCancel(e, abort.signal)) throw new vscode.CancellationError();
      throw await toolError(this.d, LM_TOOL.runPrompt, e, model);
    } finally {
      abort.dispose();
    }
  }
}

/** A tool as registered (its name and implementation). */
export type RegisteredTools = ReadonlyMap<string, vscode.LanguageModelTool<object>>;

/** Registers the three tools with `register` (vscode.lm.registerTool); `into` holds them while
 * they are registered. */
export function registerTools(d: NativeAiDeps, register: typeof vscode.lm.registerTool, into: Map<string, vscode.LanguageModelTool<object>>): vscode.Disposable {
  const tools: Array<[string, vscode.LanguageModelTool<object>]> = [
    [LM_TOOL.translate, new TranslateTool(d) as vscode.LanguageModelTool<object>],
    [LM_TOOL.listModels, new ListModelsTool(d) as vscode.LanguageModelTool<object>],
    [LM_TOOL.runPrompt, new RunPromptTool(d) as vscode.LanguageModelTool<object>],
  ];
  const regs = tools.map(([name, tool]) => register(name, tool));
  for (const [name, tool] of tools) into.set(name, tool);
  return vscode.Disposable.from(...regs, { dispose: () => into.clear() });
}
