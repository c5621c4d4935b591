/**
 * In-process notice that the registry changed (an alias moved, a version was deleted), so a server
 * that keeps models in memory re-resolves at once instead of after its cache lifetime. Replicas in
 * other processes see the change when their short resolution cache expires.
 */
export interface RegistryChange {
  name: string;
  kind: "version-registered" | "version-deleted" | "alias-set" | "alias-removed";
}
type Listener = (change: RegistryChange) => void;

// On globalThis: a bundler may give each route its own copy of this module.
const g = globalThis as { __fmnistRegistryListeners?: Set<Listener> };
g.__fmnistRegistryListeners ??= new Set<Listener>();
const listeners = g.__fmnistRegistryListeners;

export function onRegistryChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function registryChanged(change: RegistryChange): void {
  for (const listener of listeners) listener(change);
}
