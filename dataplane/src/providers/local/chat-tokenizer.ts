import { Template } from '@huggingface/jinja';
import * as tokenizers from '@huggingface/tokenizers';
import type { ChatMessage } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { TokenizerConfig } from './model-files.ts';

/**
 * The part of @huggingface/tokenizers' Tokenizer we use. Its published declarations import
 * their siblings without extensions, which `nodenext` resolution cannot follow, so the type is
 * stated here.
 */
interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(
    ids: number[],
    options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean },
  ): string;
  token_to_id(token: string): number | undefined;
}
const { Tokenizer } = tokenizers as unknown as {
  Tokenizer: new (tokenizerJson: object, config: object) => HfTokenizer;
};

/** For a model whose tokenizer_config.json has no chat template: ChatML. */
const FALLBACK_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * A model's `tokenizer.json` (through @huggingface/tokenizers) and its Jinja chat template
 * (through @huggingface/jinja, the interpreter transformers.js uses), as generation needs them.
 */
export class ChatTokenizer {
  readonly #tokenizer: HfTokenizer;
  readonly #template: Template;
  readonly #bos: string;
  readonly #eos: string;

  constructor(tokenizerJson: object, config: TokenizerConfig) {
    this.#tokenizer = new Tokenizer(tokenizerJson, config);
    const template = config.chat_template;
    const source =
      typeof template === 'string'
        ? template
        : (template?.find((entry) => entry.name === 'default')?.template ?? FALLBACK_TEMPLATE);
    this.#template = new Template(source);
    this.#bos = tokenText(config.bos_token);
    this.#eos = tokenText(config.eos_token);
  }

  /** The prompt text: the chat template with the generation prompt, then the answer's prefix. */
  renderChat(messages: readonly ChatMessage[], prefix = ''): string {
    try {
      return (
        this.#template.render({
          messages: messages.map((message) => ({ role: message.role, content: message.content })),
          add_generation_prompt: true,
          bos_token: this.#bos,
          eos_token: this.#eos,
        }) + prefix
      );
    } catch (error) {
      throw new ApiError(
        'UPSTREAM_BAD_REQUEST',
        `The local model's chat template refused the messages: ${(error as Error).message}`,
        {
          details: { provider: 'local' },
        },
      );
    }
  }

  /** Token ids of a rendered prompt; special tokens come from the template's text, not added. */
  encode(text: string): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.#tokenizer.decode([...ids], {
      skip_special_tokens: true,
      clean_up_tokenization_spaces: false,
    });
  }

  tokenId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token);
  }

  get eosToken(): string {
    return this.#eos;
  }
}

function tokenText(token: string | { content: string } | null | undefined): string {
  if (token == null) return '';
  return typeof token === 'string' ? token : token.content;
}
