// The backend over an OpenAI-compatible server's /v1 (LM Studio, llama.cpp server, vLLM, Ollama's
// own /v1): chat and completions over SSE, the model list; no per-model facts, no model management.
import { sniffImageMime } from '../common/images';
import { ResponseError } from '../http/errors';
import type { CallOptions, ClientOptions } from '../http/options';
import { isStreamDone, OpenAICompatClient, type ChatCompletionChunk, type CompletionChunk, type OpenAIContentPart, type OpenAIMessage, type StreamDone, type Usage } from '../openai/client';
import type { ModelFacts } from './facts';
import { chatTagOptions, completionTagOptions, mapStream, withReasoning } from './shape';
import { openAIToolCalls, openAIToolFields, toOpenAIToolMessage, withToolCalls } from './toolCalls';
import type { ChatParams, CompletionParams, GenerationStats, LlmBackend, ModelSummary, Sampling, ServerKind, ServerProbe, StreamChunk, ThinkSetting } from './types';

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
      const tool = toOpenAIToolMessage(m);
      if (tool) return tool;
      if (!m.images?.length) return { role: m.role, content: m.content };
      const parts: OpenAIContentPart[] = [{ type: 'text', text: m.content }];
      for (const img of m.images) parts.push({ type: 'image_url', image_url: { url: `data:${sniffImageMime(img) ?? 'image/png'};base64,${img}` } });
      return { role: m.role, content: parts };
    });
    const request = {
      model: p.model, messages, stream: true as const, stream_options: { include_usage: true }, ...openAISampling(p.options), ...openAIToolFields(p),
    };
    const it = await this.withEffort(p.think, (effort) => this.client.chatCompletions({ ...request, ...effort }, o));
    const calls = openAIToolCalls(p);
    return withToolCalls(calls, withReasoning(this.shape(calls ? calls.tap(it) : it, (c: ChatCompletionChunk) => {
      const d = c.choices?.[0]?.delta;
      // Ollama /v1 (and newer vLLM) say `reasoning`; vLLM, llama.cpp, LM Studio and DeepSeek say
      // `reasoning_content`.
      return { text: d?.content ?? '', thinking: d?.reasoning || d?.reasoning_content || undefined };
    }), chatTagOptions(p)));
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
    return (await this.client.models(o)).map((m) => {
      const served = [m.meta?.n_ctx, m.max_model_len].find((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
      return { name: m.id, ...(served ? { servedContext: Math.floor(served) } : {}) };
    });
  }

  /** /v1 has no per-model facts. */
  modelFacts(_model: string, _o?: CallOptions): Promise<ModelFacts | undefined> {
    return Promise.resolve(undefined);
  }

  /** `/v1/models`; the software from the models' `owned_by` where it names itself (llama.cpp's
   * "llamacpp", vLLM's "vllm"; see llamacpp-server-transcripts.md). */
  async probe(o: CallOptions = {}): Promise<ServerProbe> {
    const listed = await this.client.models(o);
    const owners = new Set(listed.map((m) => m.owned_by));
    const server: ServerKind | undefined = owners.has('llamacpp') ? 'llama.cpp' : owners.has('vllm') ? 'vllm' : undefined;
    return { backend: 'openai', ...(server ? { server } : {}), models: listed.map((m) => ({ name: m.id })) };
  }

  close(): Promise<void> { return this.client.close(); }
  retire(): Promise<void> { return this.client.retire(); }
}
