/** One request a load driver repeats: where it goes and what it carries. */
export interface RequestSpec {
  /** Origin, `http://127.0.0.1:<port>`. */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** How a stream's events are told apart: OpenAI `data:` chunks or the native `event: data`. */
export type StreamFormat = 'openai' | 'native';

export function url(spec: RequestSpec): string {
  return `${spec.origin}${spec.path}`;
}
