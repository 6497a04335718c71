// Registers the completion feature. (Stub: the feature is being built.)
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';

export function registerCompletion(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  void ctx;
  void monitor;
}
