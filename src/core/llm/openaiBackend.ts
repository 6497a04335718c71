// The backend over an OpenAI-compatible server's /v1 (LM Studio, llama.cpp server, vLLM, Ollama's
// own /v1): chat and completions over SSE, the model list, and each server's own facts where it
// offers them (core/openai/inspect.ts): llama.cpp's /infill for FIM, per-slot context, timings;
// LM Studio's /api/v0; vLLM's max_model_len; Ollama's /api/show. No model management.
import { sniffImageMime } from '../common/images';
import { ResponseError } from '../http/errors';
import type { CallOptions, ClientOptions } from '../http/options';
import type { ShowResponse } from '../ollama/types';
import { isStreamDone, OpenAICompatClient, type ChatCompletionChunk, type CompletionChunk, type InfillChunk, type InfillRequest, type OpenAIContentPart, type OpenAIMessage, type StreamDone, type Usage } from '../openai/client';
import { modelsFromList, serverErrorFact } from '../openai/dialect';
import { ServerInspector } from '../openai/inspect';
import { factsFromShow, FimUnsupportedError, type ModelFacts } from './facts';
import { factsOf, probeOf, ReplyTracker, summaryOf } from './openaiServer';
import { chatTagOptions, completionTagOptions, mapStream, withReasoning } from './shape';
import { openAIToolCalls, openAIToolFields, toOpenAIToolMessage, withToolCalls } from './toolCalls';
import type { ChatParams, CompletionParams, LlmBackend, ModelSummary, Sampling, ServerProbe, StreamChunk, ThinkSetting } from './types';

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

/** llama.cpp /infill options from the domain's sampling (`n_predict`, not `max_tokens`). */
function infillSampling(s: Sampling | undefined): Partial<InfillRequest> {
  const o: Partial<InfillRequest> = {};
  if (!s) return o;
  if (s.temperature !== undefined) o.temperature = s.temperature;
  if (s.topP !== undefined) o.top_p = s.topP;
  if (s.numPredict !== undefined && s.numPredict >= 0) o.n_predict = s.numPredict;
  if (s.stop !== undefined && s.stop.length) o.stop = [...s.stop];
  if (s.seed !== undefined) o.seed = s.seed;
  return o;
}

export class OpenAIBackend implements LlmBackend {
  readonly kind = 'openai' as const;
  readonly client: OpenAICompatClient;
  /** Which server this is and what it says of its models, asked once per connection. */
  readonly inspector: ServerInspector;
  constructor(opts: ClientOptions | OpenAICompatClient) {
    this.client = opts instanceof OpenAICompatClient ? opts : new OpenAICompatClient(opts);
    this.inspector = new ServerInspector(this.client);
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
    if (p.suffix !== undefined && !p.raw && (await this.inspector.detect(o)).kind === 'llama.cpp') return this.infill(p, o);
    const prompt = p.system && !p.raw ? `${p.system}\n\n${p.prompt}` : p.prompt;
    const it = await this.client.completions({
      model: p.model, prompt, stream: true, stream_options: { include_usage: true },
      ...(p.suffix !== undefined ? { suffix: p.suffix } : {}), ...openAISampling(p.options),
    }, o);
    return withReasoning(this.shape(it, (c: CompletionChunk) => ({ text: c.choices?.[0]?.text ?? '' })), completionTagOptions(p));
  }

  /** OpenAI streams end with `[DONE]`; finish_reason, usage, llama.cpp `timings` and the `model`
   * that answered come in earlier chunks (ReplyTracker). */
  private shape<C extends { choices: Array<{ finish_reason: string | null }>; usage?: Usage | null; timings?: unknown; stats?: unknown; model?: string }>(
    it: AsyncIterable<C | StreamDone>, text: (c: C) => { text: string; thinking?: string },
  ): AsyncIterable<StreamChunk> {
    let doneReason: string | undefined;
    const reply = new ReplyTracker();
    return mapStream(it, (c): StreamChunk | undefined => {
      if (isStreamDone(c)) return { text: '', done: true, doneReason: doneReason ?? 'stop', ...reply.final() };
      const fr = c.choices?.[0]?.finish_reason;
      if (fr) doneReason = fr;
      const t = text(c);
      reply.see(c, !!(t.text || t.thinking));
      if (!t.text && !t.thinking) return undefined;
      return { text: t.text, ...(t.thinking ? { thinking: t.thinking } : {}), done: false };
    });
  }

