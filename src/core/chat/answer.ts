// One answer, streamed into its message: the conversation fitted into the model's context window,
// the reasoning control the model offers, the stream read into text and reasoning (a DeepSeek-R1
// style answer whose "answer" turns out to be reasoning is moved over), timings and the server's
// counts, and the answer limit (an endless or enormous answer stops there, the connection closed,
// the text kept). Pure of `vscode` and of any view: a surface (the sidebar chat, VS Code's own
// chat) gives it a sink for what arrives, and shows the outcome.
import { abortError, isCancel } from '../common/cancel';
import { ModelNotFoundError } from '../http/errors';
import type { ChatParams, LlmBackend, Sampling, StreamChunk } from '../llm/backend';
import type { ModelFacts } from '../llm/facts';
import type { TokenCalibration } from '../llm/tokens';
import { sameModel } from '../models/format';
import type { KeepAlive } from '../ollama/types';
import { capPiece, toLlmMessages, type ChatMessage } from './conversation';
import { templateOpensThinking, thinkChoices, thinkParam } from './models';
import { promptBudget, resolveContextLength, trimToContext, type TrimResult } from './trim';

export interface AnswerLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** What the run reports while it streams. */
export interface AnswerSink {
  /** New text and reasoning appended to the message (after the cap). */
  delta(text: string, thinking: string): void;
  /** What was shown as the answer moved to the reasoning (show the whole message again). */
  rewritten(): void;
  /** The message changed (save it soon). */
  changed(): void;
  /** The prompt is over the context budget: it is sent anyway, and the server cuts it. */
  overBudget(t: TrimResult, numCtx: number): void;
}

export interface AnswerDeps {
  /** The backend and the URL it talks to (resolved inside the run: a failure is the answer's error). */
  connect(): Promise<{ llm: Pick<LlmBackend, 'chat'>; url: string }>;
  /** The model's facts (context length, reasoning values, template); a failure other than
   * ModelNotFoundError is ignored (the answer goes ahead without them). */
  facts(model: string): Promise<ModelFacts | undefined>;
  generation: { options: Sampling; keepAlive?: KeepAlive };
  systemPrompt: string;
  /** The user's reasoning choice for the model ('default', 'on', 'off', 'level:…'), if any. */
  thinkChoice?: string;
  /** Learns from the server's prompt counts how our token estimates compare (per model). */
  calibration: TokenCalibration;
  /** Characters of text + reasoning after which the answer is cut. */
  maxChars: number;
  log: AnswerLog;
}

export type AnswerOutcome =
  | { state: 'done'; url: string }
  | { state: 'stopped' | 'interrupted' }
  | { state: 'error'; error: unknown; url: string; partial: boolean };

/**
 * One answer to `history` (which ends with the user's turn), streamed into `message` (an assistant
 * message already in the session, state `streaming`). stop() is the user's Stop; abort() (another
 * reason: a reset, a shutdown) leaves it `interrupted`.
 */
export class AnswerRun {
  private readonly ac = new AbortController();
  private userStopped = false;
  /** Stopped by the run itself at the answer limit. */
  private capped = false;

  constructor(readonly message: ChatMessage, private readonly history: readonly ChatMessage[], private readonly deps: AnswerDeps) {}

  get signal(): AbortSignal { return this.ac.signal; }

  /** The user's Stop: the answer so far is kept as `stopped`. */
  stop(): void {
    this.userStopped = true;
    this.ac.abort();
  }

  /** Any other end (a reset, a shutdown): the answer so far is kept as `interrupted`. */
  abort(): void { this.ac.abort(); }

  /** Streams the answer; never rejects. Sets `message.state` (not `message.error`: the surface
   * words the error). */
  async run(sink: AnswerSink): Promise<AnswerOutcome> {
    const { message, deps } = this;
    const model = message.model ?? '';
    const started = performance.now();
    let url = '';
    try {
      const { llm, url: u } = await deps.connect();
      url = u;
      let facts: ModelFacts | undefined;
      try { facts = await deps.facts(model); } catch (e) { if (e instanceof ModelNotFoundError) throw e; }
      const numCtx = resolveContextLength(deps.generation.options.numCtx, facts?.modelInfo, facts?.contextFixed ? facts.contextLength : undefined);
      const trimmed = trimToContext(toLlmMessages(this.history, deps.systemPrompt), promptBudget(numCtx, deps.generation.options.numPredict), deps.calibration.factors(model));
      if (trimmed.dropped) deps.log.info(`chat: left out ${trimmed.dropped} older messages to fit ${numCtx} tokens`);
      if (trimmed.overBudget) {
        deps.log.info(`chat: the prompt (about ${trimmed.estimatedTokens} tokens) exceeds the budget of ${trimmed.budget} tokens (num_ctx ${numCtx})`);
        sink.overBudget(trimmed, numCtx);
      }
      const think = facts ? thinkParam(deps.thinkChoice, thinkChoices(facts.capabilities, facts.thinking)) : undefined;
      const params: ChatParams = {
        model, messages: trimmed.messages, options: deps.generation.options,
        ...(deps.generation.keepAlive !== undefined ? { keepAlive: deps.generation.keepAlive } : {}),
        ...(think !== undefined ? { think } : {}),
        implicitThinkOpen: templateOpensThinking(facts?.template) ? true : 'auto',
      };
      const stream = await llm.chat(params, { signal: this.ac.signal });
      for await (const c of stream) {
        if (this.ac.signal.aborted) break;
        if (!this.take(c, started, sink)) break;
        if (c.done) this.finish(c, started, trimmed, numCtx);
      }
      if (this.ac.signal.aborted) throw abortError(this.ac.signal, 'chat');
      message.state = 'done';
      return { state: 'done', url };
    } catch (e) {
      if (isCancel(e, this.ac.signal)) {
        message.state = this.userStopped || this.capped ? 'stopped' : 'interrupted';
        return { state: message.state };
      }
      message.state = 'error';
      return { state: 'error', error: e, url, partial: message.text.length > 0 };
    }
  }

