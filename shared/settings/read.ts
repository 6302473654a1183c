import type { EffectiveSettingsRead, Level, SettingsLevelRead } from './schema';
import {
  flatten,
  LEAF_PATHS,
  resolve,
  SECRET_SECTIONS,
  USER_ONLY_LEAVES,
  type LeafPath,
  type ResolvedSettings,
} from './model';
import type { SettingsRecord } from '../storage/settings-repository';

/* The read forms of the settings: a level's overrides and a user's effective settings. */

const isSecretLeaf = (path: LeafPath): boolean => path.endsWith('.clientSecret');

/** A secret's read form: whether it is set, never its value. */
function readLeaf(path: LeafPath, value: unknown): [string, unknown] {
  return isSecretLeaf(path)
    ? ['clientSecretSet', value !== null && value !== undefined]
    : [leafName(path), value];
}

const leafName = (path: LeafPath): string => path.split('.').at(-1) ?? path;

function setPath(target: Record<string, unknown>, path: LeafPath, key: string, value: unknown): void {
  const [head, field] = path.split('.') as [string, string | undefined];
  if (field === undefined) {
    target[head] = value;
    return;
  }
  const section = (target[head] ??= {}) as Record<string, unknown>;
  section[key] = value;
}

export function toRead(level: Level, record: SettingsRecord): SettingsLevelRead {
  const out: Record<string, unknown> = {};
  if (record.organizationId !== undefined) {
    out.organizationId = record.organizationId;
  }
  if (level === 'global') {
    // The global level shows every field: its overrides over the built-in defaults.
    const resolved = resolve({ global: flatten(record.overrides) });
    for (const path of LEAF_PATHS.filter((p) => !USER_ONLY_LEAVES.has(p))) {
      const [key, value] = readLeaf(path, resolved[path].value);
      setPath(out, path, key, value);
    }
    return out;
  }
  const flat = flatten(record.overrides);
  for (const path of LEAF_PATHS) {
    const value = flat[path];
    if (value === undefined) {
      continue;
    }
    const [key, readValue] = readLeaf(path, value);
    setPath(out, path, key, readValue);
  }
  for (const section of SECRET_SECTIONS) {
    const s = out[section] as Record<string, unknown> | undefined;
    if (s) {
      s.clientSecretSet ??= false;
    }
  }
  return out;
}

export function toEffectiveRead(resolved: ResolvedSettings): EffectiveSettingsRead {
  const out: Record<string, unknown> = {};
  for (const path of LEAF_PATHS) {
    const leaf = resolved[path];
    const [key, value] = readLeaf(path, leaf.value);
    setPath(out, path, key, { value, source: leaf.source });
  }
  return out as EffectiveSettingsRead;
}

/** How errors name a level: "Organization \"acme\"", "The global settings". */
export function describe(level: Level, id: string): string {
  return level === 'global' ? 'The global settings' : `${level === 'user' ? 'User' : 'Organization'} "${id}"`;
}
