// Tool calling ("function calling") over both APIs, in both directions: the tools a request offers,
// the calls a model makes (read from the stream), and the calls and results a conversation sends
// back. The backends hook in here in a few lines each; everything about the two wire forms is in
// this module.
//
// Ollama native /api/chat (ollama-protocol.md §2): `tools: [{type:'function', function:{name,
// description, parameters}}]`; the model's calls arrive whole in a `done:false` chunk as
// `message.tool_calls: [{id?, function:{index, name, arguments: {…}}}]` — `arguments` is a JSON
// OBJECT, `id` is absent on servers before it was added; several chunks may carry calls. A call is
// sent back as an assistant message with `tool_calls`, its result as `{role:'tool', content,
// tool_name, tool_call_id}`.
//
// OpenAI-compatible /v1/chat/completions (ollama-protocol.md §7.2; OpenAI's streaming format, which
// vLLM, llama.cpp and LM Studio follow): the same `tools`, plus `tool_choice`; the calls arrive as
// `delta.tool_calls: [{index, id?, type?, function:{name?, arguments?}}]` where `arguments` is a JSON
// STRING streamed in pieces (the first piece of a call carries its id and name, later pieces only
// `index` and more `arguments` text); Ollama's /v1 sends each call whole in one piece. A call goes
// back as `{role:'assistant', content, tool_calls:[{id, type:'function', function:{name,
// arguments: '<json>'}}]}`, a result as `{role:'tool', tool_call_id, content}`.
//
// In both, the calls are collected while the answer streams and handed over on the last (`done`)
// chunk: a call is only usable whole, and both servers end a tool-calling turn right after its calls.
import { ProtocolError } from '../http/errors';
import type { Message as OllamaMessage, Tool as OllamaTool, ToolCall as OllamaToolCall } from '../ollama/types';
import type { OpenAIContentPart, OpenAIMessage } from '../openai/client';
import { sniffImageMime } from '../common/images';
import { mapStream } from './shape';
import type { ChatParams, LlmMessage, StreamChunk } from './types';

/** A tool the model may call. `inputSchema` is a JSON schema of an object (the call's arguments). */
export interface LlmTool {
  name: string;
  description: string;
  inputSchema?: Record<string, unknown>;
}

/** One call a model made: the tool's name and its arguments (always an object). `id` pairs the
 * call with its result; servers that send none get one made here. */
export interface LlmToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** `auto`: the model decides; `required`: it must call a tool (OpenAI's `tool_choice`; Ollama's
 * native API has no such control and answers as the model likes). */
export type ToolChoice = 'auto' | 'required';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The parameters schema a tool is sent with: its own, or an object with no properties. */
function parametersOf(t: LlmTool): Record<string, unknown> {
  return isObject(t.inputSchema) ? t.inputSchema : { type: 'object', properties: {} };
}

function wireTools(tools: readonly LlmTool[]): OllamaTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: parametersOf(t) } }));
}

/** A call id for a server that sent none: unique enough within one conversation. */
function newCallId(): string {
  return `call_${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36).slice(-4)}`;
}

/** Arguments as sent by a server: an object (Ollama native), or a JSON string of one (OpenAI;
 * some servers send an object there too). Throws ProtocolError for anything else. */
export function parseToolArguments(raw: unknown, name: string): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    let parsed: unknown;
    try { parsed = JSON.parse(raw); } catch (e) {
      throw new ProtocolError(`the model called ${name} with arguments that are not JSON: ${raw.slice(0, 200)}`, { raw, cause: e });
    }
    if (isObject(parsed)) return parsed;
  }
  throw new ProtocolError(`the model called ${name} with arguments that are not a JSON object: ${String(JSON.stringify(raw)).slice(0, 200)}`, { raw: String(JSON.stringify(raw)) });
}

// ---- Ollama native ----------------------------------------------------------------------------

/** The `tools` field of an /api/chat request (nothing when none are offered). */
export function ollamaToolFields(p: Pick<ChatParams, 'tools'>): { tools?: OllamaTool[] } {
  return p.tools?.length ? { tools: wireTools(p.tools) } : {};
}

