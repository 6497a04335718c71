// Registers the translate feature. (Stub: the feature is being built.)
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';

export function registerTranslation(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  void ctx;
  void monitor;
}
