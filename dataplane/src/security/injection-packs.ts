import { compilePack, type CompiledPack, type InjectionRulePack } from './injection-rules.ts';
import { DE_RULES } from './injection-rules-de.ts';
import { EN_INDIRECT_RULES } from './injection-rules-en-indirect.ts';
import { EN_RULES } from './injection-rules-en.ts';
import { ES_RULES } from './injection-rules-es.ts';
import { FR_RULES } from './injection-rules-fr.ts';
import { IT_RULES } from './injection-rules-it.ts';
import { JA_RULES } from './injection-rules-ja.ts';
import { PT_RULES } from './injection-rules-pt.ts';
import { RU_UK_RULES } from './injection-rules-ru-uk.ts';
import { STRUCTURE_RULES } from './injection-rules-structure.ts';
import { ZH_RULES } from './injection-rules-zh.ts';

/** Every rule pack the scanner runs, in this order; a new pack is added here. */
export const INJECTION_PACKS: readonly InjectionRulePack[] = [
  STRUCTURE_RULES,
  EN_RULES,
  EN_INDIRECT_RULES,
  ES_RULES,
  FR_RULES,
  DE_RULES,
  PT_RULES,
  IT_RULES,
  RU_UK_RULES,
  ZH_RULES,
  JA_RULES,
];

/** The packs compiled once, at import: a broken rule fails the process's start, by id. */
export const COMPILED_PACKS: readonly CompiledPack[] = INJECTION_PACKS.map(compilePack);
