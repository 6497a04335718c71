// The cross-cutting helpers every layer shares: what counts as a cancel, the AbortError a cancel
// surfaces as, and the image rules (types, sizes, how many wait to be sent).
import * as assert from 'assert';
import { abortError, isCancel, raceAbort, throwIfAborted } from '../../src/core/common/cancel';
import {
  IMAGE_DATA_URL, imageDataUrl, imageProblem, isSupportedImageMime, MAX_IMAGE_BASE64_CHARS, MAX_IMAGE_BYTES, MAX_PENDING_IMAGE_CHARS,
  MAX_PENDING_IMAGES, roomForImage, sniffImageMime,
} from '../../src/core/common/images';
import { AbortError, ConnectionError, TimeoutError } from '../../src/core/http/errors';

describe('cancellation (core/common/cancel)', () => {
  it('isCancel: the AbortError, any error named AbortError, or anything once the signal aborted; never a failure', () => {
    assert.strictEqual(isCancel(new AbortError('x')), true);
    assert.strictEqual(isCancel(new DOMException('aborted', 'AbortError')), true);
    assert.strictEqual(isCancel(Object.assign(new Error('Request aborted'), { name: 'AbortError' })), true);
    assert.strictEqual(isCancel(new ConnectionError('refused', { code: 'ECONNREFUSED' })), false);
    assert.strictEqual(isCancel(new TimeoutError('t', { phase: 'idle', timeoutMs: 1 })), false);
    assert.strictEqual(isCancel('AbortError'), false);
    assert.strictEqual(isCancel(undefined), false);
    assert.strictEqual(isCancel(new Error('late failure'), AbortSignal.abort()), true);
  });

  it('abortError keeps an AbortError reason, else wraps the reason as its cause', () => {
    const mine = new AbortError('Translation cancelled');
    const ac = new AbortController();
    ac.abort(mine);
    assert.strictEqual(abortError(ac.signal), mine);
    const e = abortError(AbortSignal.abort(), 'completion');
    assert.ok(e instanceof AbortError);
    assert.strictEqual(e.message, 'completion cancelled');
    assert.strictEqual((e.cause as Error).name, 'AbortError');
    assert.throws(() => throwIfAborted(AbortSignal.abort(), 'upload'), (x: unknown) => x instanceof AbortError && x.message === 'upload cancelled');
    assert.doesNotThrow(() => throwIfAborted(new AbortController().signal));
  });

  it('raceAbort rejects the waiter at the abort while the promise keeps running', async () => {
    let resolve!: (v: number) => void;
    const p = new Promise<number>((r) => { resolve = r; });
    const ac = new AbortController();
    const w = raceAbort(p, ac.signal, 'lookup');
    ac.abort();
    await assert.rejects(w, (e: unknown) => e instanceof AbortError && e.message === 'lookup cancelled');
    resolve(7);
    assert.strictEqual(await p, 7);
    assert.strictEqual(await raceAbort(Promise.resolve(3), undefined), 3);
  });
});

describe('image rules (core/common/images)', () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

  it('the four types, told by the data\'s own first bytes', () => {
    for (const m of ['image/png', 'image/jpeg', 'image/webp', 'image/gif']) assert.ok(isSupportedImageMime(m), m);
    for (const m of ['image/svg+xml', 'image/bmp', 'text/html', '']) assert.ok(!isSupportedImageMime(m), m);
    assert.strictEqual(sniffImageMime('R0lGODlh'), 'image/gif');
    assert.strictEqual(sniffImageMime('UklGRiQA'), 'image/webp');
    assert.strictEqual(imageProblem('image/png', png), undefined);
    assert.strictEqual(imageProblem('image/svg+xml', png), 'unsupported');
    assert.strictEqual(imageProblem('image/png', 'PHN2Zz4='), 'unsupported', 'an SVG claiming to be a PNG');
    assert.strictEqual(imageProblem('image/png', 'iVBOR' + 'A'.repeat(MAX_IMAGE_BASE64_CHARS)), 'tooLarge');
    assert.strictEqual(imageProblem('image/png', 'iVBOR$$$'), 'unreadable');
  });

  it('20 MiB per image; at most 10 images and 50 MB of base64 waiting', () => {
    assert.strictEqual(MAX_IMAGE_BYTES, 20 * 1024 * 1024);
    assert.strictEqual(MAX_IMAGE_BASE64_CHARS, Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4);
    assert.ok(roomForImage([], 100));
    assert.ok(!roomForImage(new Array<number>(MAX_PENDING_IMAGES).fill(1), 1));
    assert.ok(roomForImage([MAX_PENDING_IMAGE_CHARS - 10], 10));
    assert.ok(!roomForImage([MAX_PENDING_IMAGE_CHARS - 10], 11));
  });

  it('data URLs the extension makes are the ones the webview shows', () => {
    assert.ok(IMAGE_DATA_URL.test(imageDataUrl('image/png', png)));
    assert.ok(!IMAGE_DATA_URL.test(imageDataUrl('image/svg+xml', 'PHN2Zz4=')));
    assert.ok(!IMAGE_DATA_URL.test('data:text/html;base64,PHNjcmlwdD4='));
  });
});
