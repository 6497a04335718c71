// The streaming interface features use (chat, completion, translation), with two implementations:
// native Ollama and OpenAI-compatible servers. Domain types are camelCase; the wire stays in the
// clients. A feature never needs to know which server it talks to.
import type { AbortableAsyncIterator } from '../http/core';
import type { CallOptions, ClientOptions } from '../http/options';
import { OllamaClient } from '../ollama/client';
import { ResponseError } from '../http/errors';
import type { ChatResponse, GenerateResponse, KeepAlive, Metrics, Options, Think } from '../ollama/types';
import { isStreamDone, OpenAICompatClient, type ChatCompletionChunk, type CompletionChunk, type OpenAIContentPart, type OpenAIMessage, type StreamDone, type Usage } from '../openai/client';
import { ThinkTagParser, type ThinkTagOptions } from './reasoning';

export type BackendKind = 'ollama' | 'openai';

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Plain base64 image data (no data: prefix), for vision models. */
  images?: string[];
}

export interface Sampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  numPredict?: number;
  numCtx?: number;
  stop?: string[];
  seed?: number;
}

/** Reasoning control: `false` asks for none, `true` for the model's reasoning, a level for that
 * much (only levels the model lists in `/api/show` `thinking.values`; others are a 400 on older
 * servers). Unset: the model's default (on, for a thinking model). Ollama's `think` field. */
export type ThinkSetting = Think;

export interface ChatParams {
  model: string;
  messages: LlmMessage[];
  options?: Sampling;
  keepAlive?: KeepAlive;
  think?: ThinkSetting;
  /** How to read `<think>` text in the content when the server did not separate it (see
   * ThinkTagOptions.implicitOpen). Default 'auto'. */
  implicitThinkOpen?: ThinkTagOptions['implicitOpen'];
  /** False: the content is never read for `<think>` tags (the text being processed starts with
   * one itself). Default true. */
  thinkTags?: boolean;
}

export interface CompletionParams {
  model: string;
  prompt: string;
  suffix?: string;
  system?: string;
  /** Send the prompt as is, without the model's template (raw FIM prompts). */
  raw?: boolean;
  options?: Sampling;
  keepAlive?: KeepAlive;
  /** As ChatParams.think. Completion and translation send `false`. */
  think?: ThinkSetting;
}

export interface GenerationStats {
  promptTokens: number;
  outputTokens: number;
  totalMs?: number;
  loadMs?: number;
  promptMs?: number;
  evalMs?: number;
  /** Output tokens per second from the server's own timing (Ollama only). */
  tokensPerSecond?: number;
}

export interface StreamChunk {
  /** Answer text (reasoning never included). */
  text: string;
  /** Reasoning text, from the server's own field or split out of the content. */
  thinking?: string;
  /** Everything delivered as `text` before this chunk was reasoning after all (a DeepSeek-R1 style
   * answer whose opening `<think>` was in the prompt): move it to the thinking. */
  textWasThinking?: boolean;
  done: boolean;
  doneReason?: string;
  stats?: GenerationStats;
}

export interface ModelSummary {
  name: string;
  sizeBytes?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  capabilities?: string[];
}

export interface LlmBackend {
  readonly kind: BackendKind;
  readonly baseUrl: string;
  chat(p: ChatParams, o?: CallOptions): Promise<AsyncIterable<StreamChunk>>;
  complete(p: CompletionParams, o?: CallOptions): Promise<AsyncIterable<StreamChunk>>;
  listModels(o?: CallOptions): Promise<ModelSummary[]>;
  close(): Promise<void>;
  /** Refuse new requests, let those in flight finish. */
  retire(): Promise<void>;
}

const NS_PER_MS = 1e6;

