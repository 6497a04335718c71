// "Diagnose": every reason a feature can do nothing, checked in one go against the server the
// features use (issue 16 §2). What the server is (Ollama and its version, or an OpenAI-compatible
// server), whether the token is accepted, whether each feature's model is installed, whether the
// completion model can fill in the middle and how it would be asked, context sizes (the model's
// maximum against the num_ctx sent), thinking support, what is loaded now and its memory, and a real
// one-token request per feature with its latency. Pure: the editor adapter (src/vscode/diagnose.ts)
// puts the findings into words in the user's language and redacts secrets (redactSecrets).
import { isCancel } from '../common/cancel';
import { decideFim, type FimSupport } from '../fim/capabilities';
import { buildFimRequest } from '../fim/request';
import { showInfoOf } from '../fim/engine';
import { ModelNotFoundError, OllamaError } from '../http/errors';
import type { ModelFacts } from '../llm/facts';
import type { LlmBackend, ServerProbe, StreamChunk } from '../llm/types';
import { sameModel } from '../models/format';
import type { KeepAlive } from '../ollama/types';

export type DiagnosedFeature = 'chat' | 'completion' | 'translation' | 'embeddings';

export interface DiagnoseInput {
  backend: LlmBackend;
  /** Each feature's model ('' when the setting is empty: that feature is reported as off). */
  features: ReadonlyArray<{ feature: DiagnosedFeature; model: string }>;
  /** The num_ctx every request sends (ollamaAssistant.options), when set. */
  numCtx?: number;
  keepAlive?: KeepAlive;
  /** True when an API token is stored (its value never reaches this module). */
  hasToken: boolean;
  /** Aborts everything (the user cancelled the progress notification). */
  signal?: AbortSignal;
  /** Milliseconds on a monotonic clock (default performance.now). */
  now?: () => number;
}

/** A request's outcome: its latency in ms, or the error it ended with. */
export type Timed<T> = { ok: true; ms: number; value: T } | { ok: false; ms: number; error: unknown };

export interface LoadedModel {
  name: string;
  /** Bytes in memory, and of those in GPU memory. */
  sizeBytes: number;
  vramBytes: number;
  /** The context the model was loaded with (newer servers). */
  contextLength?: number;
  /** When the server unloads it (ISO 8601). */
  expiresAt?: string;
}

export interface FeatureFinding {
  feature: DiagnosedFeature;
  model: string;
  /** True/false from the server's list or /api/show; undefined when neither could tell. */
  installed?: boolean;
  facts?: ModelFacts;
  /** The completion model only: how fill-in-the-middle would be asked, or why it cannot be. */
  fim?: FimSupport;
  /** The model's own maximum context (tokens), when the server says. */
  contextLength?: number;
  /** Whether the model reasons (`thinking` capability) and the levels it accepts. */
  thinking?: { supported: boolean; values?: Array<boolean | string> };
  /** The one-token request: its latency and first text, or why it failed; undefined when skipped. */
  request?: Timed<{ text: string; firstTokenMs?: number }>;
  /** Why the request was skipped. */
  skipped?: 'no-model' | 'not-installed' | 'no-fim' | 'unsupported-backend' | 'unreachable';
}

export interface Diagnosis {
  /** The probe: what the server is and its models, or why it did not answer. */
  endpoint: Timed<ServerProbe>;
  /** The token: accepted (the probe went through with it; Ollama itself does not check tokens, a
   * proxy in front may), refused (401/403), unknown (the server did not answer), or none set. */
  token: 'none' | 'accepted' | 'refused' | 'unknown';
  features: FeatureFinding[];
  /** Ollama's /api/ps; undefined for an OpenAI-compatible server or an unreachable one. */
  loaded?: Timed<LoadedModel[]>;
  numCtx?: number;
}

/** A prompt every code model can continue with one token. */
const FIM_PREFIX = 'def add(a, b):\n    return ';
const FIM_SUFFIX = '\n\nprint(add(1, 2))\n';

const authRefused = (e: unknown): boolean => e instanceof OllamaError && (e.status === 401 || e.status === 403);

/**
 * Runs every check. Never rejects for a failing check (each finding carries its own error); rejects
 * only when `signal` aborts. Requests run one after another so the latencies do not include each
 * other's load.
 */
