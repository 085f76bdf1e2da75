import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { makeSpec } from '../../../crds/prompts/fixtures.ts';
import { compilePrompt, render, type PromptVariables } from './render.ts';

function renderError(compiled: ReturnType<typeof compilePrompt>, variables: PromptVariables) {
  try {
    render(compiled, variables);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('render did not throw');
}

const ticket = compilePrompt(
  makeSpec({
    id: 'ticket',
    slices: [
      { name: 'system', role: 'system', text: 'You help {{customer.name}} ({{customer.tier}}).' },
      { name: 'body', role: 'user', text: '{{ subject }}\n\n{{body}}' },
      { name: 'primer', role: 'assistant', text: 'Understood.' },
    ],
    variables: {
      type: 'object',
      required: ['customer', 'subject'],
      properties: {
        customer: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            tier: { enum: ['free', 'pro'], default: 'free' },
          },
        },
        subject: { type: 'string', maxLength: 20 },
        body: { default: '(no body)' },
      },
    },
  }),
);

describe('compilePrompt', () => {
  it('carries the manifest identity and an empty parameter set when none is declared', () => {
    const compiled = compilePrompt(makeSpec());
    expect(compiled).toMatchObject({ id: 'greet', version: '1.0.0', parameters: {} });
    expect(compiled.checksum).toMatch(/^sha256:/);
  });

  it('carries the declared default parameters', () => {
    const spec = makeSpec({ parameters: { temperature: 0.2, maxTokens: 100 } });
    expect(compilePrompt(spec).parameters).toEqual({ temperature: 0.2, maxTokens: 100 });
  });

  it('throws on a variables schema ajv cannot compile', () => {
    expect(() => compilePrompt(makeSpec({ variables: { type: 'strin' } }))).toThrow(/schema/);
  });
});

describe('render', () => {
  it('renders one message per slice, in order, with the slice roles', () => {
    expect(
      render(ticket, { customer: { name: 'Ada', tier: 'pro' }, subject: 'Login', body: 'Help' }),
    ).toEqual([
      { role: 'system', content: 'You help Ada (pro).' },
      { role: 'user', content: 'Login\n\nHelp' },
      { role: 'assistant', content: 'Understood.' },
    ]);
  });

  it("fills an absent variable with its schema's default, nested ones included", () => {
    const [system, user] = render(ticket, { customer: { name: 'Ada' }, subject: 'Login' });
    expect(system?.content).toBe('You help Ada (free).');
    expect(user?.content).toBe('Login\n\n(no body)');
  });

  it('inserts strings as they are and every other value as JSON', () => {
    const compiled = compilePrompt(
      makeSpec({
        slices: [{ name: 'all', role: 'user', text: '{{s}}|{{n}}|{{b}}|{{z}}|{{o}}|{{a}}' }],
        variables: undefined,
      }),
    );
    const [message] = render(compiled, {
      s: 'x"y',
      n: 1.5,
      b: false,
      z: null,
      o: { k: 'v' },
      a: [1],
    });
    expect(message?.content).toBe('x"y|1.5|false|null|{"k":"v"}|[1]');
  });

  it('inserts an explicit null rather than the default', () => {
    const [, user] = render(ticket, { customer: { name: 'Ada' }, subject: 'S', body: null });
    expect(user?.content).toBe('S\n\nnull');
  });

  it('renders {{.}} as every variable in JSON', () => {
    const compiled = compilePrompt(
      makeSpec({
        slices: [{ name: 'all', role: 'user', text: 'In: {{.}}' }],
        variables: undefined,
      }),
    );
    expect(render(compiled, { a: 1, b: 'two' })[0]?.content).toBe('In: {"a":1,"b":"two"}');
  });

  it('never reads a value as template syntax', () => {
    const compiled = compilePrompt(
      makeSpec({
        slices: [{ name: 'u', role: 'user', text: '{{a}} {{b}}' }],
        variables: undefined,
      }),
    );
    expect(render(compiled, { a: '{{b}}', b: '{{a}}' })[0]?.content).toBe('{{b}} {{a}}');
  });

  it('does not mutate the variables, frozen ones included', () => {
    const variables = Object.freeze({ customer: Object.freeze({ name: 'Ada' }), subject: 'S' });
    render(ticket, variables);
    expect(variables).toEqual({ customer: { name: 'Ada' }, subject: 'S' });
  });

  it('renders with no variables when the prompt needs none', () => {
    const compiled = compilePrompt(
      makeSpec({ slices: [{ name: 's', role: 'system', text: 'Static.' }], variables: undefined }),
    );
    expect(render(compiled)).toEqual([{ role: 'system', content: 'Static.' }]);
  });

  it('refuses a schema violation as BAD_REQUEST naming the variable', () => {
    const error = renderError(ticket, { customer: { name: 'Ada', tier: 'gold' }, subject: 'S' });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ path: 'variables.customer.tier' });
    expect(error.message).toBe(
      'variables.customer.tier must be one of: "free", "pro" (prompt ticket@1.0.0).',
    );
  });

  it('refuses a missing required variable with its nested path', () => {
    const error = renderError(ticket, { customer: {}, subject: 'S' });
    expect(error.details).toEqual({ path: 'variables.customer.name' });
  });

  it('refuses a variable that a template uses and the schema neither requires nor defaults', () => {
    const compiled = compilePrompt(
      makeSpec({
        slices: [{ name: 'u', role: 'user', text: 'Hi {{user.name}}' }],
        variables: undefined,
      }),
    );
    const error = renderError(compiled, { user: { nickname: 'x' } });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.details).toEqual({ path: 'variables.user.name' });
    expect(error.message).toBe(
      'variables.user.name is required by the prompt (prompt greet@1.0.0).',
    );
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'does not reach the prototype chain for {{%s}}',
    (name) => {
      const compiled = compilePrompt(
        makeSpec({
          slices: [{ name: 'u', role: 'user', text: `{{${name}}}` }],
          variables: undefined,
        }),
      );
      expect(renderError(compiled, {}).details).toEqual({ path: `variables.${name}` });
    },
  );

  it('does not walk into a string as if it were an object', () => {
    const compiled = compilePrompt(
      makeSpec({
        slices: [{ name: 'u', role: 'user', text: '{{s.length}}' }],
        variables: undefined,
      }),
    );
    expect(renderError(compiled, { s: 'abc' }).details).toEqual({ path: 'variables.s.length' });
  });
});
