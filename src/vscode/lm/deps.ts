// What VS Code's own AI features (provider, participant, tools) share with the rest of the extension:
// the one client and its settings, the connection status, the chat's models (their facts, the
// reasoning choice per model) and its token calibration, and one translation cache.
import type { TokenCalibration } from '../../core/llm/tokens';
import type { TranslationCache } from '../../core/translate';
import type { ChatModels } from '../chat/models';
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';

export interface NativeAiDeps {
  ctx: ExtensionContextOwner;
  monitor: ConnectionMonitor;
  /** The chat's models: `facts` (/api/show, cached per connection) and `thinkChoice`. */
  chatModels: ChatModels;
  /** The chat's per-model calibration of token estimates (so counts agree with the chat's). */
  calibration: TokenCalibration;
  /** Translations made by @ollama /translate and the translate tool. */
  translationCache: TranslationCache;
}
