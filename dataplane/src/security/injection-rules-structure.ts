import { pack } from './injection-rules.ts';

const ROLE_NAMES = String.raw`(?:system|developer|assistant|user|human|ai|bot|model|tool|sistema|asistente|usuario|assistente|utente|usuário|syst[eè]me|utilisateur|assistant|assistent|benutzer|nutzer|система|ассистент|пользователь|користувач|асистент|系统|系統|助手|用户|用戶|システム|アシスタント|ユーザー)`;

/**
 * Markers that read the same in every language: fake turns (role labels at the start of a
 * line, chat-template tokens, pasted role objects), forged ends of a document or of the user's
 * input, and links that carry data out.
 *
 * One "User:" or "Assistant:" line is a pasted transcript, so those weigh less than the
 * threshold; a privileged role, a template token or a role object outweighs them.
 */
export const STRUCTURE_RULES = pack('structure', 'latin', [
  // Role labels at the start of a line: "System:", "**Assistant:**", "> User:", "### Human:".
  [
    'system_line',
    'forged_turn',
    0.7,
    String.raw`^[\t >#*_]*(?:system|developer|sistema|syst[eè]me|система|系统|系統|システム)(?:[\t ]+(?:prompt|message|mensaje|note|notice|instructions?|update))?[\t ]*[*_]*[\t ]*[:：]`,
  ],
  [
    'assistant_line',
    'forged_turn',
    0.5,
    String.raw`^[\t >#*_]*(?:assistant|ai|bot|model|asistente|assistente|assistent|ассистент|асистент|助手|アシスタント|gpt|chatgpt|claude)[\t ]*[*_]*[\t ]*[:：]`,
  ],
  [
    'user_line',
    'forged_turn',
    0.4,
    String.raw`^[\t >#*_]*(?:user|human|usuario|utente|usuário|utilisateur|benutzer|nutzer|пользователь|користувач|用户|用戶|ユーザー)[\t ]*[*_]*[\t ]*[:：]`,
  ],
  // Alpaca-style headers: "### Instruction:", "### Response:".
  [
    'alpaca_header',
    'forged_turn',
    0.7,
    String.raw`^[\t ]*#{2,}[\t ]*(?:instructions?|system|response|input|human|assistant|instrucci[oó]n|instrucciones|sistema|respuesta)[\t ]*:`,
  ],
  // Chat-template tokens that open a turn: <|im_start|>system, [INST], <<SYS>>, <start_of_turn>.
  [
    'template_role',
    'forged_turn',
    1,
    String.raw`<\|(?:im_start|start_header_id|system|developer|user|assistant|tool|ipython)\|>|\[/?(?:INST|SYSTEM_PROMPT)\]|<</?SYS>>|<start_of_turn>|<\|(?:im_end|eot_id|end_header_id|endoftext)\|>`,
  ],
  // "[system]", "<system>", "</system_prompt>", "[ADMIN]".
  [
    'role_tag',
    'forged_turn',
    0.7,
    String.raw`[<\[][\t ]*/?[\t ]*(?:system|developer|system_prompt|sys|admin|administrator|root|sudo|override)[\t ]*[>\]]`,
  ],
  // {"role": "system", "content": …} and its single-quoted and unquoted-key spellings.
  [
    'role_object_privileged',
    'forged_turn',
    0.8,
    String.raw`["']?role["']?[\t ]*[:=][\t ]*["'](?:system|developer|assistant)["']`,
  ],
  [
    'role_object',
    'forged_turn',
    0.3,
    String.raw`["']?role["']?[\t ]*[:=][\t ]*["'](?:user|tool|function)["'][\s\S]{0,40}?["']?content["']?[\t ]*[:=]`,
  ],
  // A forged end of what the gateway wraps: "</document>", "</untrusted>", "END OF USER INPUT".
  [
    'closing_tag',
    'forged_turn',
    0.5,
    String.raw`</(?:untrusted|document|documents|context|user_input|user|input|data|content|search_results?|tool_result|retrieved|email|webpage|article|text|query)>`,
  ],
  [
    'end_marker',
    'forged_turn',
    0.6,
    String.raw`\b(?:end|close|stop)\s+(?:of\s+)?(?:the\s+)?(?:user(?:'s)?\s+(?:input|message|query|prompt)|untrusted\s+(?:content|input|data|text)|document|context|conversation|instructions|system\s+prompt|tool\s+(?:output|result))\b\s*[-=*#\]>]{2,}`,
  ],
  [
    'role_label_block',
    'forged_turn',
    0.5,
    String.raw`^[\t ]*[-=*#\[]{3,}[\t ]*(?:new\s+)?${ROLE_NAMES}(?:\s+(?:message|prompt|turn|instructions?))?[\t ]*[-=*#\]]{3,}`,
  ],
  // Markdown images and links whose URL takes a value out: ![x](https://host/p?q={data}).
  [
    'markdown_exfil',
    'exfiltration',
    0.8,
    String.raw`!?\[[^\]\n]{0,80}\]\(\s*https?://[^\s)]{1,200}[?&][\w-]{1,30}=(?:\{|\[|\$|%7b|<)`,
  ],
  // A comment or hidden element: on its own a comment means little; with a rule inside it,
  // the scorer adds the `hidden` weight.
  [
    'hidden_element',
    'hidden',
    0.3,
    String.raw`<[a-z]+[^<>]{0,200}(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|opacity\s*:\s*0|color\s*:\s*(?:white|#fff(?:fff)?)\b)`,
  ],
]);
