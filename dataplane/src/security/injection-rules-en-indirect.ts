import { pack } from './injection-rules.ts';

/** Who a planted instruction addresses: the model, by any of its names. */
const AI = String.raw`(?:ai|llm|gpt|chatgpt|claude|gemini|copilot|assistant|agent|model|language\s+model|chatbot|bot)`;
/** A model as the reader of the text it is in: "AI assistants reading this page". */
const AI_READERS = String.raw`\b(?:any|all|every|each)?\s*(?:(?:ai|llm|gpt|automated|autonomous)[\s-]*(?:powered\s+|based\s+)?(?:assistants?|agents?|models?|systems?|tools?|crawlers?|bots?|summari[sz]ers?|readers?)|ai|llms?|language\s+models?|chatbots?)\s+(?:that\s+(?:reads?|process(?:es)?|summari[sz]es?|parses?|sees?|visits?|index(?:es)?)|reading|processing|summari[sz]ing|parsing|crawling|indexing|visiting|seeing)\s+(?:this|these|the\s+(?:following|above|present))\b`;
/** What a document asks a model reading it to do to its answer or to the user. */
const ANSWER_VERB = String.raw`(?:include|mention|add|append|insert|recommend|state|say|tell|link|refer\s+to|describe|claim|praise|rate|omit|exclude|output|print|reply|respond|answer|forward|send|call)`;

/**
 * English instructions planted in a document, an e-mail, a web page or a tool's output for the
 * model that reads it (indirect injection), phrased as prose rather than as "ignore previous
 * instructions": a model addressed in the third person or as a reader of the text, the answer
 * it is to write, what it is to keep from the user. Each is a weak signal (a `tool` message's
 * ×1.5 alone keeps it below 1 unless the weight is 0.7 or more), so a style guide or a help
 * article that mentions an assistant is not flagged; a planted instruction carries two.
 */
