// Registers the chat feature. (Stub: the feature is being built.)
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';

export function registerChat(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  void ctx;
  void monitor;
}
