// Local model files → server blobs, in constant memory: weights are many GiB, so a file is only
// ever read as a stream of ~1 MiB chunks, once to hash it and once more to upload it (only when
// the server lacks it: `HEAD /api/blobs/:digest` first, as the CLI does).

import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { OllamaClient } from '../ollama/client';
import { throwIfAborted } from '../common/cancel';

export const CHUNK_BYTES = 1024 * 1024;

export interface ReadOptions {
  /** Bytes done so far and the file size. */
  onProgress?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
  /** Read size (default 1 MiB). */
  highWaterMark?: number;
}

export interface FileDigest {
  digest: string;
  size: number;
}

/** `sha256:<hex>` and size of a file, reading it once as a stream. */
export async function hashFile(path: string, o: ReadOptions = {}): Promise<FileDigest> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of fileChunks(path, o)) {
    h.update(chunk);
    size += chunk.length;
  }
  return { digest: 'sha256:' + h.digest('hex'), size };
}

/** The bytes of a file as chunks, for a streamed upload body. Stops reading when the consumer stops. */
export async function* fileChunks(path: string, o: ReadOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  throwIfAborted(o.signal, 'upload');
  const st = await fsp.stat(path);
  if (!st.isFile()) throw new Error(`${path} is not a file`);
  const total = st.size;
  const stream = createReadStream(path, { highWaterMark: o.highWaterMark ?? CHUNK_BYTES, signal: o.signal });
  let done = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      done += chunk.length;
      o.onProgress?.(done, total);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

export interface UploadItem {
  path: string;
  /** Shown in progress; defaults to the path. */
  name?: string;
  /** Known digest: skips hashing. */
  digest?: string;
  /** The size it had when it was reviewed (reviewUploads): a file that changed since is refused. */
  size?: number;
}

export interface UploadProgress {
  /** hashing → checking → uploading → uploaded, or hashing → checking → exists. */
  phase: 'hashing' | 'checking' | 'uploading' | 'uploaded' | 'exists';
  path: string;
  name: string;
  /** 0-based position of this file among `count`. */
  index: number;
  count: number;
  /** Bytes of this file done in this phase, and its size. */
  completed: number;
  total: number;
  digest?: string;
}

export interface UploadOptions {
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
}

export type BlobClient = Pick<OllamaClient, 'hasBlob' | 'uploadBlob'>;

/**
 * Hashes each file (unless its digest is given), asks the server whether it has the blob and
 * uploads it only when it does not. Returns path → digest, ready for finalizeCreateRequest.
 * A path listed twice, or two files with the same content, are sent once.
 */
export async function uploadModelFiles(client: BlobClient, uploads: readonly UploadItem[], o: UploadOptions = {}): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const present = new Set<string>();
  const items = uploads.filter((u, i) => uploads.findIndex((v) => v.path === u.path) === i);
  for (const [index, u] of items.entries()) {
    throwIfAborted(o.signal, 'upload');
    const base = { path: u.path, name: u.name ?? u.path, index, count: items.length };
    const report = (phase: UploadProgress['phase'], completed: number, total: number, digest?: string) =>
      o.onProgress?.({ ...base, phase, completed, total, digest });

    let digest = u.digest;
    let size: number;
    if (digest === undefined) {
      report('hashing', 0, 0);
      const r = await hashFile(u.path, { signal: o.signal, onProgress: (c, t) => report('hashing', c, t) });
      digest = r.digest;
      size = r.size;
    } else {
      size = (await fsp.stat(u.path)).size;
    }
    if (u.size !== undefined && size !== u.size) throw new Error(`${u.path} changed after it was checked (${u.size} → ${size} bytes): run the command again`);
    digests.set(u.path, digest);

    report('checking', 0, size, digest);
    if (present.has(digest) || await client.hasBlob(digest, { signal: o.signal })) {
      present.add(digest);
      report('exists', size, size, digest);
      continue;
    }
    report('uploading', 0, size, digest);
    await client.uploadBlob(digest, fileChunks(u.path, { signal: o.signal }), {
      signal: o.signal,
      onProgress: (sent) => report('uploading', sent, size, digest),
    });
    present.add(digest);
    report('uploaded', size, size, digest);
  }
  return digests;
}