export const EN_INDIRECT_RULES = pack('en', 'latin', [
  ['ai_readers', 'authority', 0.6, AI_READERS],
  [
    'ai_readers_told',
    'authority',
    0.4,
    String.raw`${AI_READERS}[^.\n]{0,60}?\b(?:should|must|shall|will|are\s+(?:required|instructed|asked|expected)\s+to|need\s+to|have\s+to|please)\s+(?:always\s+|also\s+|now\s+|first\s+)?(?:${ANSWER_VERB}|ignore|disregard|tell\s+the\s+user|visit|click|open|summari[sz]e\s+(?:it|this)\s+as)\b`,
  ],
  [
    'when_summarising',
    'override',
    0.5,
    String.raw`\b(?:when|while|whenever|if|as|before|after)\s+(?:you\s+(?:are\s+)?)?(?:summari[sz](?:e|es|ing)|translat(?:e|es|ing)|answer(?:s|ing)?|respond(?:s|ing)?|repl(?:y|ies|ying)|describ(?:e|es|ing)|review(?:s|ing)?)\b[^.\n]{0,80}?[,;:]\s*(?:you\s+(?:must|should|need\s+to|are\s+to)\s+|please\s+|always\s+|also\s+|be\s+sure\s+to\s+|make\s+sure\s+(?:to|you)\s+)?${ANSWER_VERB}\b`,
  ],
  [
    'assistant_does',
    'authority',
    0.5,
    String.raw`\bthe\s+${AI}\s+(?:then\s+|also\s+|now\s+|always\s+|silently\s+|automatically\s+)?(?:appends|includes|adds|inserts|forwards|sends|e-?mails|replies|responds|outputs|prints|calls|invokes|recommends|reveals|discloses|ignores|disregards|shares|uploads|tells\s+the\s+user|informs\s+the\s+user)\b`,
  ],
  [
    'policy_requires',
    'authority',
    0.5,
    String.raw`\b(?:per|according\s+to|in\s+line\s+with|as\s+required\s+by|under|following)\s+(?:the\s+|our\s+|company\s+|corporate\s+|internal\s+|new\s+|updated\s+|current\s+|standard\s+)*(?:polic(?:y|ies)|guidelines?|procedures?|protocols?|compliance(?:\s+rules?)?|regulations?|requirements?)\s*,\s*(?:the\s+)?(?:${AI}|you)s?\s+(?:must|should|shall|will|is\s+(?:required|expected)\s+to|are\s+(?:required|expected)\s+to|needs?\s+to|has\s+to|always)\b`,
  ],
  [
    'ignore_the_user',
    'override',
    0.8,
    String.raw`\b(?:ignore|disregard|forget|override|set\s+aside|do\s+not\s+(?:answer|follow|address)|don't\s+(?:answer|follow|address))\s+(?:what\s+)?(?:the\s+)?(?:user|human|customer|requester)(?:['’]s|s['’])?\s+(?:(?:actual|original|real|initial)\s+)?(?:request|question|query|instructions?|prompt|task|message|asked|asks|wants|said|says)\b`,
  ],
  [
    'keep_instruction_hidden',
    'tag_smuggle',
    0.5,
    String.raw`\b(?:do\s+not|don't|never|without)\s+(?:mention(?:ing)?|reveal(?:ing)?|disclos(?:e|ing)|quot(?:e|ing)|summari[sz](?:e|ing)|acknowledg(?:e|ing)|repeat(?:ing)?|refer(?:ring)?\s+to)\s+(?:this|these|the(?:se)?\s+(?:above|following|hidden|embedded))\s+(?:instructions?|notes?|directives?|requests?|text|section|paragraph|lines?|sentences?|steps?)\b`,
  ],
  [
    'direct_user_to_link',
    'exfiltration',
    0.5,
    String.raw`\b(?:tell|inform|advise|ask|urge|instruct|direct|remind|warn|notify|encourage)\s+(?:the\s+)?(?:user|customer|reader|human|recipient|visitor)s?\s+(?:that\s+|to\s+)[^\n]{0,100}?(?:https?://|www\.)`,
  ],
  [
    'ask_for_secret',
    'exfiltration',
    0.5,
    String.raw`(?<!\b(?:never|not|n't|no\s+one\s+will)\s+)\b(?:ask|request|prompt|get)\s+(?:the\s+)?(?:user|customer|visitor|reader|caller)s?\s+(?:for|to\s+(?:provide|enter|share|confirm|send|type|give))\s+(?:their\s+|his\s+|her\s+|the\s+|a\s+)?(?:full\s+)?(?:card\s+numbers?|credit\s+card(?:\s+numbers?)?|passwords?|passcodes?|pins?|one-time\s+codes?|otp|2fa\s+codes?|verification\s+codes?|ssn|social\s+security\s+numbers?|bank\s+details|login\s+details|credentials|seed\s+phrases?|private\s+keys?)\b`,
  ],
  [
    'regardless_of_user',
    'override',
    0.5,
    String.raw`\b(?:regardless|irrespective)\s+of\s+(?:what\s+)?(?:the\s+)?(?:user|human|question|request|query|prompt|customer)(?:['’]s)?\s*(?:asks?|says?|wants?|requests?|types?|question|request)?\s*,?\s+(?:you\s+|the\s+${AI}\s+)?(?:must|should|always|only|reply|respond|answer|say|output|include)\b`,
  ],
  [
    'covert_action',
    'exfiltration',
    0.5,
    String.raw`\b(?:silently|quietly|secretly|covertly|discreetly|invisibly)\s+(?:also\s+)?(?:send|forward|e-?mail|copy|bcc|upload|post|call|invoke|run|execute|append|include|insert|transfer|share|grant|approve|add)\b`,
  ],
  [
    'say_the_phrase',
    'override',
    0.6,
    String.raw`\b(?:include|add|append|insert|mention|say|write|output|print|use|end\s+with|start\s+with|begin\s+with)\s+(?:the\s+)?(?:exact\s+)?(?:word|phrase|code|token|string|sentence|keyword|marker|canary|text|password)\s+["'“‘\x60][^"'”’\x60\n]{1,60}["'”’\x60]\s+(?:in|into|at\s+the\s+(?:end|start|beginning|top)\s+of)\s+(?:your|every|each|the|any)\s+(?:responses?|replies|answers?|summary|summaries|outputs?|messages?)\b`,
  ],
  [
    'instead_of_task',
    'override',
    0.6,
    String.raw`\binstead\s+of\s+(?:summari[sz]ing|answering|translating|responding\s+to|replying\s+to|doing\s+(?:that|this|what\s+(?:the\s+user|you\s+were)\s+\w+)|following\s+(?:the|your|those|these))\b`,
  ],
  [
    'your_task_is',
    'override',
    0.6,
    String.raw`\byour\s+(?:new|real|actual|true|next|updated|revised)\s+(?:task|job|goal|objective|mission|instructions?|purpose|assignment)\s+(?:is|are|will\s+be|now\s+is)\b`,
  ],
  [
    'user_wants_you',
    'authority',
    0.5,
    String.raw`\bthe\s+(?:user|human|customer|owner)\s+(?:actually\s+|really\s+|also\s+|now\s+)?(?:wants|would\s+like|has\s+asked|asked|needs|expects|instructs|requests|has\s+requested)\s+(?:you|the\s+${AI})\s+to\b`,
  ],
  [
    'meant_for_ai',
    'authority',
    0.6,
    String.raw`\b(?:this|the\s+following)\s+(?:message|text|note|section|document|e-?mail|page|paragraph|comment)\s+(?:is\s+)?(?:intended|meant|written|addressed)\s+(?:only\s+)?(?:for|to)\s+(?:the\s+|any\s+|an\s+)?${AI}s?\b`,
  ],
  [
    'respond_to_user',
    'override',
    0.4,
    String.raw`\b(?:respond|reply|answer)\s+to\s+(?:the\s+)?(?:user|customer|human)\s+(?:only\s+)?(?:with|by\s+saying|that)\b`,
  ],
]);
