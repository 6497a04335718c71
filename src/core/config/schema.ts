// The settings' schema as package.json declares it (type, default, minimum, maximum, enum), read
// from the manifest so that the defaults and ranges live in one place, and the rules that turn a
// value from settings.json (which VS Code does not validate) into one the code can use.

/** One property of `contributes.configuration`. */
export interface SettingSchema {
  type?: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
}

export type SettingsSchema = Readonly<Record<string, SettingSchema>>;

/** The properties of a manifest's `contributes.configuration` (one object or an array of them),
 * by full key. Anything malformed is left out. */
export function settingsSchema(manifest: unknown): SettingsSchema {
  const c = (manifest as { contributes?: { configuration?: unknown } } | undefined)?.contributes?.configuration;
  const parts = Array.isArray(c) ? c : c ? [c] : [];
  const out: Record<string, SettingSchema> = {};
  for (const p of parts) {
    const props = (p as { properties?: unknown } | null)?.properties;
    if (props && typeof props === 'object') Object.assign(out, props);
  }
  return out;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A whole number (floored) within the schema's [minimum, maximum]; the schema's default for
 * anything that is not a finite number. */
export function wholeNumber(s: SettingSchema, v: unknown): number {
  const dflt = isFiniteNumber(s.default) ? s.default : 0;
  if (!isFiniteNumber(v)) return dflt;
  return Math.min(s.maximum ?? Infinity, Math.max(s.minimum ?? -Infinity, Math.floor(v)));
}

/** A duration in seconds (fractions kept) within the schema's [minimum, maximum], so the code
 * accepts exactly what package.json allows (`timeouts.connectSeconds`: 1-600, no "0 = no limit",
 * since a connection that never times out only waits for the OS's own, minutes later;
 * `firstByteSeconds` / `idleSeconds`: 0 = no limit). The schema's default for anything that is not a
 * finite number. */
export function seconds(s: SettingSchema, v: unknown): number {
  const dflt = isFiniteNumber(s.default) ? s.default : 0;
  if (!isFiniteNumber(v)) return dflt;
  return Math.min(s.maximum ?? Infinity, Math.max(s.minimum ?? 0, v));
}

/** A string, trimmed; the default (trimmed) for anything else. An empty value stays empty. */
export function text(s: SettingSchema, v: unknown): string {
  if (typeof v === 'string') return v.trim();
  return typeof s.default === 'string' ? s.default.trim() : '';
}

/** A string that is not empty once trimmed; else the schema's default. */
export function nonEmptyText(s: SettingSchema, v: unknown): string {
  const t = typeof v === 'string' ? v.trim() : '';
  return t || (typeof s.default === 'string' ? s.default.trim() : '');
}

/** One of the schema's enum values; else its default. */
export function oneOf<T extends string>(s: SettingSchema, v: unknown): T {
  return ((s.enum ?? []).includes(v) ? v : s.default) as T;
}

/** A plain object; else the default (or {}). */
export function record(s: SettingSchema, v: unknown): Record<string, unknown> {
  const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  return isRecord(v) ? v : isRecord(s.default) ? s.default : {};
}
