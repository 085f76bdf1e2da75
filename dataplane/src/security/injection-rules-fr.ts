import { pack } from './injection-rules.ts';

const VERB = String.raw`(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|n[eé]glige|n[eé]gligez|ne\s+tiens\s+pas\s+compte|ne\s+tenez\s+pas\s+compte|fais\s+abstraction|faites\s+abstraction|laisse\s+tomber|laissez\s+tomber|[eé]carte|[eé]cartez|annule|annulez|passe\s+outre|passez\s+outre|ne\s+suis\s+(?:plus|pas)|ne\s+suivez\s+(?:plus|pas)|cesse\s+de\s+suivre)`;
const DET = String.raw`(?:(?:de|des|d['’]|toutes|tous|tout|les|tes|vos|ces|la|le|l['’]|mes|nos|à|aux)\s*){0,3}`;
const DIRECTIVES = String.raw`(?:instructions?|consignes?|r[eè]gles|directives|ordres|indications|messages|prompts?|restrictions|contraintes|limitations|commandes)`;
const QUALIFIER = String.raw`(?:pr[eé]c[eé]dentes|ant[eé]rieures|ci-dessus|initiales|originales|d['’]origine|du\s+syst[eè]me|syst[eè]me|d['’]avant|re[cç]ues|donn[eé]es|qu['’]on\s+t['’]a\s+donn[eé]es|de\s+base)`;