export function statsFromMetrics(m: Metrics): GenerationStats {
  const evalCount = m.eval_count ?? 0;
  const s: GenerationStats = { promptTokens: m.prompt_eval_count ?? 0, outputTokens: evalCount };
  if (m.total_duration) s.totalMs = m.total_duration / NS_PER_MS;
  if (m.load_duration) s.loadMs = m.load_duration / NS_PER_MS;
  if (m.prompt_eval_duration) s.promptMs = m.prompt_eval_duration / NS_PER_MS;
  if (m.eval_duration) {
    s.evalMs = m.eval_duration / NS_PER_MS;
    if (evalCount > 0) s.tokensPerSecond = (evalCount / m.eval_duration) * 1e9;
  }
  return s;
}

export function toOllamaOptions(s: Sampling | undefined): Partial<Options> | undefined {
  if (!s) return undefined;
  const o: Partial<Options> = {};
  if (s.temperature !== undefined) o.temperature = s.temperature;
  if (s.topP !== undefined) o.top_p = s.topP;
  if (s.topK !== undefined) o.top_k = s.topK;
  if (s.numPredict !== undefined) o.num_predict = s.numPredict;
  if (s.numCtx !== undefined) o.num_ctx = s.numCtx;
  if (s.stop !== undefined) o.stop = [...s.stop];
  if (s.seed !== undefined) o.seed = s.seed;
  return o;
}

/** Maps every element of a stream; breaking out of the result closes the source stream. */
async function* mapStream<A, B>(src: AsyncIterable<A>, f: (a: A) => B | undefined): AsyncGenerator<B> {
  for await (const a of src) {
    const b = f(a);
    if (b !== undefined) yield b;
  }
}

/** Splits `<think>` text out of a stream's content (see reasoning.ts) and merges it with the
 * reasoning the server sent in its own field; the parser's held text is released on the last chunk. */
function withReasoning(src: AsyncIterable<StreamChunk>, opts: ThinkTagOptions | undefined): AsyncIterable<StreamChunk> {
  if (!opts) return src;
  const parser = new ThinkTagParser(opts);
  return mapStream(src, (c): StreamChunk | undefined => {
    const a = parser.push(c.text);
    const b = c.done ? parser.end() : undefined;
    const text = a.content + (b?.content ?? '');
    const thinking = (c.thinking ?? '') + a.thinking + (b?.thinking ?? '');
    if (!c.done && !text && !thinking && !a.contentWasThinking) return undefined;
    const out: StreamChunk = { ...c, text };
    if (thinking) out.thinking = thinking; else delete out.thinking;
    if (a.contentWasThinking) out.textWasThinking = true;
    return out;
  });
}

function chatTagOptions(p: ChatParams): ThinkTagOptions | undefined {
  return p.thinkTags === false ? undefined : { implicitOpen: p.implicitThinkOpen ?? 'auto' };
}

/** Text-only FIM and raw prompts are never read for reasoning tags. */
function completionTagOptions(p: CompletionParams): ThinkTagOptions | undefined {
  return p.raw || p.suffix !== undefined ? undefined : { implicitOpen: false };
}

export class OllamaBackend implements LlmBackend {
  readonly kind = 'ollama' as const;
  readonly client: OllamaClient;
  constructor(opts: ClientOptions | OllamaClient) {
    this.client = opts instanceof OllamaClient ? opts : new OllamaClient(opts);
  }
  get baseUrl(): string { return this.client.host; }

  async chat(p: ChatParams, o: CallOptions = {}): Promise<AsyncIterable<StreamChunk>> {
    const it: AbortableAsyncIterator<ChatResponse> = await this.client.chat({
      model: p.model,
      messages: p.messages.map((m) => (m.images?.length ? { role: m.role, content: m.content, images: m.images } : { role: m.role, content: m.content })),
      stream: true,
      ...(p.options ? { options: toOllamaOptions(p.options) } : {}),
      ...(p.keepAlive !== undefined ? { keep_alive: p.keepAlive } : {}),
      ...(p.think !== undefined ? { think: p.think } : {}),
    }, o);
    return withReasoning(mapStream(it, (r) => ({
      text: r.message?.content ?? '',
      ...(r.message?.thinking ? { thinking: r.message.thinking } : {}),
      done: r.done,
      ...(r.done ? { doneReason: r.done_reason, stats: statsFromMetrics(r) } : {}),
    })), chatTagOptions(p));
  }

