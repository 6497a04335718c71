// Deterministic "model output" for the Ollama test server: reply text, thinking, tool calls,
// metrics, and how one generation renders as native NDJSON chunks or OpenAI SSE chunks.
import type { StoredModel } from './ollamaServerModels';
import type { StreamItem } from './ollamaServerStream';
import { createHash } from 'node:crypto';
import { float32Value, goTimeUTC, hashFloats, sha256Hex, tokenId } from './ollamaServerWire';

export type Json = Record<string, unknown>;

export interface NativeToolCall {
  id: string;
  function: { index: number; name: string; arguments: Json };
}

export interface ApiMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: unknown[];
  tool_name?: string;
  tool_call_id?: string;
}

/** One planned answer, rendered lazily by whichever endpoint asked for it. */
export interface Generation {
  /** the request's `model` string, echoed as given */
  model: string;
  stored: StoredModel;
  thinking: string[];
  content: string[];
  toolCalls: NativeToolCall[];
  doneReason: string;
  promptEvalCount: number;
  /** 0 → load_duration omitted (model was already loaded) */
  loadNs: number;
  /** generate only (non-raw): token ids */
  context?: number[];
  /** chat: collect tool calls into the stream:false reply (only when the request had tools) */
  collectToolCalls: boolean;
  /** side effects once the final chunk has been produced (unload for keep_alive 0, expiry refresh) */
  after: () => void;
}

export function evalCount(g: Generation): number {
  return g.thinking.length + g.content.length + g.toolCalls.length;
}

/** Final-chunk metrics, omitting zero values like Go's omitempty. */
export function metrics(g: Generation): Json {
  const ec = evalCount(g);
  const promptDur = g.promptEvalCount * 1_250_000 + 31_337;
  const evalDur = ec * 11_000_000 + 4_242;
  const m: Json = { total_duration: g.loadNs + promptDur + (ec ? evalDur : 0) + 2_000_000 };
  if (g.loadNs) m.load_duration = g.loadNs;
  m.prompt_eval_count = g.promptEvalCount;
  m.prompt_eval_duration = promptDur;
  if (ec) {
    m.eval_count = ec;
    m.eval_duration = evalDur;
  }
  return m;
}

export function contextIds(tokens: string[]): number[] {
  return tokens.map(tokenId);
}

/** Native chunk objects (field order as api.GenerateResponse / api.ChatResponse). */
function genChunk(g: Generation, response: string, thinking?: string): Json {
  const o: Json = { model: g.model, created_at: goTimeUTC(), response };
  if (thinking) o.thinking = thinking;
  o.done = false;
  return o;
}

function chatChunk(g: Generation, content: string, thinking?: string, toolCalls?: NativeToolCall[]): Json {
  const message: Json = { role: 'assistant', content };
  if (thinking) message.thinking = thinking;
  if (toolCalls?.length) message.tool_calls = toolCalls;
  return { model: g.model, created_at: goTimeUTC(), message, done: false };
}

function genFinal(g: Generation, response = '', thinking = ''): Json {
  const o: Json = { model: g.model, created_at: goTimeUTC(), response };
  if (thinking) o.thinking = thinking;
  o.done = true;
  if (g.doneReason) o.done_reason = g.doneReason;
  if (g.context?.length) o.context = g.context;
  return { ...o, ...metrics(g) };
}

function chatFinal(g: Generation, content = '', thinking = '', toolCalls?: NativeToolCall[]): Json {
  const message: Json = { role: 'assistant', content };
  if (thinking) message.thinking = thinking;
  if (toolCalls?.length) message.tool_calls = toolCalls;
  const o: Json = { model: g.model, created_at: goTimeUTC(), message, done: true };
  if (g.doneReason) o.done_reason = g.doneReason;
  return { ...o, ...metrics(g) };
}

export function* nativeItems(g: Generation, kind: 'generate' | 'chat'): Generator<StreamItem> {
  for (const t of g.thinking) {
    yield { data: () => (kind === 'generate' ? genChunk(g, '', t) : chatChunk(g, '', t)) };
  }
  for (const t of g.content) {
    yield { data: () => (kind === 'generate' ? genChunk(g, t) : chatChunk(g, t)) };
  }
  if (g.toolCalls.length && kind === 'chat') yield { data: () => chatChunk(g, '', undefined, g.toolCalls) };
  yield { data: () => (kind === 'generate' ? genFinal(g) : chatFinal(g)), terminal: true };
  g.after();
}

/** stream:false body: the final chunk with the concatenated text. */
export function nativeAggregate(g: Generation, kind: 'generate' | 'chat'): Json {
  const text = g.content.join('');
  const thinking = g.thinking.join('');
  return kind === 'generate' ? genFinal(g, text, thinking) : chatFinal(g, text, thinking, g.collectToolCalls ? g.toolCalls : undefined);
}

