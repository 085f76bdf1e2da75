import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readMcp } from './mcp.ts';

const server = (extra: object = {}) => ({
  name: 'alpha',
  url: 'http://tools.example.svc:8080/mcp',
  allowedTools: ['echo'],
  ...extra,
});

const files = (mcp: object, more: Record<string, string> = {}) =>
  new Map(Object.entries({ 'mcp.yaml': stringify(mcp), ...more }));

describe('mcp.yaml', () => {
  it('serves no gateway without the file', () => {
    expect(readMcp(new Map()).gateways.size).toBe(0);
  });

  it('serves no gateway while the file is switched off, even an enabled one', () => {
    const mcp = { gateways: [{ name: 'tools', spec: { enabled: true, servers: [server()] } }] };
    expect(readMcp(files(mcp)).gateways.size).toBe(0);
  });

  it('serves only the gateways whose spec is enabled, with the credential and default timeout', () => {
    const config = readMcp(
      files(
        {
          enabled: true,
          gateways: [
            {
              name: 'tools',
              spec: {
                enabled: true,
                servers: [server({ credentials: { secretKeyRef: { name: 'mcp', key: 'alpha' } } })],
              },
            },
            { name: 'idle', spec: { servers: [server()] } },
          ],
        },
        { 'credentials/mcp__alpha': 'token-1\n' },
      ),
    );
    expect([...config.gateways.keys()]).toEqual(['tools']);
    const tools = config.gateways.get('tools');
    expect(tools?.timeoutMs).toBe(300);
    expect(tools?.upstreams[0]).toMatchObject({
      name: 'alpha',
      transport: 'streamable-http',
      token: 'token-1',
      allowedTools: new Set(['echo']),
      allowedPrompts: new Set(),
      allowedResources: [],
      requiredScopes: [],
      pricePerCall: 0,
    });
  });

  it('reads a price per call in US dollars as nano-USD, a number or a decimal string', () => {
    const priced = (pricePerCallUSD: unknown) =>
      readMcp(
        files({
          enabled: true,
          gateways: [
            { name: 'tools', spec: { enabled: true, servers: [server({ pricePerCallUSD })] } },
          ],
        }),
      ).gateways.get('tools')?.upstreams[0]?.pricePerCall;
    expect(priced('0.002')).toBe(2_000_000);
    expect(priced(1)).toBe(1_000_000_000);
    expect(() => priced('-1')).toThrow(/^mcp\.yaml: /);
  });

  it('refuses a gateway whose credential file is missing, naming it', () => {
    const mcp = {
      enabled: true,
      gateways: [
        {
          name: 'tools',
          spec: {
            enabled: true,
            servers: [server({ credentials: { secretKeyRef: { name: 'mcp', key: 'alpha' } } })],
          },
        },
      ],
    };
    expect(() => readMcp(files(mcp))).toThrow(
      'mcp.yaml: gateway tools server alpha needs credentials/mcp__alpha, which is missing.',
    );
  });

  it('refuses a gateway named twice and a field the schema does not know', () => {
    const twice = {
      enabled: true,
      gateways: [
        { name: 'a', spec: {} },
        { name: 'a', spec: {} },
      ],
    };
    expect(() => readMcp(files(twice))).toThrow('mcp.yaml: gateway a appears twice.');
    expect(() => readMcp(files({ enabled: true, extra: 1 }))).toThrow(/^mcp\.yaml: /);
  });
});
