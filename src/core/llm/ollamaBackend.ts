// The backend over Ollama's native API (/api/chat, /api/generate, /api/tags, /api/show): every
// feature works, and `ollama` hands the same client to model management.
import type { AbortableAsyncIterator } from '../http/stream';
import type { CallOptions, ClientOptions } from '../http/options';
import { OllamaClient } from '../ollama/client';
import type { ChatResponse, GenerateResponse, Metrics, Options } from '../ollama/types';
import { factsFromShow, type ModelFacts } from './facts';
import { chatTagOptions, completionTagOptions, mapStream, withReasoning } from './shape';
import { ollamaToolCalls, ollamaToolFields, toOllamaMessage, withToolCalls } from './toolCalls';
import type { ChatParams, CompletionParams, GenerationStats, LlmBackend, ModelSummary, Sampling, ServerProbe, StreamChunk } from './types';

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
      messages: p.messages.map(toOllamaMessage),
      stream: true,
      ...(p.options ? { options: toOllamaOptions(p.options) } : {}),
      ...(p.keepAlive !== undefined ? { keep_alive: p.keepAlive } : {}),
      ...(p.think !== undefined ? { think: p.think } : {}),
      ...(p.format !== undefined ? { format: p.format } : {}),
      ...ollamaToolFields(p),
    }, o);
    const calls = ollamaToolCalls(p);
    return withToolCalls(calls, withReasoning(mapStream(calls ? calls.tap(it) : it, (r) => ({
      text: r.message?.content ?? '',
      ...(r.message?.thinking ? { thinking: r.message.thinking } : {}),
      done: r.done,
      ...(r.done ? { doneReason: r.done_reason, stats: statsFromMetrics(r) } : {}),
    })), chatTagOptions(p)));
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

  /** The native client itself: model management speaks to it directly. */
  get ollama(): OllamaClient { return this.client; }

  async listModels(o: CallOptions = {}): Promise<ModelSummary[]> {
    const { models } = await this.client.list(o);
    return models.map((m) => ({
      name: m.name,
      ...(m.digest ? { digest: m.digest } : {}),
      sizeBytes: m.size,
      family: m.details?.family,
      parameterSize: m.details?.parameter_size,
      quantization: m.details?.quantization_level,
      ...(m.capabilities ? { capabilities: m.capabilities } : {}),
    }));
  }

  async modelFacts(model: string, o: CallOptions = {}): Promise<ModelFacts> {
    return factsFromShow(await this.client.show({ model }, o));
  }

  /** `/api/version` and `/api/tags`, in parallel. */
  async probe(o: CallOptions = {}): Promise<ServerProbe> {
    const [{ version }, models] = await Promise.all([this.client.version(o), this.listModels(o)]);
    return { backend: 'ollama', server: 'ollama', version, models };
  }

  close(): Promise<void> { return this.client.close(); }
  retire(): Promise<void> { return this.client.retire(); }
}