/** The load/unload answer (never streamed). */
export function specialReply(kind: 'generate' | 'chat', model: string, reason: 'load' | 'unload'): Json {
  return kind === 'generate'
    ? { model, created_at: goTimeUTC(), response: '', done: true, done_reason: reason }
    : { model, created_at: goTimeUTC(), message: { role: 'assistant', content: '' }, done: true, done_reason: reason };
}

// ---------------------------------------------------------------------------------------------
// OpenAI layer

function usage(g: Generation): Json {
  const ec = evalCount(g);
  return { prompt_tokens: g.promptEvalCount, completion_tokens: ec, total_tokens: g.promptEvalCount + ec };
}

function oaToolCalls(g: Generation): Json[] {
  return g.toolCalls.map((tc) => ({
    id: tc.id,
    index: tc.function.index,
    type: 'function',
    function: { name: tc.function.name, arguments: JSON.stringify(tc.function.arguments) },
  }));
}

export function openaiChatFinish(g: Generation): string {
  return g.toolCalls.length && g.doneReason === 'stop' ? 'tool_calls' : g.doneReason;
}

/** OpenAI's streamed form of tool calls: per call a first delta with id, type, name and empty
 * arguments, then the arguments' JSON text in `pieces` deltas that carry only the index. */
function oaToolCallPieces(g: Generation, pieces: number): Json[][] {
  const out: Json[][] = [];
  for (const tc of oaToolCalls(g)) {
    const fn = tc.function as { name: string; arguments: string };
    out.push([{ index: tc.index, id: tc.id, type: 'function', function: { name: fn.name, arguments: '' } }]);
    const step = Math.max(1, Math.ceil(fn.arguments.length / pieces));
    for (let i = 0; i < fn.arguments.length; i += step) out.push([{ index: tc.index, function: { arguments: fn.arguments.slice(i, i + step) } }]);
  }
  return out;
}

export function* openaiChatItems(g: Generation, id: string, created: number, includeUsage: boolean, reasoningField: 'reasoning' | 'reasoning_content' = 'reasoning', toolCallPieces?: number): Generator<StreamItem> {
  let first = true;
  const chunk = (delta: Json, finish: string | null): Json => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: g.model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const role = (d: Json): Json => {
    if (!first) return d;
    first = false;
    return { role: 'assistant', ...d };
  };
  for (const t of g.thinking) yield { data: () => chunk(role({ content: '', [reasoningField]: t }), null) };
  for (const t of g.content) yield { data: () => chunk(role({ content: t }), null) };
  if (g.toolCalls.length && toolCallPieces) {
    for (const piece of oaToolCallPieces(g, toolCallPieces)) yield { data: () => chunk(role({ tool_calls: piece }), null) };
  } else if (g.toolCalls.length) yield { data: () => chunk(role({ content: '', tool_calls: oaToolCalls(g) }), null) };
  yield { data: () => chunk({}, openaiChatFinish(g)), terminal: true };
  if (includeUsage) {
    yield {
      data: () => ({ id, object: 'chat.completion.chunk', created, model: g.model, system_fingerprint: 'fp_ollama', choices: [], usage: usage(g) }),
    };
  }
  yield { raw: '[DONE]', terminal: true };
  g.after();
}

/** What Ollama's OpenAI writer turns an in-band {"error"} line into: an empty chunk. */
export function openaiChatErrorChunk(g: Generation, id: string, created: number): Json {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model: g.model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, delta: { content: '' }, finish_reason: null }],
  };
}

export function openaiChatCompletion(g: Generation, id: string, created: number): Json {
  const message: Json = { role: 'assistant', content: g.content.join('') };
  if (g.thinking.length) message.reasoning = g.thinking.join('');
  if (g.toolCalls.length) message.tool_calls = oaToolCalls(g);
  return {
    id,
    object: 'chat.completion',
    created,
    model: g.model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, message, finish_reason: openaiChatFinish(g) || null }],
    usage: usage(g),
  };
}

export function completionChunk(g: Generation, id: string, text: string, finish: string | null, includeUsage: boolean): Json {
  const o: Json = {
    id,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    choices: [{ text, index: 0, finish_reason: finish }],
    model: g.model,
    system_fingerprint: 'fp_ollama',
  };
  if (includeUsage) o.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  return o;
}

export function* openaiCompletionItems(g: Generation, id: string, includeUsage: boolean): Generator<StreamItem> {
  for (const _t of g.thinking) yield { data: () => completionChunk(g, id, '', null, includeUsage) };
  for (const t of g.content) yield { data: () => completionChunk(g, id, t, null, includeUsage) };
  yield { data: () => completionChunk(g, id, '', g.doneReason || null, includeUsage), terminal: true };
  if (includeUsage) {
    yield {
      data: () => ({
        id,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [],
        model: g.model,
        system_fingerprint: 'fp_ollama',
        usage: usage(g),
      }),
    };
  }
  yield { raw: '[DONE]', terminal: true };
  g.after();
}