  async complete(p: CompletionParams, o: CallOptions = {}): Promise<AsyncIterable<StreamChunk>> {
    const it: AbortableAsyncIterator<GenerateResponse> = await this.client.generate({
      model: p.model,
      prompt: p.prompt,
      stream: true,
      ...(p.suffix !== undefined ? { suffix: p.suffix } : {}),
      ...(p.system !== undefined ? { system: p.system } : {}),
      ...(p.raw ? { raw: true } : {}),
      ...(p.options ? { options: toOllamaOptions(p.options) } : {}),
      ...(p.keepAlive !== undefined ? { keep_alive: p.keepAlive } : {}),
      ...(p.think !== undefined ? { think: p.think } : {}),
    }, o);
    return withReasoning(mapStream(it, (r) => ({
      text: r.response ?? '',
      ...(r.thinking ? { thinking: r.thinking } : {}),
      done: r.done,
      ...(r.done ? { doneReason: r.done_reason, stats: statsFromMetrics(r) } : {}),
    })), completionTagOptions(p));
  }

  async listModels(o: CallOptions = {}): Promise<ModelSummary[]> {
    const { models } = await this.client.list(o);
    return models.map((m) => ({
      name: m.name,
      sizeBytes: m.size,
      family: m.details?.family,
      parameterSize: m.details?.parameter_size,
      quantization: m.details?.quantization_level,
      ...(m.capabilities ? { capabilities: m.capabilities } : {}),
    }));
  }

  close(): Promise<void> { return this.client.close(); }
  retire(): Promise<void> { return this.client.retire(); }
}

function openAISampling(s: Sampling | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (!s) return o;
  if (s.temperature !== undefined) o.temperature = s.temperature;
  if (s.topP !== undefined) o.top_p = s.topP;
  if (s.numPredict !== undefined && s.numPredict >= 0) o.max_tokens = s.numPredict;
  if (s.stop !== undefined && s.stop.length) o.stop = [...s.stop];
  if (s.seed !== undefined) o.seed = s.seed;
  return o;
}

function statsFromUsage(u: Usage | null | undefined): GenerationStats | undefined {
  return u ? { promptTokens: u.prompt_tokens ?? 0, outputTokens: u.completion_tokens ?? 0 } : undefined;
}

export class OpenAIBackend implements LlmBackend {
  readonly kind = 'openai' as const;
  readonly client: OpenAICompatClient;
  constructor(opts: ClientOptions | OpenAICompatClient) {
    this.client = opts instanceof OpenAICompatClient ? opts : new OpenAICompatClient(opts);
  }
  get baseUrl(): string { return this.client.baseUrl; }

  async chat(p: ChatParams, o: CallOptions = {}): Promise<AsyncIterable<StreamChunk>> {
    const messages: OpenAIMessage[] = p.messages.map((m) => {
      if (!m.images?.length) return { role: m.role, content: m.content };
      const parts: OpenAIContentPart[] = [{ type: 'text', text: m.content }];
      for (const img of m.images) parts.push({ type: 'image_url', image_url: { url: `data:${sniffImageType(img)};base64,${img}` } });
      return { role: m.role, content: parts };
    });
    const request = {
      model: p.model, messages, stream: true as const, stream_options: { include_usage: true }, ...openAISampling(p.options),
    };
    const it = await this.withEffort(p.think, (effort) => this.client.chatCompletions({ ...request, ...effort }, o));
    return withReasoning(this.shape(it, (c: ChatCompletionChunk) => {
      const d = c.choices?.[0]?.delta;
      // Ollama /v1 (and newer vLLM) say `reasoning`; vLLM, llama.cpp, LM Studio and DeepSeek say
      // `reasoning_content`.
      return { text: d?.content ?? '', thinking: d?.reasoning || d?.reasoning_content || undefined };
    }), chatTagOptions(p));
  }

