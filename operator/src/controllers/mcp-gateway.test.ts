import { describe, expect, it } from 'vitest';
import type { MCPGateway } from '../../../crds/mcp-gateway.ts';
import { mcp, NOW, refs } from '../../test/fixtures.ts';
import { reconcileMCPGateway, type MCPGatewayObserved } from './mcp-gateway.ts';

const ready = (g: MCPGateway | undefined, extra: Partial<MCPGatewayObserved> = {}) =>
  reconcileMCPGateway({
    gateway: g,
    gateways: g === undefined ? [] : [g],
    refs: refs(),
    aliases: new Set(['chat']),
    airGapped: false,
    now: NOW,
    ...extra,
  }).status?.conditions?.[0];

describe('reconcileMCPGateway', () => {
  it('validates the sample', () => {
    expect(ready(mcp())).toMatchObject({ status: 'True', reason: 'Validated' });
  });

  it.each([
    ['disabled', mcp('m', { enabled: false }), {}, 'True', 'Disabled'],
    [
      'a second enabled gateway',
      mcp('newer', undefined, '2026-02-01T00:00:00Z'),
      { gateways: [mcp('older'), mcp('newer', undefined, '2026-02-01T00:00:00Z')] },
      'False',
      'MultipleGateways',
    ],
    ['a missing Secret', mcp(), { refs: refs({ secrets: new Map() }) }, 'False', 'SecretNotFound'],
    [
      'a Secret without the key',
      mcp(),
      { refs: refs({ secrets: new Map([['tickets-mcp-token', {}]]) }) },
      'False',
      'SecretKeyNotFound',
    ],
    [
      'a fallback alias nobody serves',
      mcp(),
      { aliases: new Set<string>() },
      'False',
      'FallbackRouteNotFound',
    ],
    ['an external server in air-gapped mode', mcp(), { airGapped: true }, 'False', 'EgressBlocked'],
  ] as const)('%s → %s %s', (_title, g, extra, status, reason) => {
    expect(ready(g, extra)).toMatchObject({ status, reason });
  });

  it('desires nothing for a gateway that is gone', () => {
    expect(ready(undefined)).toBeUndefined();
  });
});
