import { describe, expect, it } from 'vitest';
import { parseTemplate, placeholderPaths } from './template.ts';

describe('parseTemplate', () => {
  it('splits a template into literal texts around its placeholders', () => {
    expect(parseTemplate('Hello {{name}}, welcome to {{place}}!')).toEqual({
      texts: ['Hello ', ', welcome to ', '!'],
      paths: [['name'], ['place']],
    });
  });

  it('reads dotted paths, {{.}} and spaces inside the braces', () => {
    expect(parseTemplate('{{ user.name }}{{.}}{{\tticket.body\t}}').paths).toEqual([
      ['user', 'name'],
      [],
      ['ticket', 'body'],
    ]);
  });

  it('keeps a template without placeholders as one text', () => {
    expect(parseTemplate('No variables here.')).toEqual({
      texts: ['No variables here.'],
      paths: [],
    });
  });

  it.each([
    ['block helpers', '{{#if x}}yes{{/if}}'],
    ['numbers', '{{ 1 }}'],
    ['JSON', '{"a":{"b":{"c":1}}}'],
    ['spaces in a name', '{{first name}}'],
    ['empty braces', '{{}}'],
    ['a leading digit', '{{1st}}'],
    ['newlines inside the braces', '{{\nname\n}}'],
  ])('leaves %s as literal text', (_, text) => {
    expect(parseTemplate(text)).toEqual({ texts: [text], paths: [] });
  });

  it('reads the inner pair of triple braces, leaving the outer braces as text', () => {
    expect(parseTemplate('{{{name}}}')).toEqual({ texts: ['{', '}'], paths: [['name']] });
  });

  it('accepts underscores, digits and hyphens after the first character of a segment', () => {
    expect(parseTemplate('{{_a1.b-c}}').paths).toEqual([['_a1', 'b-c']]);
  });
});

describe('placeholderPaths', () => {
  it('lists the distinct dotted paths of several templates', () => {
    expect([...placeholderPaths(['{{a}} {{b.c}}', '{{a}} {{.}}'])]).toEqual(['a', 'b.c', '.']);
  });
});
