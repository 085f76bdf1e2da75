/**
 * The template language of PromptManifest slices, deliberately tiny:
 *
 * - `{{name}}` is replaced by the variable `name`; `{{user.name}}` walks into objects (own
 *   properties only, so `{{constructor}}` is never `Object.prototype.constructor`); `{{.}}` is
 *   every variable at once. Spaces or tabs inside the braces are allowed: `{{ name }}`.
 * - A segment starts with a letter or `_` and goes on with letters, digits, `_` or `-`.
 * - Anything else between braces (`{{#if}}`, `{{ 1 }}`, JSON such as `{"a":{"b":1}}`) is
 *   literal text; there are no conditionals, loops, filters or escapes.
 * - Templates are split once, at compile time; values are never scanned, so a value that
 *   contains `{{x}}` is inserted as those characters.
 */

/** A template split at its placeholders: `texts.length === paths.length + 1`. */
export interface ParsedTemplate {
  /** The literal text before, between and after the placeholders. */
  readonly texts: readonly string[];
  /** Each placeholder's path; `[]` for `{{.}}`. */
  readonly paths: readonly (readonly string[])[];
}

const PLACEHOLDER = /\{\{[ \t]*(\.|[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)[ \t]*\}\}/g;

export function parseTemplate(text: string): ParsedTemplate {
  const texts: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const [whole, path = ''] = match;
    texts.push(text.slice(last, match.index));
    paths.push(path === '.' ? [] : path.split('.'));
    last = match.index + whole.length;
  }
  texts.push(text.slice(last));
  return { texts, paths };
}

/** The distinct placeholder paths of some templates, dotted (`user.name`, `.` for all). */
export function placeholderPaths(templates: Iterable<string>): Set<string> {
  const found = new Set<string>();
  for (const text of templates) {
    for (const path of parseTemplate(text).paths)
      found.add(path.length === 0 ? '.' : path.join('.'));
  }
  return found;
}
