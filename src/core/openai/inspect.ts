// Telling which OpenAI-compatible server is behind an endpoint, and what it says about its models,
// with as few requests as possible and each answer fetched once per connection (the backend is
// rebuilt when the connection settings or the key change, and with it this cache):
//   1. GET /v1/models (needed anyway): response headers, then the body (dialect.ts guessServer);
//   2. one confirming GET for the guess: llama.cpp /props (it always needs the key, so it is also
//      the key check), LM Studio /api/v0/models, vLLM /version, Ollama /api/version;
//   3. per model and only when asked: the FIM tokens its tokenizer knows (llama.cpp / vLLM
//      /tokenize: one request, no generation).
// Never /health: llama.cpp answers it without the key.
import { ResponseError, StreamError } from '../http/errors';
import type { CallOptions } from '../http/options';
import { ModelFactsCache } from '../llm/facts';
import type { OpenAICompatClient } from './client';
import {
  FIM_PROBE_TEXT, fimTokensFromPieces, guessServer, modelsFromList, parseLlamaCppProps, parseLmStudioModels,
  piecesOfLlamaCppTokenize, piecesOfVllmTokenize, type DialectKind, type FimTokens, type LlamaCppProps, type ServerModel,
} from './dialect';

/** What one detection learned about the server. */
export interface ServerInfo {
  /** Undefined: a server that does not give itself away (treated as plain OpenAI). */
  kind: DialectKind | undefined;
  /** How it was told, one fact per entry (headers, body fields, the confirming request). */
  evidence: string[];
  version?: string;
  models: ServerModel[];
  llamacpp?: LlamaCppProps;
  /** The request that succeeded and that this server refuses without the right key; undefined for
   * a server that takes no key (Ollama). */
  keyCheckPath?: string;
}

/** How a server fills in the middle for one model (see core/llm/facts.ts FimFacts). */
export interface FimInfo {
  via: 'infill' | 'raw' | 'none';
  tokens?: FimTokens;
  reason?: string;
  source: string;
}

const SERVER = '\u0000server';

/** A 404/405 or an LM Studio `{"error"}` body: the endpoint is not there (not this dialect). */
function isAbsent(e: unknown): boolean {
  if (e instanceof ResponseError) return e.status === 404 || e.status === 405 || e.status === 501;
  return e instanceof StreamError;
}

/** A refusal that says the key is wrong: never swallowed by a probe. */
function isKeyRefusal(e: unknown): boolean {
  return e instanceof ResponseError && (e.status === 401 || e.status === 403);
}

/**
 * The detection and per-model facts of one connection, cached: concurrent callers share one
 * request, failures are not cached (the next caller asks again), and a caller's signal only ends
 * its own wait (ModelFactsCache semantics). `forget()` starts over (Test Connection does).
 */
export class ServerInspector {
  private readonly server: ModelFactsCache<ServerInfo>;
  private readonly fims: ModelFactsCache<FimInfo | undefined>;
  /** Models llama.cpp's /infill refused (501), with its words. */
  private readonly noInfill = new Map<string, string>();

  constructor(private readonly client: OpenAICompatClient) {
    this.server = new ModelFactsCache<ServerInfo>(() => detectServer(this.client));
    this.fims = new ModelFactsCache<FimInfo | undefined>((model) => this.discoverFim(model));
  }

  /** What the server is (detected once). Throws the request's error (a 401: the key is wrong). */
  detect(o: CallOptions = {}): Promise<ServerInfo> { return this.server.get(SERVER, o.signal); }

  /** The detection that has arrived, without asking. */
  known(): ServerInfo | undefined { return this.server.known(SERVER); }

  /** Forget everything: the next call detects again. */
  forget(): void { this.server.invalidate(); this.fims.invalidate(); this.noInfill.clear(); }

  /** How the server fills in the middle for `model` (llama.cpp, vLLM); undefined when it cannot tell. */
  async fim(model: string, o: CallOptions = {}): Promise<FimInfo | undefined> {
    const refused = this.noInfill.get(model);
    if (refused !== undefined) return { via: 'none', reason: refused, source: 'POST /infill' };
    return this.fims.get(model, o.signal);
  }

