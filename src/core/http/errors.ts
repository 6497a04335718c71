// The one error hierarchy of the HTTP clients (Ollama's and the OpenAI-compatible one). Every failure a caller can meet is an OllamaError
// subclass, so features can tell "server unreachable" from "model missing" from "user cancelled"
// with instanceof, and every error keeps the HTTP status and the server's own words. Whether an
// error is a cancel is asked of core/common/cancel (isCancel), never by hand.

export class OllamaError extends Error {
  /** HTTP status of the response, when there was one. */
  readonly status?: number;
  /** The URL that was requested. */
  readonly url?: string;
  constructor(message: string, init: { status?: number; url?: string; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.url = init.url;
  }
}

/** The caller asked for something the client can reject before sending (missing model, bad option type). */
export class InvalidRequestError extends OllamaError {}

/** The host setting cannot be turned into a URL. */
export class InvalidHostError extends OllamaError {}

/** A non-2xx HTTP response. `error` is the server's message (JSON `error`, else the text body). */
export class ResponseError extends OllamaError {
  declare readonly status: number;
  readonly error: string;
  /** First bytes of the raw body, for diagnosis (HTML from a proxy, gin's plain-text 404). */
  readonly body: string;
  constructor(message: string, init: { status: number; url?: string; error: string; body: string }) {
    super(message, init);
    this.error = init.error;
    this.body = init.body;
  }
  /** ollama-js compatible alias. */
  get status_code(): number { return this.status; }
}

/** The server stayed busy (503: Ollama's "server busy, please try again.  maximum pending requests
 * exceeded", llama.cpp's "Loading model"; 429: rate limits) through every retry the client made. */
export class ServerBusyError extends ResponseError {
  /** How many times the request was sent. */
  readonly attempts: number;
  constructor(message: string, init: { status: number; url?: string; error: string; body: string; attempts: number }) {
    super(message, init);
    this.attempts = init.attempts;
  }
}

/** 404 from a model endpoint with a JSON error body: the model is not installed (remedy: pull it). */
export class ModelNotFoundError extends ResponseError {
  readonly model: string;
  constructor(message: string, init: { status: number; url?: string; error: string; body: string; model: string }) {
    super(message, init);
    this.model = init.model;
  }
}

/** 404 with gin's plain-text "404 page not found": the route does not exist, so the endpoint URL
 * (path prefix, /v1 twice, an old server) is wrong - not the model. */
export class EndpointNotFoundError extends ResponseError {}

/** An in-band error inside a 200 stream, in any server's dialect (Ollama's `{"error":"…"}` line,
 * an SSE `data: {"error":{…}}` frame, `event: error`, llama.cpp's `error:` field, vLLM's
 * `{"object":"error"}`; see core/http/core.ts inBandError). Every object before it was delivered. */
export class StreamError extends OllamaError {
  readonly error: string;
  /** True when data objects had already arrived before the error (a partial answer exists). */
  readonly midStream: boolean;
  /** Data objects delivered before the error. */
  readonly received: number;
  constructor(message: string, init: { status?: number; url?: string; error: string; midStream: boolean; received?: number }) {
    super(message, init);
    this.error = init.error;
    this.midStream = init.midStream;
    this.received = init.received ?? (init.midStream ? 1 : 0);
  }
}

/** The stream ended before its `done: true` / `status: "success"` object. `dropped` when the
 * connection broke (reset, server crash) rather than ending cleanly. */
export class IncompleteStreamError extends OllamaError {
  readonly dropped: boolean;
  readonly received: number;
  constructor(message: string, init: { status?: number; url?: string; dropped: boolean; received: number; cause?: unknown }) {
    super(message, init);
    this.dropped = init.dropped;
    this.received = init.received;
  }
  /** True when data objects had arrived before the stream broke off (a partial answer exists). */
  get midStream(): boolean { return this.received > 0; }
}

/** Bytes that do not follow the protocol: a non-JSON line, an over-long line, a non-JSON reply. */
export class ProtocolError extends OllamaError {
  /** The offending text (first 200 characters). */
  readonly raw: string;
  constructor(message: string, init: { status?: number; url?: string; raw: string; cause?: unknown }) {
    super(message, init);
    this.raw = init.raw;
  }
}

/** A whole-body reply (metadata such as /api/tags, /api/show, /v1/models; embeddings; a
 * non-streamed answer) larger than any real server sends for that request: reading stopped at
 * `limitBytes` and the connection was closed, so a hostile or broken server cannot exhaust memory. */
export class ResponseTooLargeError extends OllamaError {
  readonly limitBytes: number;
  constructor(message: string, init: { status?: number; url?: string; limitBytes: number }) {
    super(message, init);
    this.limitBytes = init.limitBytes;
  }
}

/** The proxy between the extension and the server refused to pass the request on: `status` is the
 * proxy's answer (407 Proxy Authentication Required; 403, 502… for a CONNECT it refused). `proxy`
 * is the proxy's host:port (never its credentials); `credentialsSent` says whether the proxy URL
 * carried a user name and password (so a 407 means they were refused, not missing). */
export class ProxyError extends OllamaError {
  declare readonly status: number;
  readonly proxy: string;
  readonly credentialsSent: boolean;
  constructor(message: string, init: { status: number; url?: string; proxy: string; credentialsSent: boolean; cause?: unknown }) {
    super(message, init);
    this.proxy = init.proxy;
    this.credentialsSent = init.credentialsSent;
  }
}

/** No HTTP response at all: connection refused, DNS failure, reset before the status line. */
export class ConnectionError extends OllamaError {
  /** Node/undici error code, e.g. ECONNREFUSED, ENOTFOUND, ECONNRESET. */
  readonly code?: string;
  constructor(message: string, init: { url?: string; code?: string; cause?: unknown }) {
    super(message, init);
    this.code = init.code;
  }
}

export type TimeoutPhase = 'connect' | 'headers' | 'idle';

/** A timeout: `connect` (TCP/TLS), `headers` (no first byte: a model load or queue that takes too
 * long), `idle` (a stream went silent). */
export class TimeoutError extends OllamaError {
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(message: string, init: { url?: string; phase: TimeoutPhase; timeoutMs: number; cause?: unknown }) {
    super(message, init);
    this.phase = init.phase;
    this.timeoutMs = init.timeoutMs;
  }
}

/** The caller aborted (AbortSignal, iterator.abort(), client.abort()), or the server answered 499. */
export class AbortError extends OllamaError {}
