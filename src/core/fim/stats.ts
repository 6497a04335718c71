// One log line per completion: time to first token (measured here: the server does not report it),
// total time, and the server's own tokens/s, so a slow model, a reload or a cold start is visible.
import type { GenerationStats } from '../llm/backend';

export interface LatencySample {
  firstTokenMs?: number;
  totalMs?: number;
}

/** Measures one request on an injectable clock. */
export class LatencyTimer {
  private readonly t0: number;
  private first: number | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.t0 = now();
  }

  /** Call on every chunk; only the first counts. */
  token(): void {
    if (this.first === undefined) this.first = this.now();
  }

  sample(): LatencySample {
    const end = this.now();
    return { ...(this.first !== undefined ? { firstTokenMs: this.first - this.t0 } : {}), totalMs: end - this.t0 };
  }
}

/** e.g. `qwen2.5-coder:1.5b-base: first token 120 ms, total 480 ms, 35.2 tok/s, 24 tokens, prompt 812 tokens` */
export function formatLatency(model: string, stats: GenerationStats | undefined, sample: LatencySample = {}, note?: string): string {
  const parts: string[] = [];
  if (sample.firstTokenMs !== undefined) parts.push(`first token ${ms(sample.firstTokenMs)}`);
  const total = sample.totalMs ?? stats?.totalMs;
  if (total !== undefined) parts.push(`total ${ms(total)}`);
  let tps = stats?.tokensPerSecond;
  if (tps === undefined && stats?.outputTokens && sample.firstTokenMs !== undefined && total !== undefined && total > sample.firstTokenMs) {
    tps = stats.outputTokens / ((total - sample.firstTokenMs) / 1000);
  }
  if (tps !== undefined && Number.isFinite(tps)) parts.push(`${tps.toFixed(1)} tok/s`);
  if (stats) parts.push(`${stats.outputTokens} tokens`, `prompt ${stats.promptTokens} tokens`);
  if (stats?.loadMs !== undefined && stats.loadMs >= 1) parts.push(`load ${ms(stats.loadMs)}`);
  return `${model}: ${parts.length ? parts.join(', ') : 'no timing'}${note ? ` (${note})` : ''}`;
}

function ms(v: number): string {
  return `${Math.round(v)} ms`;
}
