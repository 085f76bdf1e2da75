import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ExportLine } from './chain.ts';

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Seq = Type.Integer({ minimum: 1 });

const ReceiptLine = Type.Object({
  type: Type.Literal('receipt'),
  tenant: Type.String({ minLength: 1 }),
  seq: Seq,
  prev: Hex64,
  hash: Hex64,
  receipt: Type.Record(Type.String(), Type.Unknown()),
});

const CheckpointLine = Type.Object({
  type: Type.Literal('checkpoint'),
  tenant: Type.String({ minLength: 1 }),
  seq: Seq,
  head: Hex64,
  final: Type.Boolean(),
  kid: Type.String({ minLength: 1 }),
  signature: Type.String({ minLength: 1 }),
});

const Line = Type.Union([ReceiptLine, CheckpointLine]);

export type Parsed =
  { ok: true; lines: ExportLine[] } | { ok: false; line: number; reason: string };

/** An export's NDJSON text as lines, or the first line that is not JSON or not an export line. */
export function parseExport(text: string): Parsed {
  const lines: ExportLine[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, line: index + 1, reason: 'not JSON' };
    }
    if (!Value.Check(Line, value))
      return { ok: false, line: index + 1, reason: 'neither a receipt nor a checkpoint line' };
    lines.push(value);
  }
  return { ok: true, lines };
}
