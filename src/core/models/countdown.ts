// The time a loaded model has left before Ollama unloads it, as a countdown clock for the Models
// view ("29:59", "1:02:03"), and the rules for when the view must look at /api/ps again.
import { expiryOf } from './format';
import type { RunningModel } from '../ollama/types';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Time left until `targetMs` (epoch ms) as `m:ss` below an hour and `h:mm:ss` below a day, rounded
 * up to the whole second (so it reads 0:00 only once the time has come); undefined a day or more
 * ahead, where a clock is not useful (callers show a relative date instead).
 */
export function formatCountdown(targetMs: number, nowMs: number): string | undefined {
  if (!Number.isFinite(targetMs) || !Number.isFinite(nowMs)) return undefined;
  const left = targetMs - nowMs;
  if (left >= DAY_MS) return undefined;
  const total = Math.max(0, Math.ceil(left / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** True when some loaded model shows a countdown clock (it unloads within a day). */
export function hasCountdown(running: readonly RunningModel[], nowMs: number): boolean {
  return running.some((r) => {
    const x = expiryOf(r.expires_at, nowMs);
    return x.kind === 'at' && x.ms - nowMs < DAY_MS;
  });
}

/** Whether two /api/ps answers differ in what the Running section shows (names, memory, expiry). */
export function runningChanged(a: readonly RunningModel[], b: readonly RunningModel[]): boolean {
  if (a.length !== b.length) return true;
  const key = (r: RunningModel) => `${r.name}\u0000${r.size}\u0000${r.size_vram}\u0000${r.expires_at ?? ''}\u0000${r.context_length ?? ''}`;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.some((k, i) => k !== kb[i]);
}