  /** One chunk into the message; false once the answer limit is reached (the stream is closed). */
  private take(c: StreamChunk, started: number, sink: AnswerSink): boolean {
    const { message, deps } = this;
    if (c.textWasThinking && message.text) {
      // A DeepSeek-R1 style answer: what was shown as the answer was reasoning (see reasoning.ts).
      message.thinking = (message.thinking ?? '') + message.text;
      message.text = '';
      message.stats = { ...message.stats, firstThinkingMs: message.stats?.ttftMs ?? 0 };
      delete message.stats.ttftMs;
      sink.rewritten();
    }
    if (!c.text && !c.thinking) return true;
    const piece = capPiece(message.text.length + (message.thinking?.length ?? 0), { text: c.text, thinking: c.thinking ?? '' }, deps.maxChars);
    const now = performance.now() - started;
    if (piece.thinking && message.stats?.firstThinkingMs === undefined) message.stats = { ...message.stats, firstThinkingMs: now };
    if (piece.text && message.stats?.ttftMs === undefined) {
      message.stats = { ...message.stats, ttftMs: now };
      // The reasoning ended where the answer began.
      if (message.thinking && message.stats.firstThinkingMs !== undefined) message.stats.thinkingMs = now - message.stats.firstThinkingMs;
    }
    message.text += piece.text;
    if (piece.thinking) message.thinking = (message.thinking ?? '') + piece.thinking;
    sink.delta(piece.text, piece.thinking);
    sink.changed();
    if (!piece.reached) return true;
    // Close the connection: the server stops generating, and nothing more is read.
    message.cutAt = deps.maxChars;
    this.capped = true;
    this.ac.abort();
    deps.log.warn(`chat: the answer of ${message.model ?? ''} reached ${deps.maxChars} characters and was cut there (ollamaAssistant.chat.maxAnswerChars)`);
    return false;
  }

  /** The last chunk: reasoning time, the server's counts (and what they teach the estimates). */
  private finish(c: StreamChunk, started: number, trimmed: TrimResult, numCtx: number): void {
    const { message, deps } = this;
    const model = message.model ?? '';
    if (message.thinking && message.stats?.thinkingMs === undefined && message.stats?.firstThinkingMs !== undefined) {
      message.stats.thinkingMs = performance.now() - started - message.stats.firstThinkingMs;
    }
    if (c.stats?.promptTokens) {
      const f = deps.calibration.observe(model, { estimate: trimmed.parts, actual: c.stats.promptTokens, numCtx });
      deps.log.debug(`chat: ${model} counted ${c.stats.promptTokens} prompt tokens for an estimate of ${trimmed.estimatedTokens}; factors cjk ${f.cjk.toFixed(2)} other ${f.other.toFixed(2)}`);
    }
    message.stats = {
      ...message.stats,
      ...(c.stats?.tokensPerSecond !== undefined ? { tokensPerSecond: c.stats.tokensPerSecond } : {}),
      ...(c.stats?.loadMs !== undefined ? { loadMs: c.stats.loadMs } : {}),
      ...(c.stats?.promptMs !== undefined ? { promptMs: c.stats.promptMs } : {}),
      ...(c.stats?.totalMs !== undefined ? { totalMs: c.stats.totalMs } : {}),
      ...(c.stats ? { promptTokens: c.stats.promptTokens, outputTokens: c.stats.outputTokens } : {}),
      ...(c.doneReason ? { doneReason: c.doneReason } : {}),
      ...(trimmed.dropped ? { trimmedMessages: trimmed.dropped } : {}),
      ...(c.model && model && !sameModel(c.model, model) ? { answeredBy: c.model } : {}),
    };
    if (message.stats.answeredBy) deps.log.info(`chat: asked for ${model}, the server answered with ${message.stats.answeredBy}`);
  }
}