/** One message in /api/chat form: images, the calls an assistant turn made, a tool result's
 * `tool_name` and `tool_call_id`. */
export function toOllamaMessage(m: LlmMessage): OllamaMessage {
  const out: OllamaMessage = { role: m.role, content: m.content };
  if (m.images?.length) out.images = m.images;
  if (m.toolCalls?.length) out.tool_calls = m.toolCalls.map((c): OllamaToolCall => ({ id: c.id, function: { name: c.name, arguments: c.arguments } }));
  if (m.toolName) out.tool_name = m.toolName;
  if (m.toolCallId) out.tool_call_id = m.toolCallId;
  return out;
}

/** Reads `message.tool_calls` of native chunks: every call is whole; ids are the server's, or made. */
function readOllamaCalls(raw: unknown, into: LlmToolCall[]): void {
  if (!Array.isArray(raw)) return;
  for (const c of raw as unknown[]) {
    const fn = isObject(c) && isObject(c.function) ? c.function : undefined;
    const name = typeof fn?.name === 'string' ? fn.name : '';
    if (!fn || !name) throw new ProtocolError(`the server sent a tool call without a function name: ${JSON.stringify(c).slice(0, 200)}`, { raw: JSON.stringify(c) });
    const id = isObject(c) && typeof c.id === 'string' && c.id ? c.id : newCallId();
    into.push({ id, name, arguments: parseToolArguments(fn.arguments, name) });
  }
}

// ---- OpenAI-compatible ------------------------------------------------------------------------

/** The `tools` and `tool_choice` fields of a /v1/chat/completions request (nothing when none). */
export function openAIToolFields(p: Pick<ChatParams, 'tools' | 'toolChoice'>): { tools?: OllamaTool[]; tool_choice?: string } {
  if (!p.tools?.length) return {};
  return { tools: wireTools(p.tools), ...(p.toolChoice === 'required' ? { tool_choice: 'required' } : {}) };
}

/** The /v1 form of a message that carries tool calls or a tool result; undefined for any other
 * message (the backend's own mapping applies). */
export function toOpenAIToolMessage(m: LlmMessage): OpenAIMessage | undefined {
  if (m.role === 'tool') {
    return { role: 'tool', content: m.content, ...(m.toolCallId ? { tool_call_id: m.toolCallId } : {}), ...(m.toolName ? { name: m.toolName } : {}) };
  }
  if (!m.toolCalls?.length) return undefined;
  let content: string | OpenAIContentPart[] | null = m.content || null;
  if (m.images?.length) {
    content = [{ type: 'text', text: m.content }, ...m.images.map((img): OpenAIContentPart => ({ type: 'image_url', image_url: { url: `data:${sniffImageMime(img) ?? 'image/png'};base64,${img}` } }))];
  }
  return {
    role: m.role,
    content,
    tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
  };
}

interface PartialCall { id?: string; name: string; args: string; object?: Record<string, unknown> }

/**
 * Assembles streamed `delta.tool_calls` pieces into whole calls. Pieces are matched by `index`; a
 * piece without one continues the call of its `id`, else the last call (servers that send each
 * call whole in one piece, without an index, start a new call whenever a piece names a function
 * and the last call already has arguments). `finish()` parses the arguments (an empty string is
 * `{}`) and throws ProtocolError for arguments that are not a JSON object.
 */
export class OpenAIToolCallAssembler {
  private readonly calls: PartialCall[] = [];
  private readonly byIndex = new Map<number, PartialCall>();