  /**
   * Fill in the middle through llama.cpp's native `/infill`: the server builds the prompt from the
   * model's own FIM tokens (its `/v1/completions` silently ignores `suffix`). The stream has no
   * `[DONE]`: it ends with the object whose `stop` is true (`stop_type` limit = cut at n_predict).
   * A 501 (the model has no FIM tokens) throws FimUnsupportedError, and is remembered.
   */
  private async infill(p: CompletionParams, o: CallOptions): Promise<AsyncIterable<StreamChunk>> {
    let it: AsyncIterable<InfillChunk | StreamDone>;
    try {
      it = await this.client.infill({ input_prefix: p.prompt, input_suffix: p.suffix ?? '', model: p.model, cache_prompt: true, ...infillSampling(p.options) }, o);
    } catch (e) {
      if (e instanceof ResponseError && serverErrorFact(e.status, e.error)?.kind === 'infillUnsupported') {
        this.inspector.infillRefused(p.model, e.error);
        throw new FimUnsupportedError(p.model, e);
      }
      throw e;
    }
    const reply = new ReplyTracker();
    let ended = false;
    return mapStream(it, (c): StreamChunk | undefined => {
      if (ended || isStreamDone(c)) return undefined;
      const text = typeof c.content === 'string' ? c.content : '';
      reply.see({ timings: c.timings, model: c.model, usage: { prompt_tokens: c.tokens_evaluated, completion_tokens: c.tokens_predicted } }, !!text);
      if (c.stop !== true) return text ? { text, done: false } : undefined;
      ended = true;
      return { text, done: true, doneReason: c.stop_type === 'limit' ? 'length' : 'stop', ...reply.final() };
    });
  }

  /** `/v1/models`, with what each server adds (llama.cpp capabilities and per-slot context, vLLM
   * max_model_len, llama.cpp router load state). LM Studio's `/v1/models` lists ids only: its
   * `/api/v0/models`, read once by the detection (cached per connection), adds type (an embeddings
   * model has no `completion`, so the chat never offers it), load state and context. A detection
   * that fails leaves the plain list (the failure is Test Connection's to report). */
  async listModels(o: CallOptions = {}): Promise<ModelSummary[]> {
    const listed = modelsFromList((await this.client.modelsReply(o)).body);
    const info = await this.inspector.detect(o).catch(() => undefined);
    if (info?.kind !== 'lmstudio') return listed.map(summaryOf);
    const byId = new Map(info.models.map((m) => [m.id, m]));
    return listed.map((m) => summaryOf(byId.get(m.id) ?? m));
  }

  /**
   * One model's facts from the server's own endpoints: Ollama's /api/show (beside its /v1);
   * llama.cpp's /v1/models `meta` and /props (per-slot context, FIM through /infill and the tokens
   * /tokenize reports); LM Studio's /api/v0/models (type, loaded context); vLLM's max_model_len and
   * /tokenize. Undefined for a server that says nothing (a plain OpenAI-compatible proxy).
   * Throws ModelNotFoundError when Ollama says the model is not there; a 401 when the key is wrong.
   */
  async modelFacts(model: string, o: CallOptions = {}): Promise<ModelFacts | undefined> {
    const info = await this.inspector.detect(o);
    if (info.kind === 'ollama') {
      const r = await this.client.rootRequest('POST', '/api/show', { model }, { ...o, model });
      return r.body ? factsFromShow(r.body as ShowResponse) : undefined;
    }
    const fim = info.kind === 'llama.cpp' || info.kind === 'vllm' ? await this.inspector.fim(model, o) : undefined;
    return factsOf(info, model, fim);
  }

  /** Which server this is, detected afresh (headers, /v1/models, one confirming request), with a
   * request that needs the API key on that server (llama.cpp: /props; see ServerProbe.keyCheck). */
  async probe(o: CallOptions = {}): Promise<ServerProbe> {
    this.inspector.forget();
    return probeOf(await this.inspector.detect(o));
  }

  close(): Promise<void> { return this.client.close(); }
  retire(): Promise<void> { return this.client.retire(); }
}
