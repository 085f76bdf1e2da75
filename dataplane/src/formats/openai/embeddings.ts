/** Embeddings as OpenAI's list: floats, or base64 (little-endian float32) when asked. */
export function embeddingList(
  model: string,
  result: { vectors: number[][]; inputTokens: number },
  encoding: 'float' | 'base64' | undefined,
) {
  return {
    object: 'list' as const,
    data: result.vectors.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding: encoding === 'base64' ? toBase64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
  };
}

function toBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
