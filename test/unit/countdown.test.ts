// The Models view's countdown to a model's unload, and when /api/ps answers differ.
import * as assert from 'assert';
import { formatCountdown, hasCountdown, runningChanged } from '../../src/core/models/countdown';
import type { RunningModel } from '../../src/core/ollama/types';

const T0 = Date.parse('2026-05-01T12:00:00Z');

function running(name: string, expiresAt: string, extra: Partial<RunningModel> = {}): RunningModel {
  return { name, model: name, size: 2e9, size_vram: 2e9, digest: 'd', details: {}, expires_at: expiresAt, ...extra } as RunningModel;
}

describe('model unload countdown', () => {
  it('formats m:ss below an hour and h:mm:ss below a day, rounding up to the second', () => {
    const cases: Array<[number, string | undefined]> = [
      [30 * 60_000, '30:00'],
      [30 * 60_000 - 1, '30:00'],
      [30 * 60_000 - 1000, '29:59'],
      [5 * 60_000 + 7_000, '5:07'],
      [59_000, '0:59'],
      [1, '0:01'],
      [0, '0:00'],
      [-5_000, '0:00'],
      [3600_000, '1:00:00'],
      [3600_000 + 62_000, '1:01:02'],
      [24 * 3600_000 - 1000, '23:59:59'],
      [24 * 3600_000, undefined],
      [30 * 24 * 3600_000, undefined],
    ];
    for (const [left, want] of cases) assert.strictEqual(formatCountdown(T0 + left, T0), want, `left ${left} ms`);
    assert.strictEqual(formatCountdown(NaN, T0), undefined);
  });

  it('counts down: a second later the clock reads one second less', () => {
    const target = T0 + 4 * 60_000 + 32_000;
    assert.strictEqual(formatCountdown(target, T0), '4:32');
    assert.strictEqual(formatCountdown(target, T0 + 1000), '4:31');
    assert.strictEqual(formatCountdown(target, T0 + 60_000), '3:32');
  });

  it('a model has a countdown only when it unloads within a day (not forever, not unknown)', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.strictEqual(hasCountdown([running('a', iso(T0 + 60_000))], T0), true);
    assert.strictEqual(hasCountdown([running('a', iso(T0 + 2 * 86400_000))], T0), false);
    // keep_alive -1: the server reports a time ~292 years ahead.
    assert.strictEqual(hasCountdown([running('a', '2318-08-23T16:00:00Z')], T0), false);
    assert.strictEqual(hasCountdown([running('a', '0001-01-01T00:00:00Z')], T0), false);
    assert.strictEqual(hasCountdown([], T0), false);
  });

  it('two /api/ps answers differ when a model appears, goes, moves to CPU, or its expiry restarts', () => {
    const a = [running('llama3.2:latest', '2026-05-01T12:30:00Z'), running('qwen:1b', '2026-05-01T12:05:00Z')];
    assert.strictEqual(runningChanged(a, [...a].reverse()), false, 'order does not matter');
    assert.strictEqual(runningChanged(a, a.slice(0, 1)), true);
    assert.strictEqual(runningChanged([], a), true);
    assert.strictEqual(runningChanged(a, [a[0], running('qwen:1b', '2026-05-01T12:06:00Z')]), true);
    assert.strictEqual(runningChanged(a, [a[0], running('qwen:1b', '2026-05-01T12:05:00Z', { size_vram: 0 })]), true);
  });
});
