// A translating "model" for the Ollama test server (pass `reply` to OllamaTestServer.start): it
// answers numbered subtitle batches ("[12] text" lines) line for line, strict batches (a `format`
// schema with `prefixItems`) as the JSON array the schema allows, and prose requests line by line.
// It can misbehave the way local models do with subtitles, in a configurable share of batches:
// - merge: cues k and k+1 come back as one, the later cues shift up by one;
// - drop:  cue k is skipped, the later cues shift up by one;
// - shift: from cue k on, each translation carries the next cue's number.
// In text mode the shifted answer is one line short (the last id is missing) unless `hidden` is
// set: then the tail is padded (the last translation repeated, or split in two) so every id is
// present, as a model under a schema of exactly N items must do. Strict answers always hide it.
// A translation is "〔译〕" + the source + filler of a length that varies with the text (0-35% of
// it), so lengths vary like real translations and every output still names its source.
import { createHash } from 'node:crypto';

export type Misbehaviour = 'merge' | 'drop' | 'shift';

export interface TranslatorOptions {
  /** Share of batch answers (2 cues or more) that misbehave, 0..1 (default 0). */
  share?: number;
  kinds?: readonly Misbehaviour[];
  /** Pad a shifted text answer so every id is present (default false; strict answers always are). */
  hidden?: boolean;
  /** Changes which batches misbehave (default ''). */
  seed?: string;
  /** Called with every prose request's user message. */
  onProse?: (user: string) => void;
}

export interface TranslatorStats {
  batches: number;
  strictBatches: number;
  misbehaved: number;
  byKind: Record<Misbehaviour, number>;
  prose: number;
}

interface ChatBody { messages?: Array<{ role: string; content: string }>; format?: unknown }

function hash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/** The fake translation of one cue or line: names its source, with a length that varies. */
export function fakeTranslation(text: string): string {
  if (!text.trim()) return text;
  const filler = Math.round([...text].length * 0.35 * hash('len:' + text));
  return `〔译〕${text}${'～'.repeat(filler)}`;
}

export class TranslatorModel {
  readonly stats: TranslatorStats = { batches: 0, strictBatches: 0, misbehaved: 0, byKind: { merge: 0, drop: 0, shift: 0 }, prose: 0 };

  constructor(public opts: TranslatorOptions = {}) {}

  /** The `reply` function for OllamaTestServer. */
  readonly reply = (req: { path: string; body: unknown }): string => {
    const body = (req.body ?? {}) as ChatBody;
    const messages = body.messages ?? [];
    const system = messages.find((m) => m.role === 'system')?.content ?? '';
    const user = messages.find((m) => m.role === 'user')?.content ?? '';
    if (/subtitle translator/.test(system)) return this.batch(user, body.format);
    this.stats.prose++;
    this.opts.onProse?.(user);
    return user.split('\n').map((l) => (l.trim() ? `〔译〕${l}` : l)).join('\n');
  };

  private batch(user: string, format: unknown): string {
    const at = user.indexOf('Translate these');
    const items = [...user.slice(at < 0 ? 0 : at).matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => ({ id: Number(m[1]), text: m[2]! }));
    const strict = !!format && typeof format === 'object' && Array.isArray((format as { prefixItems?: unknown }).prefixItems);
    this.stats.batches++;
    if (strict) this.stats.strictBatches++;
    const n = items.length;
    let slots: Array<{ id: number; text: string }> = items.map((it) => ({ id: it.id, text: fakeTranslation(it.text) }));
    const share = this.opts.share ?? 0;
    const seed = this.opts.seed ?? '';
    if (n >= 2 && share > 0 && hash(`${seed}|${user}`) < share) {
      const kinds = this.opts.kinds?.length ? this.opts.kinds : ['merge', 'drop', 'shift'] as const;
      const kind = kinds[Math.floor(hash(`kind|${seed}|${user}`) * kinds.length)]!;
      const k = Math.floor(hash(`at|${seed}|${user}`) * (n - 1));
      this.stats.misbehaved++;
      this.stats.byKind[kind]++;
      const tr = (j: number): string => fakeTranslation(items[j]!.text);
      const hidden = strict || this.opts.hidden === true;
      if (kind === 'shift' && !hidden) {
        // Numbers run one ahead from k on: id k missing, one id past the end.
        slots = items.map((it, j) => ({ id: j < k ? it.id : it.id + 1, text: tr(j) }));
      } else {
        // merge (k and k+1 as one) or drop (k skipped); shift hidden under complete ids is a drop.
        const texts: string[] = [];
        for (let j = 0; j < k; j++) texts.push(tr(j));
        if (kind === 'merge') texts.push(fakeTranslation(`${items[k]!.text} ${items[k + 1]!.text}`));
        else texts.push(tr(k + 1));
        for (let j = k + 2; j < n; j++) texts.push(tr(j));
        if (hidden) {
          const last = texts[texts.length - 1]!;
          if (hash(`pad|${seed}|${user}`) < 0.5) texts.push(last);
          else { const cut = Math.max(1, Math.floor(last.length / 2)); texts.splice(texts.length - 1, 1, last.slice(0, cut), last.slice(cut)); }
        }
        slots = texts.map((t, j) => ({ id: items[j]!.id, text: t }));
      }
    }
    if (strict) return JSON.stringify(slots.map((s) => ({ i: s.id, t: s.text.replace(/ ⏎ /g, '\n') })));
    return slots.map((s) => `[${s.id}] ${s.text}`).join('\n');
  }
}

/** Whether `output` (a translated cue's text) came from `source`: the fake translation names it. */
export function translatedFrom(output: string, source: string): boolean {
  const norm = (t: string): string => t.replace(/〔译〕|～/g, '').replace(/\s+/g, ' ').trim();
  return norm(output) === norm(source);
}
