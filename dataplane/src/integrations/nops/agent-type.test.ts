import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { AgentSettings } from '../../../../crds/agent-settings.ts';
import { ApiError } from '../../errors/api-error.ts';
import { agentOf } from './agent-type.ts';

const settings = Value.Parse(AgentSettings, {
  identities: { 'spiffe://nops/voice/*': 'voice', 'support.nops.svc': 'support' },
  profiles: { voice: { models: ['voice'] }, support: { models: ['chat'] } },
});

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof ApiError ? [error.code, error.details?.['reason']] : error;
  }
  return undefined;
};

describe('the agent type of a caller', () => {
  it.each([
    ['a token claim', { claim: 'voice' }, 'voice'],
    ['a certificate under a prefix entry', { certificate: 'spiffe://nops/voice/pod-1' }, 'voice'],
    ['a certificate matching exactly', { certificate: 'support.nops.svc' }, 'support'],
    [
      'a claim and a certificate that agree',
      { claim: 'voice', certificate: 'spiffe://nops/voice/a' },
      'voice',
    ],
  ])('comes from %s', (_, identity, type) => {
    expect(agentOf(settings, identity)?.type).toBe(type);
  });

  it('is none for a caller with neither, or an unmapped certificate', () => {
    expect(agentOf(settings, undefined)).toBeUndefined();
    expect(agentOf(settings, { certificate: 'spiffe://other/x' })).toBeUndefined();
  });

  it('is refused when it has no profile, or the claim and certificate disagree', () => {
    expect(refusal(() => agentOf(settings, { claim: 'robot' }))).toEqual([
      'AGENT_FORBIDDEN',
      'unknown_agent_type',
    ]);
    expect(
      refusal(() => agentOf(settings, { claim: 'voice', certificate: 'support.nops.svc' })),
    ).toEqual(['AGENT_FORBIDDEN', 'agent_type_conflict']);
  });
});