  /** One chunk's `delta.tool_calls` (anything else is ignored). */
  push(pieces: unknown): void {
    if (!Array.isArray(pieces)) return;
    for (const piece of pieces as unknown[]) {
      if (!isObject(piece)) continue;
      const fn = isObject(piece.function) ? piece.function : {};
      const id = typeof piece.id === 'string' && piece.id ? piece.id : undefined;
      const name = typeof fn.name === 'string' ? fn.name : '';
      let call: PartialCall | undefined;
      if (typeof piece.index === 'number') call = this.byIndex.get(piece.index);
      else if (id) call = this.calls.find((c) => c.id === id);
      else {
        const last = this.calls[this.calls.length - 1];
        call = last && !(name && (last.args || last.object)) ? last : undefined;
      }
      if (!call) {
        call = { name: '', args: '' };
        this.calls.push(call);
        if (typeof piece.index === 'number') this.byIndex.set(piece.index, call);
      }
      if (id && !call.id) call.id = id;
      // The name arrives once (some servers repeat it whole on every piece: never appended).
      if (name && !call.name) call.name = name;
      if (typeof fn.arguments === 'string') call.args += fn.arguments;
      else if (isObject(fn.arguments)) call.object = fn.arguments;
    }
  }

  /** True once any piece arrived. */
  get pending(): boolean { return this.calls.length > 0; }

  /** The whole calls so far (and forgets them). */
  finish(): LlmToolCall[] {
    const out = this.calls.splice(0).map((c): LlmToolCall => {
      if (!c.name) throw new ProtocolError(`the server sent a tool call without a function name (arguments ${c.args.slice(0, 200)})`, { raw: c.args });
      return { id: c.id ?? newCallId(), name: c.name, arguments: c.object && !c.args ? c.object : parseToolArguments(c.args, c.name) };
    });
    this.byIndex.clear();
    return out;
  }
}

// ---- collecting calls while a stream is read ---------------------------------------------------

/**
 * What a backend does with the tool calls of one streamed answer: `tap` the wire stream (each wire
 * chunk is shown to the reader on its way through), then `attach` the calls to the StreamChunks
 * made from it: they ride on the `done` chunk (or, when a stream ends without one, on a last
 * chunk of their own). Breaking out of the result still closes the wire stream.
 */
export interface ToolCallCollector<W> {
  tap<T extends W>(src: AsyncIterable<T>): AsyncIterable<T>;
  attach(chunks: AsyncIterable<StreamChunk>): AsyncIterable<StreamChunk>;
}

function collector<W>(read: (w: W) => void, take: () => LlmToolCall[]): ToolCallCollector<W> {
  return {
    tap: <T extends W>(src: AsyncIterable<T>) => mapStream(src, (w: T) => { read(w); return w; }),
    async *attach(chunks) {
      for await (const c of chunks) {
        if (c.done) {
          const calls = take();
          yield calls.length ? { ...c, toolCalls: calls } : c;
        } else {
          yield c;
        }
      }
      const rest = take();
      if (rest.length) yield { text: '', done: false, toolCalls: rest };
    },
  };
}

/** `chunks` with the collected calls attached (as it is when there is no collector). */
export function withToolCalls<W>(calls: ToolCallCollector<W> | undefined, chunks: AsyncIterable<StreamChunk>): AsyncIterable<StreamChunk> {
  return calls ? calls.attach(chunks) : chunks;
}

/** For an /api/chat stream (undefined when the request offered no tools: nothing to collect). */
export function ollamaToolCalls(p: Pick<ChatParams, 'tools'>): ToolCallCollector<{ message?: { tool_calls?: unknown } }> | undefined {
  if (!p.tools?.length) return undefined;
  const calls: LlmToolCall[] = [];
  return collector((w) => readOllamaCalls(w.message?.tool_calls, calls), () => calls.splice(0));
}

/** For a /v1/chat/completions stream (undefined when the request offered no tools). */
export function openAIToolCalls(p: Pick<ChatParams, 'tools'>): ToolCallCollector<unknown> | undefined {
  if (!p.tools?.length) return undefined;
  const asm = new OpenAIToolCallAssembler();
  return collector((w) => {
    const choices = isObject(w) && Array.isArray(w.choices) ? w.choices as unknown[] : undefined;
    const delta = isObject(choices?.[0]) && isObject((choices[0] as Record<string, unknown>).delta) ? (choices[0] as { delta: Record<string, unknown> }).delta : undefined;
    if (delta) asm.push(delta.tool_calls);
  }, () => asm.finish());
}
