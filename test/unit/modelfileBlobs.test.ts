import * as assert from 'assert';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { fileChunks, hashFile, uploadModelFiles, type BlobClient, type UploadProgress } from '../../src/core/modelfile';

const MiB = 1024 * 1024;
const SIZE = 48 * MiB + 12345;

/** A collector for honest peak measurements; mocha runs without --expose-gc. */
function getGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

interface Peak { arrayBuffers: number; rss: number }

/** Runs fn with memory sampled at every call of the returned probe (after a collection). */
async function measure(fn: (probe: () => void) => Promise<void>): Promise<Peak> {
  const gc = getGc();
  gc();
  const base = process.memoryUsage();
  const peak: Peak = { arrayBuffers: 0, rss: 0 };
  const probe = () => {
    gc();
    const m = process.memoryUsage();
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers - base.arrayBuffers);
    peak.rss = Math.max(peak.rss, m.rss - base.rss);
  };
  await fn(probe);
  probe();
  return peak;
}

describe('modelfile blobs', function () {
  this.timeout(60_000);
  let tmp: string;
  let big: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelfile-blobs-'));
    big = path.join(tmp, 'big.gguf');
    const fd = fs.openSync(big, 'w');
    const block = randomBytes(MiB);
    for (let written = 0, i = 0; written < SIZE; i++) {
      const n = Math.min(MiB, SIZE - written);
      block[0] = i & 0xff; // no two MiB alike
      fs.writeSync(fd, block, 0, n);
      written += n;
    }
    fs.closeSync(fd);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`hashFile streams a ${(SIZE / MiB).toFixed(1)} MiB file: digest equals crypto on the whole, memory stays flat`, async () => {
    let result = { digest: '', size: 0 };
    const progress: number[] = [];
    const peak = await measure(async (probe) => {
      result = await hashFile(big, { onProgress: (done, total) => { assert.strictEqual(total, SIZE); progress.push(done); if (progress.length % 4 === 0) probe(); } });
    });
    const expected = 'sha256:' + createHash('sha256').update(fs.readFileSync(big)).digest('hex');
    assert.strictEqual(result.digest, expected);
    assert.strictEqual(result.size, SIZE);
    assert.strictEqual(progress.at(-1), SIZE);
    assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]), 'progress grows');
    assert.ok(progress.length >= 48, 'read in ~1 MiB chunks');
    console.log(`      peak growth while hashing ${(SIZE / MiB).toFixed(0)} MiB: arrayBuffers ${(peak.arrayBuffers / MiB).toFixed(1)} MiB, rss ${(peak.rss / MiB).toFixed(1)} MiB`);
    assert.ok(peak.arrayBuffers < 16 * MiB, `arrayBuffers grew ${peak.arrayBuffers} bytes`);
    assert.ok(peak.rss < 24 * MiB, `rss grew ${peak.rss} bytes`);
  });

  it('fileChunks yields ≤ 1 MiB pieces that add up to the file, in constant memory', async () => {
    const h = createHash('sha256');
    let total = 0;
    let largest = 0;
    const peak = await measure(async (probe) => {
      let n = 0;
      for await (const c of fileChunks(big)) {
        h.update(c);
        total += c.length;
        largest = Math.max(largest, c.length);
        if (++n % 4 === 0) probe();
      }
    });
    assert.strictEqual(total, SIZE);
    assert.ok(largest <= MiB);
    assert.strictEqual('sha256:' + h.digest('hex'), (await hashFile(big)).digest);
    assert.ok(peak.arrayBuffers < 16 * MiB, `arrayBuffers grew ${peak.arrayBuffers} bytes`);
  });

  it('a consumer that stops early closes the file', async () => {
    let seen = 0;
    for await (const c of fileChunks(big)) { seen += c.length; break; }
    assert.strictEqual(seen, MiB);
  });

  it('hashFile can be cancelled', async () => {
    const ac = new AbortController();
    await assert.rejects(
      hashFile(big, { signal: ac.signal, onProgress: (done) => { if (done >= 4 * MiB) ac.abort(); } }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
    await assert.rejects(hashFile(big, { signal: AbortSignal.abort() }), (e: unknown) => (e as Error).name === 'AbortError');
  });

  it('hashFile of a missing file rejects with ENOENT', async () => {
    await assert.rejects(hashFile(path.join(tmp, 'nope.gguf')), /ENOENT/);
  });

  describe('uploadModelFiles', () => {
    let a: string;
    let b: string;
    let same: string;
    const sha = (p: string) => 'sha256:' + createHash('sha256').update(fs.readFileSync(p)).digest('hex');

    before(() => {
      a = path.join(tmp, 'a.gguf');
      b = path.join(tmp, 'b.gguf');
      same = path.join(tmp, 'copy-of-b.gguf');
      fs.writeFileSync(a, 'weights A');
      fs.writeFileSync(b, randomBytes(3 * MiB + 7));
      fs.copyFileSync(b, same);
    });

    function fakeClient(existing: string[]) {
      const calls: Array<{ method: 'HEAD' | 'POST'; digest: string; bytes?: number; sha?: string }> = [];
      const client: BlobClient = {
        async hasBlob(digest) {
          calls.push({ method: 'HEAD', digest });
          return existing.includes(digest);
        },
        async uploadBlob(digest, data, o = {}) {
          const h = createHash('sha256');
          let bytes = 0;
          for await (const c of data as AsyncIterable<Uint8Array>) { h.update(c); bytes += c.length; o.onProgress?.(bytes); }
          calls.push({ method: 'POST', digest, bytes, sha: 'sha256:' + h.digest('hex') });
        },
      };
      return { client, calls };
    }

    it('skips blobs the server has: HEAD each, POST only the missing ones with their exact bytes', async () => {
      const { client, calls } = fakeClient([sha(a)]);
      const events: UploadProgress[] = [];
      const digests = await uploadModelFiles(client, [{ path: a, name: 'a.gguf' }, { path: b, name: 'b.gguf' }], { onProgress: (p) => events.push(p) });
      assert.deepStrictEqual(calls, [
        { method: 'HEAD', digest: sha(a) },
        { method: 'HEAD', digest: sha(b) },
        { method: 'POST', digest: sha(b), bytes: 3 * MiB + 7, sha: sha(b) },
      ]);
      assert.deepStrictEqual([...digests], [[a, sha(a)], [b, sha(b)]]);
      const phases = (name: string) => [...new Set(events.filter((e) => e.name === name).map((e) => e.phase))];
      assert.deepStrictEqual(phases('a.gguf'), ['hashing', 'checking', 'exists']);
      assert.deepStrictEqual(phases('b.gguf'), ['hashing', 'checking', 'uploading', 'uploaded']);
      const up = events.filter((e) => e.phase === 'uploading');
      assert.strictEqual(up.at(-1)?.completed, 3 * MiB + 7);
      assert.ok(events.every((e) => e.count === 2));
    });

    it('uses a given digest without hashing, and sends identical content once', async () => {
      const { client, calls } = fakeClient([]);
      const events: UploadProgress[] = [];
      const digests = await uploadModelFiles(client, [{ path: b, digest: sha(b) }, { path: same }, { path: b }], { onProgress: (p) => events.push(p) });
      assert.deepStrictEqual(calls.map((c) => c.method), ['HEAD', 'POST']);
      assert.strictEqual(digests.size, 2);
      assert.strictEqual(digests.get(same), sha(b));
      assert.ok(!events.some((e) => e.path === b && e.phase === 'hashing'));
    });

    it('stops when cancelled', async () => {
      const { client, calls } = fakeClient([]);
      await assert.rejects(uploadModelFiles(client, [{ path: a }], { signal: AbortSignal.abort() }), (e: unknown) => (e as Error).name === 'AbortError');
      assert.deepStrictEqual(calls, []);
    });
  });
});