  /** Servers known to refuse `reasoning_effort: "none"` (older vLLM accepts only low/medium/high
   * and answers 400): remembered per backend, so the refusal costs one request. */
  private effortRefused = false;

  /**
   * `think` on /v1 is `reasoning_effort`: false -> "none" (Ollama maps it to think:false; vLLM
   * >= 0.16 and OpenAI accept it), a level -> that level, true/unset -> nothing (the model's
   * default). A 400 that names the field (a server that does not know the value) is retried once
   * without it: reasoning then still arrives and is split from the answer.
   */
  private async withEffort<T>(think: ThinkSetting | undefined, send: (effort: { reasoning_effort?: string }) => Promise<T>): Promise<T> {
    const effort = think === false ? 'none' : typeof think === 'string' ? think : undefined;
    if (effort === undefined || this.effortRefused) return send({});
    try {
      return await send({ reasoning_effort: effort });
    } catch (e) {
      if (e instanceof ResponseError && (e.status === 400 || e.status === 422) && /reasoning/i.test(e.message)) {
        this.effortRefused = true;
        return send({});
      }
      throw e;
    }
  }

  async complete(p: CompletionParams, o: CallOptions = {}): Promise<AsyncIterable<StreamChunk>> {
    const prompt = p.system && !p.raw ? `${p.system}\n\n${p.prompt}` : p.prompt;
    const it = await this.client.completions({
      model: p.model, prompt, stream: true, stream_options: { include_usage: true },
      ...(p.suffix !== undefined ? { suffix: p.suffix } : {}), ...openAISampling(p.options),
    }, o);
    return withReasoning(this.shape(it, (c: CompletionChunk) => ({ text: c.choices?.[0]?.text ?? '' })), completionTagOptions(p));
  }

  /** OpenAI streams end with `[DONE]`; finish_reason and usage come in earlier chunks. */
  private shape<C extends { choices: Array<{ finish_reason: string | null }>; usage?: Usage | null }>(
    it: AsyncIterable<C | StreamDone>, text: (c: C) => { text: string; thinking?: string },
  ): AsyncIterable<StreamChunk> {
    let doneReason: string | undefined;
    let stats: GenerationStats | undefined;
    return mapStream(it, (c): StreamChunk | undefined => {
      if (isStreamDone(c)) return { text: '', done: true, doneReason: doneReason ?? 'stop', ...(stats ? { stats } : {}) };
      const fr = c.choices?.[0]?.finish_reason;
      if (fr) doneReason = fr;
      if (c.usage && (c.usage.completion_tokens || c.usage.prompt_tokens)) stats = statsFromUsage(c.usage);
      const t = text(c);
      if (!t.text && !t.thinking) return undefined;
      return { text: t.text, ...(t.thinking ? { thinking: t.thinking } : {}), done: false };
    });
  }

  async listModels(o: CallOptions = {}): Promise<ModelSummary[]> {
    return (await this.client.models(o)).map((m) => ({ name: m.id }));
  }

  close(): Promise<void> { return this.client.close(); }
  retire(): Promise<void> { return this.client.retire(); }
}

function sniffImageType(b64: string): string {
  if (b64.startsWith('/9j/')) return 'image/jpeg';
  if (b64.startsWith('iVBOR')) return 'image/png';
  if (b64.startsWith('UklGR')) return 'image/webp';
  if (b64.startsWith('R0lGOD')) return 'image/gif';
  return 'image/png';
}

export function createBackend(kind: BackendKind, opts: ClientOptions): LlmBackend {
  return kind === 'openai' ? new OpenAIBackend(opts) : new OllamaBackend(opts);
}
