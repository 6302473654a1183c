import type { SealedSecret } from '../../../../shared/crypto/secret-box';
import type { StoredOverrides } from '../../../../shared/settings/model';
import { applyWrite, type Seal } from '../../../../shared/settings/write';

/** A transparent stand-in for sealing: pure code, so no key is needed to see what was sealed. */
const seal: Seal = (section, plaintext) => ({
  v: 1,
  kid: 'k',
  iv: section,
  tag: 't',
  ct: `sealed:${plaintext}`,
});
const sealedAs = (section: string, plaintext: string): SealedSecret => seal(section as 'oro', plaintext);

const current: StoredOverrides = {
  syncIntervalMinutes: 10,
  calendar: { enabled: true, direction: 'oro-to-microsoft' },
  microsoftApp: {
    clientId: '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4',
    clientSecret: sealedAs('microsoftApp', 'old'),
  },
};

const ok = (outcome: ReturnType<typeof applyWrite>) => {
  if (!outcome.ok) {
    throw new Error(`expected success, got ${JSON.stringify(outcome.errors)}`);
  }
  return outcome.overrides;
};

describe('applyWrite', () => {
  describe('merge (JSON merge patch)', () => {
    it('merges fields into sections and leaves the rest alone', () => {
      const next = ok(
        applyWrite(current, { calendar: { conflictResolution: 'field-merge' } }, 'merge', seal),
      );
      expect(next.calendar).toEqual({
        enabled: true,
        direction: 'oro-to-microsoft',
        conflictResolution: 'field-merge',
      });
      expect(next.syncIntervalMinutes).toBe(10);
      expect(next.microsoftApp?.clientSecret).toEqual(current.microsoftApp?.clientSecret);
    });

    it('clears an override with null, and drops a section left empty', () => {
      const next = ok(
        applyWrite(
          current,
          { syncIntervalMinutes: null, calendar: { enabled: null, direction: null } },
          'merge',
          seal,
        ),
      );
      expect(next).not.toHaveProperty('syncIntervalMinutes');
      expect(next).not.toHaveProperty('calendar');
    });

    it('clears a whole section with null, secret included', () => {
      const next = ok(applyWrite(current, { microsoftApp: null }, 'merge', seal));
      expect(next).not.toHaveProperty('microsoftApp');
    });

    it('seals a new secret and never stores it in plain text', () => {
      const next = ok(applyWrite(current, { microsoftApp: { clientSecret: 'new' } }, 'merge', seal));
      expect(next.microsoftApp?.clientSecret).toEqual(sealedAs('microsoftApp', 'new'));
      expect(JSON.stringify(next)).not.toContain('"new"');
    });

    it('removes the secret on clientSecretSet: false', () => {
      const next = ok(applyWrite(current, { microsoftApp: { clientSecretSet: false } }, 'merge', seal));
      expect(next.microsoftApp).toEqual({ clientId: current.microsoftApp?.clientId });
    });

    it('does not touch the existing values of the current document', () => {
      const before = structuredClone(current);
      applyWrite(current, { calendar: { enabled: false }, microsoftApp: null }, 'merge', seal);
      expect(current).toEqual(before);
    });
  });

  describe('replace', () => {
    it('keeps only what the body sets', () => {
      const next = ok(applyWrite(current, { tasks: { enabled: true } }, 'replace', seal));
      expect(next).toEqual({ tasks: { enabled: true } });
    });

    it('keeps the stored secret when a GET document is sent back (clientSecretSet: true)', () => {
      const next = ok(
        applyWrite(
          current,
          { microsoftApp: { clientId: current.microsoftApp?.clientId ?? null, clientSecretSet: true } },
          'replace',
          seal,
        ),
      );
      expect(next.microsoftApp?.clientSecret).toEqual(current.microsoftApp?.clientSecret);
    });

    it('treats null like absent', () => {
      const next = ok(applyWrite(current, { syncIntervalMinutes: null, calendar: null }, 'replace', seal));
      expect(next).toEqual({});
    });
  });

  describe('secret echo errors', () => {
    it('refuses clientSecretSet: true where no secret is stored', () => {
      const outcome = applyWrite({}, { oro: { clientSecretSet: true } }, 'merge', seal);
      expect(outcome).toEqual({
        ok: false,
        errors: [
          { path: 'oro.clientSecretSet', message: expect.stringContaining('no secret is stored') as unknown },
        ],
      });
    });

    it('refuses clientSecretSet: false beside a new secret', () => {
      const outcome = applyWrite(
        current,
        { microsoftApp: { clientSecret: 'x', clientSecretSet: false } },
        'merge',
        seal,
      );
      expect(outcome.ok).toBe(false);
    });

    it('lets a new secret win over clientSecretSet: true', () => {
      const next = ok(
        applyWrite(current, { microsoftApp: { clientSecret: 'x', clientSecretSet: true } }, 'replace', seal),
      );
      expect(next.microsoftApp?.clientSecret).toEqual(sealedAs('microsoftApp', 'x'));
    });
  });
});
