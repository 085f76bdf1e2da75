// The gateway's egress policy opens the providers' public endpoints; they must be the ones
// the dataplane's providers call when a target sets no baseURL.
import { describe, expect, it } from 'vitest';
import { ANTHROPIC_BASE_URL } from '../../dataplane/src/providers/anthropic/anthropic.ts';
import { GROQ_BASE_URL } from '../../dataplane/src/providers/groq/groq.ts';
import { OPENAI_BASE_URL } from '../../dataplane/src/providers/openai/openai.ts';
import { PROVIDER_BASE_URLS } from '../../operator/src/render/egress.ts';

describe('the egress policy', () => {
  it('knows the public endpoints the dataplane’s providers use', () => {
    expect(PROVIDER_BASE_URLS).toEqual({
      openai: OPENAI_BASE_URL,
      anthropic: ANTHROPIC_BASE_URL,
      groq: GROQ_BASE_URL,
    });
  });
});
