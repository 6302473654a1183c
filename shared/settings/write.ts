import type { FieldError } from '../errors/app-error';
import type { SealedSecret } from '../crypto/secret-box';
import { SECRET_SECTIONS, storedOverrides, type SecretSection, type StoredOverrides } from './model';
import type { SettingsWrite } from './schema';

export type WriteMode = 'replace' | 'merge';

export type Seal = (section: SecretSection, plaintext: string) => SealedSecret;

export type WriteOutcome = { ok: true; overrides: StoredOverrides } | { ok: false; errors: FieldError[] };

const isSecretSection = (key: string): key is SecretSection =>
  (SECRET_SECTIONS as readonly string[]).includes(key);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applies a validated PUT (replace) or PATCH (JSON merge patch, RFC 7396) body to one
 * level's stored overrides. Pure apart from `seal`. A secret is never read back, so the
 * `clientSecretSet` echo of a GET decides whether a stored secret survives a write that
 * does not carry a new one: true keeps it, false removes it.
 */
export function applyWrite(
  current: StoredOverrides,
  body: SettingsWrite,
  mode: WriteMode,
  seal: Seal,
): WriteOutcome {
  const errors: FieldError[] = [];
  const next: Obj = mode === 'merge' ? structuredClone(current) : {};

  for (const [key, value] of Object.entries(body)) {
    if (key === 'organizationId' || value === undefined) {
      continue;
    }
    if (value === null) {
      delete next[key];
      continue;
    }
    if (!isObject(value)) {
      next[key] = value;
      continue;
    }
    const section: Obj = isObject(next[key]) ? { ...next[key] } : {};
    for (const [field, fieldValue] of Object.entries(value)) {
      if (field === 'clientSecretSet' || fieldValue === undefined) {
        continue;
      }
      if (fieldValue === null) {
        delete section[field];
      } else if (field === 'clientSecret' && isSecretSection(key)) {
        section[field] = seal(key, String(fieldValue));
      } else {
        section[field] = fieldValue;
      }
    }
    if (isSecretSection(key)) {
      const error = applySecretEcho(key, value, section, current);
      if (error) {
        errors.push(error);
      }
    }
    if (Object.keys(section).length > 0) {
      next[key] = section;
    } else {
      delete next[key];
    }
  }

  if (errors.length > 0) {
    return { ok: false, errors };
  }
  return { ok: true, overrides: storedOverrides.parse(next) };
}

function applySecretEcho(
  key: SecretSection,
  value: Obj,
  section: Obj,
  current: StoredOverrides,
): FieldError | undefined {
  const echo = value.clientSecretSet;
  if (echo === undefined || value.clientSecret !== undefined) {
    if (echo === false && typeof value.clientSecret === 'string') {
      return { path: `${key}.clientSecretSet`, message: 'false contradicts the clientSecret sent with it' };
    }
    return undefined;
  }
  if (echo === false) {
    delete section.clientSecret;
    return undefined;
  }
  const stored = current[key]?.clientSecret;
  if (!stored) {
    return {
      path: `${key}.clientSecretSet`,
      message: 'no secret is stored at this level; send clientSecret',
    };
  }
  section.clientSecret = stored;
  return undefined;
}
