/**
 * A check over JSON text, value by value: tool-call arguments are JSON, and a redaction must
 * leave them JSON. Each string value goes through `check`; a number whose digits `check`
 * changes (a card or an id written unquoted) becomes the checked string. Text that is not JSON
 * is checked as plain text. Unchanged text is returned as it came, formatting included.
 */
export function checkJsonText(text: string, check: (value: string) => string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return check(text);
  }
  let changes = 0;
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string' || typeof value === 'number') {
      const raw = String(value);
      const checked = check(raw);
      if (checked === raw) return value;
      changes += 1;
      return checked;
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
  };
  const result = visit(parsed);
  return changes > 0 ? JSON.stringify(result) : text;
}
