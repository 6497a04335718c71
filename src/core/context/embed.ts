// Embeddings of chunks and questions through Ollama's /api/embed (server/routes.go EmbedHandler):
// inputs go in batches (the server has no batch cap, but one failing input fails the whole request
// and every input is a separate runner call queued behind the others, so a batch is kept small);
// `truncate: false`, because with the default the server cuts an input at the model's context
// silently: an over-long chunk comes back as an error, and is then split in two at a line break and
// embedded as the mean of its halves. A batch that fails for another reason is retried item by item
// so one bad input costs only itself. Vectors are checked (every one the same length, finite) and
// scaled to unit length. The model's task prefixes (nomic-embed-text, embeddinggemma, mxbai,
// qwen3-embedding, snowflake-arctic-embed: from their model cards) are put before the text.
import { isCancel } from '../common/cancel';
import { EndpointNotFoundError, ModelNotFoundError, ResponseError, ServerBusyError } from '../http/errors';
import type { CallOptions } from '../http/options';
import type { EmbedRequest, EmbedResponse } from '../ollama/types';
import { normalize } from './vectors';

/** The one call embeddings need (OllamaClient.embed). */
export interface EmbedClient {
  embed(request: EmbedRequest, o?: CallOptions): Promise<EmbedResponse>;
}

export interface EmbeddingPrefixes {
  /** Put before a question. */
  query: string;
  /** Put before a document (a chunk). */
  document: string;
}

/**
 * The task prefixes a model was trained with, by its name (without them its vectors are noticeably
 * worse: nomic-embed-text's card says the prefix is required). Unknown models: none.
 */
export function embeddingPrefixes(model: string): EmbeddingPrefixes {
  const m = model.toLowerCase().replace(/^.*\//, '');
  if (m.startsWith('nomic-embed')) return { query: 'search_query: ', document: 'search_document: ' };
  if (m.startsWith('embeddinggemma')) return { query: 'task: code retrieval | query: ', document: 'title: none | text: ' };
  if (m.startsWith('mxbai-embed') || m.startsWith('snowflake-arctic-embed')) {
    return { query: 'Represent this sentence for searching relevant passages: ', document: '' };
  }
  if (m.startsWith('qwen3-embedding')) {
    return { query: 'Instruct: Given a question about a code base, retrieve the code or text that answers it\nQuery: ', document: '' };
  }
  return { query: '', document: '' };
}

/** The server refused an input for its length (`truncate: false`), in Ollama's words. */
export function isTooLong(e: unknown): boolean {
  return e instanceof ResponseError && e.status === 400 && /exceeds the context length|input length|too long|context window/i.test(e.message);
}

/** An error that says the server refused this input (not: the model is missing, the server is
 * busy or away, the request was cancelled). */
function refusedInput(e: unknown, signal: AbortSignal | undefined): boolean {
  return e instanceof ResponseError && !(e instanceof ModelNotFoundError) && !(e instanceof ServerBusyError) && !(e instanceof EndpointNotFoundError) && !isCancel(e, signal);
}

/** Where to cut a text in two: the line break nearest the middle (else the middle). */
export function halves(text: string): [string, string] {
  const mid = Math.floor(text.length / 2);
  const before = text.lastIndexOf('\n', mid);
  const after = text.indexOf('\n', mid);
  let at = before > 0 && (after < 0 || mid - before <= after - mid) ? before : after > 0 ? after : mid;
  if (at <= 0 || at >= text.length) at = mid;
  return [text.slice(0, at), text.slice(at)];
}

export interface EmbedderOptions {
  /** Inputs per request. Default 16. */
  batchSize?: number;
  /** Ask the server for this many dimensions (Matryoshka models); unset: the model's own. */
  dimensions?: number;
  keepAlive?: string | number;
  /** How deep an over-long text is split before giving up on it. Default 4 (16 pieces). */
  maxSplits?: number;
}

export class Embedder {
  private width: number | undefined;
  readonly prefixes: EmbeddingPrefixes;
  private readonly batchSize: number;

  constructor(private readonly client: EmbedClient, readonly model: string, private readonly o: EmbedderOptions = {}) {
    this.prefixes = embeddingPrefixes(model);
    this.batchSize = Math.max(1, o.batchSize ?? 16);
  }

  /** The vectors' dimension, once a response has said. */
  get dims(): number | undefined { return this.width; }

  /** One request: unit vectors, one per input, checked. */
  private async request(input: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const r = await this.client.embed({
      model: this.model, input, truncate: false,
      ...(this.o.dimensions ? { dimensions: this.o.dimensions } : {}),
      ...(this.o.keepAlive !== undefined ? { keep_alive: this.o.keepAlive } : {}),
    }, { signal, lane: 'batch' });
    if (!Array.isArray(r.embeddings) || r.embeddings.length !== input.length) {
      throw new Error(`the server returned ${Array.isArray(r.embeddings) ? r.embeddings.length : 'no'} embeddings for ${input.length} inputs`);
    }
    return r.embeddings.map((e) => {
      if (!Array.isArray(e) || !e.length || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error('the server returned an embedding that is not a list of numbers');
      this.width ??= e.length;
      if (e.length !== this.width) throw new Error(`the server returned embeddings of ${e.length} and ${this.width} dimensions`);
      return normalize(Float32Array.from(e));
    });
  }

  /** One text, split while the server says it is too long; undefined when the server refuses it
   * (a response error on this input alone). */
  private async one(text: string, signal: AbortSignal | undefined, depth: number): Promise<Float32Array | undefined> {
    try {
      return (await this.request([text], signal))[0];
    } catch (e) {
      if (!refusedInput(e, signal)) throw e;
      if (!isTooLong(e) || depth >= (this.o.maxSplits ?? 4) || text.length < 32) return undefined;
      const [a, b] = halves(text);
      const va = await this.one(a, signal, depth + 1);
      const vb = await this.one(b, signal, depth + 1);
      if (!va || !vb) return va ?? vb;
      const mean = new Float32Array(va.length);
      for (let i = 0; i < va.length; i++) mean[i] = (va[i]! + vb[i]!) / 2;
      return normalize(mean);
    }
  }

  /**
   * Vectors of documents (the document prefix is added here), in order; undefined for one the
   * server would not embed. Throws for what stops every request: ModelNotFoundError, the server
   * busy or unreachable, a cancel, a malformed response. `onBatch` is told after each batch.
   */
  async documents(texts: readonly string[], signal?: AbortSignal, onBatch?: (done: number) => void): Promise<(Float32Array | undefined)[]> {
    const out: (Float32Array | undefined)[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize).map((t) => this.prefixes.document + t);
      try {
        out.push(...await this.request(batch, signal));
      } catch (e) {
        if (!refusedInput(e, signal)) throw e;
        // One input failed the whole request: each on its own.
        for (const t of batch) out.push(await this.one(t, signal, 0));
      }
      onBatch?.(out.length);
    }
    return out;
  }

  /** The vector of a question (with the query prefix). Throws as documents() does, and when the
   * server will not embed it. */
  async query(text: string, signal?: AbortSignal): Promise<Float32Array> {
    const v = await this.one(this.prefixes.query + text, signal, 0);
    if (!v) throw new Error('the embedding model did not embed the question');
    return v;
  }
}
