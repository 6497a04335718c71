// The backends behind one factory: `createBackend` is how the extension (and tests, and benches)
// get an LlmBackend for a connection's settings. The interface and its types are in types.ts.
import type { ClientOptions } from '../http/options';
import { OllamaBackend } from './ollamaBackend';
import { OpenAIBackend } from './openaiBackend';
import type { BackendKind, LlmBackend } from './types';

export * from './types';
export { OllamaBackend } from './ollamaBackend';
export { OpenAIBackend } from './openaiBackend';

/** A backend of `kind` for `opts`: Ollama's native API (with `ollama`, the client model management
 * uses) or an OpenAI-compatible /v1. Throws InvalidHostError for a host that cannot be a URL. */
export function createBackend(kind: BackendKind, opts: ClientOptions): LlmBackend {
  return kind === 'openai' ? new OpenAIBackend(opts) : new OllamaBackend(opts);
}
