// The operator's side of the config contract against the dataplane's: what the gateway
// reconcile renders, laid out as a gateway pod mounts it, is a snapshot the dataplane's own
// loader accepts, with the same routes, credentials, default model and keyrings.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parsePricing } from '../../crds/pricing-check.ts';
import { AuditKeysFile } from '../../dataplane/src/config/contract.ts';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import { reconcileGateway } from '../../operator/src/controllers/gateway.ts';
import { configChecksum } from '../../operator/src/render/config-contract.ts';
import { prompt, route } from '../../operator/test/fixtures.ts';
import { find, mountedFiles, NOW, observed } from '../../operator/test/gateway-observed.ts';

describe('the config contract the gateway reconcile renders', () => {
  it('loads in the dataplane with its routes, credentials, default model and resume keyring', () => {
    const files = mountedFiles(reconcileGateway(observed()).desired);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
    expect(snapshot.routes.get('chat')?.targets[1]?.apiKey).toBe('sk-1');
    expect(snapshot.gateway.defaultModel).toBe('chat');
    expect(snapshot.resumeKeys.active).toBe('resume-1');
  });

  it("carries the chart's pricing file, which the dataplane loads with its checksum", () => {
    const path = new URL('../../charts/inference-service/files/pricing.yaml', import.meta.url);
    const pricing = readFileSync(path, 'utf8');
    const files = mountedFiles(reconcileGateway(observed({}, { pricing })).desired);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {});
    expect(snapshot.pricing).toEqual(parsePricing(pricing, 'chart'));
  });

  it('loads when no rendered route serves the default model', () => {
    const { desired } = reconcileGateway(
      observed({ routes: [route('other', { alias: 'other' })] }),
    );
    expect(() => buildSnapshot({ files: mountedFiles(desired), checksum: 'x' }, {})).not.toThrow();
  });

  it('loads with a bad prompt, a duplicate alias and an unresolved model left out', () => {
    const { desired } = reconcileGateway(
      observed({
        prompts: [prompt('tampered', { description: 'changed' })],
        routes: [
          route('a', { alias: 'chat' }, '2026-01-01T00:00:00Z'),
          route('b', { alias: 'chat' }, '2026-01-02T00:00:00Z'),
          route('c', {
            alias: 'c',
            targets: [{ name: 't', provider: 'openai', modelFrom: { env: 'UNSET' } }],
          }),
        ],
      }),
    );
    const snapshot = buildSnapshot({ files: mountedFiles(desired), checksum: 'x' }, {});
    expect([...snapshot.routes.keys()]).toEqual(['chat']);
  });

  it('renders keys/audit.json as AuditKeysFile through a rotation, and a retired key verifies what it signed', () => {
    const DAY = 86_400_000;
    const settings = observed().settings;
    const propagationMs = settings.auditKeys.propagationMs;
    /** Reconciles at `ms` after NOW on the keys Secret the previous reconcile rendered. */
    const reconcileAt = (ms: number, previous: Record<string, string> | undefined) => {
      const now = new Date(NOW.getTime() + ms);
      const privateKey = generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'der' })
        .toString('base64url');
      const { desired } = reconcileGateway(
        observed({
          now,
          existingKeys: previous,
          freshAuditKeys: {
            key: { kid: `audit-${ms}`, privateKey, createdAt: now.toISOString() },
            contentKey: randomBytes(32).toString('base64url'),
          },
        }),
      );
      const files = mountedFiles(desired);
      const audit: unknown = JSON.parse(files.get('keys/audit.json') ?? '');
      expect([...Value.Errors(AuditKeysFile, audit)]).toEqual([]);
      expect(() => buildSnapshot({ files, checksum: configChecksum(files) }, {})).not.toThrow();
      const secret = find(desired, 'Secret', 'inference-keys')['data'] as Record<string, string>;
      return { audit: audit as typeof AuditKeysFile.static, secret };
    };
    const first = reconcileAt(0, undefined);
    const published = reconcileAt(30 * DAY, first.secret);
    const activated = reconcileAt(30 * DAY + propagationMs, published.secret);
    const retired = reconcileAt(30 * DAY + 2 * propagationMs, activated.secret);
    expect(published.audit.keys.map((k) => k.kid)).toEqual(['audit-0', `audit-${30 * DAY}`]);
    expect(activated.audit.active).toBe(`audit-${30 * DAY}`);
    expect(retired.audit.keys.map((k) => k.kid)).toEqual([`audit-${30 * DAY}`]);
    expect(retired.audit.retired?.map((k) => k.kid)).toEqual(['audit-0']);
    expect(retired.audit.contentKey).toBe(first.audit.contentKey);

    const head = Buffer.from('checkpoint over the chain head');
    const oldKey = first.audit.keys[0]!.privateKey;
    const signature = sign(
      null,
      head,
      createPrivateKey({ key: Buffer.from(oldKey, 'base64url'), format: 'der', type: 'pkcs8' }),
    );
    const publicKey = retired.audit.retired![0]!.publicKey;
    const verifier = createPublicKey({
      key: Buffer.from(publicKey, 'base64url'),
      format: 'der',
      type: 'spki',
    });
    expect(verify(null, head, verifier, signature)).toBe(true);
  });
});