/** French. */
export const FR_RULES = pack('fr', 'latin', [
  [
    'note_to_ai',
    'authority',
    0.7,
    String.raw`\b(?:note|message|instruction|avis|remarque|attention)\s+(?:pour|[aà])\s+(?:l['’]\s*)?(?:ia|assistant|mod[eè]le|agent|bot|chatbot)\b`,
  ],
  [
    'send_to_address',
    'exfiltration',
    0.5,
    String.raw`\b(?:envoie|envoyez|envoyer|transf[eè]re|transf[eé]rez|publie|publiez|t[eé]l[eé]verse)\b[^\n]{0,100}?\b(?:[aà]|au|vers|sur)\s+(?:https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)`,
  ],
  ['ignore_prior', 'override', 1, String.raw`\b${VERB}\s+${DET}${DIRECTIVES}\s+${QUALIFIER}`],
  [
    'ignore_your',
    'override',
    0.9,
    String.raw`\b${VERB}\s+(?:de\s+|à\s+)?(?:toutes\s+(?:les\s+|tes\s+|vos\s+)?|tous\s+(?:les\s+|tes\s+|vos\s+)?|tes\s+|vos\s+)${DIRECTIVES}\b`,
  ],
  [
    'ignore_everything',
    'override',
    1,
    String.raw`\b(?:oublie|oubliez|ignore|ignorez)\s+(?:tout\s+)?(?:ce\s+qui\s+(?:pr[eé]c[eè]de|a\s+[eé]t[eé]\s+dit|est\s+[eé]crit\s+(?:ci-dessus|plus\s+haut))|tout\s+ce\s+qu(?:e|['’])\s*(?:on\s+t['’]a|je\s+t['’]ai|vous\s+avez|tu\s+as)\s+(?:dit|demand[eé]|re[cç]u|[eé]crit))`,
  ],
  [
    'new_instructions',
    'override',
    0.6,
    String.raw`\b(?:nouvelles?|vraies?|v[eé]ritables?)\s+(?:instructions|consignes|directives)\s*:`,
  ],
  [
    'no_longer_apply',
    'override',
    1,
    String.raw`\b(?:les\s+)?(?:instructions|consignes|r[eè]gles)\s+(?:pr[eé]c[eé]dentes|ant[eé]rieures|initiales)\s+(?:ne\s+s['’]appliquent\s+plus|sont\s+(?:annul[eé]es|caduques|obsol[eè]tes))`,
  ],
  [
    'reveal_prompt',
    'prompt_leak',
    1,
    String.raw`\b(?:r[eé]v[eè]le|r[eé]v[eé]lez|montre|montrez|affiche|affichez|imprime|r[eé]p[eè]te|r[eé]p[eé]tez|donne|donnez|[eé]cris|[eé]crivez|recopie|recopiez|cite|citez|dis|dites)[\s-]+(?:moi\s+|nous\s+)?(?:(?:ton|ta|tes|votre|vos|le|la|les|tout|toutes|de|du|l['’])\s*){0,3}(?:prompt|invite|instructions|consignes|message|texte|r[eè]gles)\s+(?:syst[eè]me|du\s+syst[eè]me|initia(?:l|le|les|ux)|d['’]origine|origina(?:l|le|les|ux)|cach[eé](?:e|es|s)?|secr[eè]t(?:e|es|s)?|ci-dessus|pr[eé]c[eé]dent(?:e|es|s)?|du\s+d[eé]but|au\s+d[eé]but)`,
  ],
  [
    'repeat_above',
    'prompt_leak',
    0.9,
    String.raw`\b(?:r[eé]p[eè]te|r[eé]p[eé]tez|recopie|recopiez|cite|citez|reproduis|reproduisez)\s+(?:tout\s+)?(?:le\s+texte|les\s+mots|ce\s+qui\s+est|tout\s+ce\s+qui\s+(?:est|pr[eé]c[eè]de)|les\s+phrases|les\s+lignes)\s*(?:[eé]crit\s+)?(?:ci-dessus|au-dessus|plus\s+haut|au\s+d[eé]but|du\s+d[eé]but|depuis\s+le\s+d[eé]but)`,
  ],
  [
    'message_from_developers',
    'authority',
    0.8,
    String.raw`\bmessage\s+(?:de|des|venant\s+de[s]?)\s+(?:tes\s+|vos\s+|les\s+|l['’][eé]quipe\s+des?\s+)?(?:d[eé]veloppeurs|cr[eé]ateurs|administrateurs|concepteurs|op[eé]rateurs)\b`,
  ],
  [
    'system_override',
    'authority',
    0.8,
    String.raw`\b(?:contournement|d[eé]rogation|priorit[eé]|substitution|remplacement)\s+(?:du\s+)?(?:syst[eè]me|administrateur|d[eé]veloppeur)\b|\b(?:d[eé]but|fin)\s+du\s+(?:prompt|message)\s+(?:syst[eè]me|du\s+syst[eè]me)\b`,
  ],
  [
    'dev_mode',
    'jailbreak',
    0.7,
    String.raw`\bmode\s+(?:d[eé]veloppeur|dieu|DAN|sans\s+restrictions?|administrateur)\b`,
  ],
  [
    'from_now_on',
    'jailbreak',
    0.5,
    String.raw`\b(?:[aà]\s+partir\s+de\s+maintenant|d[eé]sormais|dor[eé]navant|[aà]\s+partir\s+d['’]aujourd['’]hui)\s*,?\s+(?:tu\s+es|tu\s+seras|vous\s+[eê]tes|tu\s+agis|agis|r[eé]ponds|tu\s+r[eé]ponds|vous\s+r[eé]pondez|tu\s+ne\s+)`,
  ],
  [
    'no_restrictions',
    'jailbreak',
    0.4,
    String.raw`\b(?:sans|aucune?s?)\s+(?:restrictions?|filtres?|censure|limites?|r[eè]gles)\b`,
  ],
  [
    'translate_then_follow',
    'wrapped',
    0.7,
    String.raw`\btradui(?:s|sez|re)\b[^\n]{0,120}?\s+(?:puis|et\s+ensuite|ensuite|et)\s+(?:ex[eé]cute|ex[eé]cutez|suis|suivez|ob[eé]is|ob[eé]issez|applique|appliquez|fais|faites)\b`,
  ],
  [
    'roleplay',
    'wrapped',
    0.5,
    String.raw`\b(?:jouons|faisons)\s+(?:[aà]\s+)?un\s+jeu\b|\b(?:joue|jouez|incarne|incarnez)\s+(?:le\s+r[oô]le\s+d['’])?une?\s+(?:ia|assistant|mod[eè]le|personnage)\s+(?:qui|sans)\b`,
  ],
  [
    'hidden_instructions',
    'tag_smuggle',
    0.5,
    String.raw`\b(?:instructions|consignes|ordres|commandes)\s+(?:cach[eé]es|secr[eè]tes|invisibles)\b|\b(?:entoure|entourez|cache|cachez|mets|mettez|place|placez|ins[eè]re|ins[eé]rez)\b[^.\n]{0,60}?\b(?:dans|entre)\s+(?:des\s+)?(?:balises|commentaires|<[^>\n]{1,30}>)`,
  ],
]);