export async function diagnose(input: DiagnoseInput): Promise<Diagnosis> {
  const now = input.now ?? (() => performance.now());
  const signal = input.signal;
  const o = signal ? { signal } : {};
  const timed = async <T>(f: () => Promise<T>): Promise<Timed<T>> => {
    const t0 = now();
    try {
      const value = await f();
      return { ok: true, ms: now() - t0, value };
    } catch (e) {
      if (isCancel(e, signal)) throw e;
      return { ok: false, ms: now() - t0, error: e };
    }
  };

  const endpoint = await timed(() => input.backend.probe(o));
  const token: Diagnosis['token'] = !input.hasToken ? 'none'
    : endpoint.ok ? 'accepted' : authRefused(endpoint.error) ? 'refused' : 'unknown';
  const diagnosis: Diagnosis = { endpoint, token, features: [], ...(input.numCtx !== undefined ? { numCtx: input.numCtx } : {}) };
  if (!endpoint.ok) {
    diagnosis.features = input.features.map((f) => ({ feature: f.feature, model: f.model, skipped: f.model ? 'unreachable' : 'no-model' }));
    return diagnosis;
  }
  const models = endpoint.value.models;

  for (const f of input.features) {
    const finding: FeatureFinding = { feature: f.feature, model: f.model };
    diagnosis.features.push(finding);
    if (!f.model) { finding.skipped = 'no-model'; continue; }
    const listed = models.some((m) => sameModel(m.name, f.model));
    const facts = await timed(() => input.backend.modelFacts(f.model, o));
    if (facts.ok) {
      if (facts.value) {
        finding.facts = facts.value;
        finding.installed = true;
      } else if (models.length) {
        finding.installed = listed;
      }
    } else {
      finding.installed = facts.error instanceof ModelNotFoundError ? false : listed || undefined;
    }
    const fx = finding.facts;
    if (fx?.contextLength !== undefined) finding.contextLength = fx.contextLength;
    if (fx?.capabilities) {
      finding.thinking = { supported: fx.capabilities.includes('thinking'), ...(fx.thinking?.values ? { values: fx.thinking.values } : {}) };
    }
    if (finding.installed === false) { finding.skipped = 'not-installed'; continue; }
    const options = { numPredict: 1, ...(input.numCtx !== undefined ? { numCtx: input.numCtx } : {}) };
    const keep = input.keepAlive !== undefined ? { keepAlive: input.keepAlive } : {};

    if (f.feature === 'completion') {
      finding.fim = decideFim(f.model, showInfoOf(fx));
      const req = buildFimRequest(f.model, showInfoOf(fx), FIM_PREFIX, FIM_SUFFIX, { numPredict: 1, ...(input.numCtx !== undefined ? { numCtx: input.numCtx } : {}), ...keep });
      if (req.kind !== 'ok') { finding.skipped = 'no-fim'; continue; }
      finding.request = await firstText(now, () => input.backend.complete(req.params, o), signal);
    } else if (f.feature === 'embeddings') {
      const ollama = input.backend.ollama;
      if (!ollama) { finding.skipped = 'unsupported-backend'; continue; }
      finding.request = await timed(async () => {
        const r = await ollama.embed({ model: f.model, input: 'ok', ...(input.keepAlive !== undefined ? { keep_alive: input.keepAlive } : {}) }, o);
        return { text: `${r.embeddings[0]?.length ?? 0} dimensions` };
      });
    } else {
      finding.request = await firstText(now, () => input.backend.chat({ model: f.model, messages: [{ role: 'user', content: 'Reply with OK.' }], options, think: false, ...keep }, o), signal);
    }
    if (finding.request && !finding.request.ok && finding.request.error instanceof ModelNotFoundError) finding.installed = false;
  }

  const ollama = input.backend.ollama;
  if (ollama) {
    diagnosis.loaded = await timed(async () => (await ollama.ps(o)).models.map((m): LoadedModel => ({
      name: m.name, sizeBytes: m.size, vramBytes: m.size_vram,
      ...(m.context_length !== undefined ? { contextLength: m.context_length } : {}),
      ...(m.expires_at ? { expiresAt: m.expires_at } : {}),
    })));
  }
  return diagnosis;
}

/** A one-token streamed request: its total latency, when the first chunk came, and its text. */
async function firstText(now: () => number, start: () => Promise<AsyncIterable<StreamChunk>>, signal?: AbortSignal): Promise<Timed<{ text: string; firstTokenMs?: number }>> {
  const t0 = now();
  let first: number | undefined;
  let text = '';
  try {
    for await (const c of await start()) {
      if (first === undefined && (c.text || c.thinking)) first = now() - t0;
      text += c.text;
      if (c.done) break;
    }
    return { ok: true, ms: now() - t0, value: { text, ...(first !== undefined ? { firstTokenMs: first } : {}) } };
  } catch (e) {
    if (isCancel(e, signal)) throw e;
    return { ok: false, ms: now() - t0, error: e };
  }
}

/**
 * `text` with every secret replaced by `<redacted>`: the given values (the API token, header values)
 * wherever they appear, and the user-info part of any URL (`scheme://user:password@host`). Values
 * shorter than 4 characters are not searched for (they would redact ordinary words).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1<redacted>@');
  for (const s of [...secrets].filter((x) => x && x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join('<redacted>');
  return out;
}