  /** llama.cpp answered /infill for `model` with 501: remember it (the next lookups say `none`). */
  infillRefused(model: string, reason: string): void {
    this.noInfill.set(model, reason);
    this.fims.invalidate(model);
  }

  private async discoverFim(model: string): Promise<FimInfo | undefined> {
    const info = await this.detect();
    if (info.kind === 'llama.cpp') {
      // `parse_special` (default true) makes a special token's text one token; `with_pieces` says
      // its text. /infill itself decides for tokens the GGUF names by id with other spellings.
      try {
        const r = await this.client.rootRequest('POST', '/tokenize', { content: FIM_PROBE_TEXT, add_special: false, parse_special: true, with_pieces: true, model });
        const tokens = fimTokensFromPieces(piecesOfLlamaCppTokenize(r.body));
        return tokens ? { via: 'infill', tokens, source: 'POST /tokenize' } : { via: 'infill', source: 'GET /props (no FIM token found by POST /tokenize: /infill decides)' };
      } catch (e) {
        if (isKeyRefusal(e)) throw e;
        return { via: 'infill', source: 'GET /props' };
      }
    }
    if (info.kind === 'vllm') {
      // vLLM has no FIM endpoint (and /v1/completions refuses `suffix`): a raw prompt in the
      // model's own format works when its tokenizer has the tokens.
      try {
        const r = await this.client.rootRequest('POST', '/tokenize', { model, prompt: FIM_PROBE_TEXT, add_special_tokens: false, return_token_strs: true });
        const tokens = fimTokensFromPieces(piecesOfVllmTokenize(r.body));
        return tokens ? { via: 'raw', tokens, source: 'POST /tokenize' } : undefined;
      } catch (e) {
        if (isKeyRefusal(e)) throw e;
        return undefined;
      }
    }
    return undefined;
  }
}

/** Steps 1 and 2 of the detection (see the file comment). */
export async function detectServer(client: OpenAICompatClient): Promise<ServerInfo> {
  const list = await client.modelsReply();
  const guess = guessServer(list.headers, list.body);
  const info: ServerInfo = { kind: guess.kind, evidence: [...guess.evidence], models: modelsFromList(list.body), keyCheckPath: 'GET /v1/models' };
  switch (guess.kind) {
    case 'llama.cpp': {
      // Needs the key on every build (its /health and, before b10524, /v1/models do not): a 401
      // here is the answer to "is the key right", so it is not swallowed.
      try {
        const props = await client.rootRequest('GET', '/props', undefined);
        info.llamacpp = parseLlamaCppProps(props.body);
        if (info.llamacpp.build) info.version = info.llamacpp.build;
        info.evidence.push('GET /props');
        info.keyCheckPath = 'GET /props';
      } catch (e) {
        if (!isAbsent(e)) throw e;
        info.evidence.push('no /props');
      }
      break;
    }
    case 'lmstudio': {
      try {
        const v0 = await client.rootRequest('GET', '/api/v0/models', undefined);
        const models = parseLmStudioModels(v0.body);
        if (models) {
          info.models = models;
          info.evidence.push('GET /api/v0/models');
        }
      } catch (e) {
        if (isKeyRefusal(e)) throw e;
      }
      break;
    }
    case 'vllm': {
      const v = await versionAt(client, '/version');
      if (v) { info.version = v; info.evidence.push('GET /version'); }
      break;
    }
    case 'ollama':
    case undefined: {
      // Ollama's own API beside /v1; an unknown server that answers it is Ollama too.
      const v = await versionAt(client, '/api/version');
      if (v) {
        info.kind = 'ollama';
        info.version = v;
        info.evidence.push('GET /api/version');
      }
      if (info.kind === 'ollama') delete info.keyCheckPath;
      break;
    }
    case 'litellm':
      break;
  }
  return info;
}

/** `{"version": "…"}` at `path`, or undefined (absent, not JSON, another shape). */
async function versionAt(client: OpenAICompatClient, path: string): Promise<string | undefined> {
  try {
    const r = await client.rootRequest('GET', path, undefined);
    const v = (r.body as { version?: unknown } | undefined)?.version;
    return typeof v === 'string' && v ? v : undefined;
  } catch (e) {
    if (isKeyRefusal(e)) throw e;
    return undefined;
  }
}