export function openaiCompletion(g: Generation, id: string, created: number): Json {
  return {
    id,
    object: 'text_completion',
    created,
    model: g.model,
    system_fingerprint: 'fp_ollama',
    choices: [{ text: g.content.join(''), index: 0, finish_reason: g.doneReason || null }],
    usage: usage(g),
  };
}

export function openaiError(status: number, message: string): Json {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return { error: { message, type, param: null, code: null } };
}

// ---------------------------------------------------------------------------------------------
// Deterministic content

/** A value matching a (simple) JSON schema, for `format` requests. */
export function sampleFromSchema(schema: unknown, text: string, depth = 0): unknown {
  const s = (schema ?? {}) as Json;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return text;
    case 'integer':
      return 1;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array': {
      if (depth > 4) return [];
      // llama.cpp's converter (json-schema-to-grammar.cpp): `items` wins over `prefixItems`; a
      // `prefixItems` tuple is closed at its length; minItems/maxItems bound the repetition.
      if (s.items === undefined && Array.isArray(s.prefixItems)) return (s.prefixItems as unknown[]).map((p) => sampleFromSchema(p, text, depth + 1));
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      const count = Math.max(min, typeof s.maxItems === 'number' ? Math.min(1, s.maxItems) : 1);
      return Array.from({ length: count }, () => sampleFromSchema(s.items, text, depth + 1));
    }
    default: {
      const props = (s.properties ?? {}) as Json;
      const keys = Object.keys(props);
      if (!keys.length) return { response: text };
      const out: Json = {};
      for (const k of keys) out[k] = depth > 4 ? null : sampleFromSchema(props[k], text, depth + 1);
      return out;
    }
  }
}

/** Tool call the fake model makes: the first tool whose function name appears in the last user message. */
export function pickToolCall(tools: unknown, messages: ApiMessage[], seed: string): NativeToolCall | undefined {
  if (!Array.isArray(tools) || !tools.length) return undefined;
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'user') return undefined;
  for (const tool of tools as Json[]) {
    const fn = (tool?.function ?? {}) as Json;
    const name = typeof fn.name === 'string' ? fn.name : '';
    if (!name || !last.content.includes(name)) continue;
    const params = (fn.parameters ?? {}) as Json;
    const props = (params.properties ?? {}) as Json;
    const required = Array.isArray(params.required) ? (params.required as string[]) : Object.keys(props);
    const args: Json = {};
    for (const k of required) args[k] = sampleFromSchema(props[k], 'test', 1);
    const h = sha256Hex(seed + name);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let id = '';
    for (let i = 0; i < 8; i++) id += alphabet[parseInt(h.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
    return { id, function: { index: 0, name, arguments: args } };
  }
  return undefined;
}

/** Words of a text for the bag-of-words embedding: letter/digit runs, camelCase and snake_case
 * identifiers also split into their parts, lowercased. */
function embedWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    out.push(w.toLowerCase());
    const parts = w.replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2').replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2').split(' ');
    if (parts.length > 1) for (const p of parts) out.push(p.toLowerCase());
  }
  return out;
}

/** Per model: word -> [dimension, sign] (bounded: cleared when large). */
const wordSlots = new Map<string, Map<string, [number, number]>>();

/**
 * A deterministic embedding of `text` by `model`, L2-normalised float32 values: a hashed bag of
 * words (feature hashing: every word adds +-(1 + ln tf) to a dimension chosen by hashing the model
 * and the word), so texts that share words are near each other as with a real embedding model, a
 * question finds the code that uses its words, and two models give unrelated vectors. A text with
 * no words gets a pseudo-random vector of its own (never the zero vector, which a real model never
 * returns). `normalize: false` is the legacy /api/embeddings, which does not normalise.
 */
export function embedVector(model: string, text: string, dim: number, normalize = true): number[] {
  const words = embedWords(text);
  let raw: number[];
  if (!words.length) {
    const g = hashFloats(model + '\u0000' + text);
    raw = [];
    for (let i = 0; i < dim; i++) raw.push(g.next().value as number);
  } else {
    let slots = wordSlots.get(model);
    if (!slots || slots.size > 200_000) { slots = new Map(); wordSlots.set(model, slots); }
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    raw = new Array<number>(dim).fill(0);
    for (const [w, n] of tf) {
      let slot = slots.get(w);
      if (!slot) {
        const h = createHash('sha256').update(model + '\u0000' + w).digest();
        slot = [h.readUInt32LE(0) % 1_000_003, h[4]! & 1 ? 1 : -1];
        slots.set(w, slot);
      }
      raw[slot[0] % dim] += slot[1] * (1 + Math.log(n));
    }
  }
  if (!normalize) return raw.map((x) => x * 3.7);
  const norm = Math.sqrt(raw.reduce((a, x) => a + x * x, 0)) || 1;
  return raw.map((x) => float32Value(x / norm));
}

export function renormalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => float32Value(x / norm));
}
