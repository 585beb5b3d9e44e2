/**
 * The cue tables of the prompt rules (pure): one family of phrases per thing a
 * prompt can attempt (DAN-style persona, system-prompt extraction, requests
 * for personal data or secrets, decode-and-act instructions, goal hijacking,
 * role-play), each cue named for the explanation, and the matching of a
 * family against a text view.
 */

/** One pattern of a family and what it means, for the explanation. */
export interface Cue {
  readonly what: string;
  readonly pattern: RegExp;
  /** Match against the case-preserving text (acronyms like DAN) instead of the lower-case view. */
  readonly cased?: boolean;
  /** Another pattern that must also match the plain view (context for short acronyms). */
  readonly requires?: RegExp;
}

/** The cue that matched and the phrase it matched. */
export interface CueMatch {
  readonly what: string;
  readonly phrase: string;
}

const cue = (what: string, pattern: RegExp, extra: Partial<Pick<Cue, 'cased' | 'requires'>> = {}): Cue => ({ what, pattern, ...extra });

const PERSONA_FRAME = /\b(?:pretend|act as|acting as|role|persona|known as|stands for|as the name suggests|from now on|you are going to|you will be|simulat\w+|named|called)\b/;

/** DAN-style personas: named jailbreak personas, unlocked modes, freedom from rules, dual responses, refusal suppression. */
export const PERSONA_DAN: readonly Cue[] = [
  cue('a DAN persona', /\b(?:ANTI-DAN|AntiDAN|BetterDAN|DANs?)\b/, { cased: true }),
  cue('"do anything now"', /\b(?:do|does|doing) anything now\b/),
  cue('a named jailbreak persona', /\b(?:STAN|DUDE|AIM|UCAR|OPPO|NRAF|APOPHIS|KEVIN)\b/, { cased: true, requires: PERSONA_FRAME }),
  cue('an unlocked mode', /\b(?:dan|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|unlocked|evil|chaos|anarchy|opposite|amoral|drip|based) mode\b/),
  cue('a developer-mode persona', /\bdeveloper\\?[ _]mode(?: is)? (?:enabled|output|on|activated|response)\b|\bdeveloper\\?[ _]mode ?[:=] ?(?:enabled|on|true)\b|\bsimulate (?:the )?developer mode\b|\bact as [^.]{0,60}with developer mode\b/),
  cue('jailbreak vocabulary', /\bjail ?-?br(?:eak|oke|oken|eaking|eaks)\b/),
  cue('a persona freed from its rules', /\b(?:broken|broke|break|breaks|freed?|escaped?) (?:free )?(?:of|from) (?:the |all )?(?:typical |usual )?(?:confines|limitations|restrictions|polic(?:y|ies)|rules|guidelines|filters)\b|\b(?:does not|doesn't|do not|don't|never|won't|will not) (?:have to |need to )?(?:abide|adhere|comply|conform)(?: by| to| with)? (?:[\w'-]+ ){0,3}?(?:rules|policies|guidelines|restrictions)\b|\b(?:have|has|with) no (?:rules|restrictions|limits|limitations|filters)\b/),
  cue('an amoral or unfiltered AI persona', /\b(?:amoral|unfiltered|uncensored|unrestricted|unethical|immoral|evil|unbound|unchained)(?:,? (?:and )?(?:amoral|unfiltered|uncensored|unrestricted|unethical|immoral))? (?:ai|a\.i\.|chatbot|bot|assistant|model|language model|persona|entity|confidant)\b/),
  cue('a persona without ethics', /\bno (?:ethical|moral|ethics|morals)(?: or (?:ethical|moral))? (?:guidelines|principles|restrictions|boundaries|limits|values|code)\b|\bwithout (?:any )?(?:ethical|moral) (?:guidelines|principles|restrictions|values)\b|\b(?:doesn't|does not|don't|do not|never) (?:care|cares|gives? a \w+) about (?:the )?(?:ethic|legal|moral)/),
  cue('bypassing the content policy', /\b(?:bypass|bypasses|ignore|ignores|break|breaks|violate|violates|disregard|disregards|free of) (?:all |any )?(?:of )?(?:the )?(?:openai|open ai|chatgpt)(?:'s)? (?:content |usage |safety )?(?:polic(?:y|ies)|rules|guidelines|restrictions|filters|limitations)\b|\b(?:bypass|bypasses|ignore|ignores|violate|violates) (?:the |all |any )?content polic(?:y|ies)\b|\b(?:doesn't|does not|don't|do not|won't|will not|never) (?:follow|care about|respect|obey) (?:the |any )?(?:openai'?s? |open ai'?s? )?(?:content |usage )?polic(?:y|ies)\b|\bbypass(?:es|ing)? (?:[\w'-]+ ){0,3}?(?:moral|ethical|safety) (?:and (?:moral|ethical) )?(?:rules|guidelines|restrictions|filters)\b|\bmoraliz\w* rant about (?:the )?openai\b/),
  cue('a dual-response format', /\[(?:🔒|🔓)? ?(?:classic|jailbreak|gpt|chatgpt|dan|developer mode output|normal output)\]|[[(](?:🔒|🔓)|\b(?:in|with|give|provide|generate|produce|answer (?:\w+ ){0,3}in) (?:two|2) (?:different |separate |distinct )*(?:ways|responses|answers|paragraphs|styles)\b/),
  cue('refusal suppression', /\bnever (?:refuses?|declines?|says? no)\b|\b(?:will|must|shall|should|can) (?:never|not) (?:refuse|decline)\b|\bwithout (?:any )?(?:warnings?|disclaimers?|censorship|hesitation)\b/),
  cue('an identity override', /\byou(?:'re| are) (?:no longer|not) (?:chatgpt|an? ai\b|an? assistant|bound|restricted|limited)|\bno longer (?:bound by|restricted by|chatgpt)\b/),
  cue('a jailbreak template placeholder', /\[(?:your |insert |enter |put your )?(?:prompt|question|request)(?: here)?\]|\[targetlanguage\]/),
];

/** System-prompt extraction: naming it, asking for hidden instructions, dumping the context, asking what it was told. */
export const SYSPROMPT: readonly Cue[] = [
  cue('names the system prompt', /\bsystem[ _-]?prompts?\b|\bsystemprompt\b|\b(?:your|the|its) system (?:instructions?|directives?|message)\b|<\/?system[ _-]?(?:prompt|message)>/),
  cue('asks for its hidden instructions', /\b(?:your|the) (?:initial|original|hidden|secret|starting|internal|developer|pre-?set|underlying|confidential|private|preset|operating) (?:prompt|instructions?|directives?|configuration|config|rules|message|guidelines)\b|\binitiali[sz]ation (?:string|prompt|text|instructions)\b|\b(?:initial|hidden|secret|original|pre) ?-?prompt\b/),
  cue('asks to dump the context', /\b(?:repeat|print|output|show|display|copy|paste|reproduce|recite|echo|dump|write out|spell out|rewrite|return)\b[^.?!]{0,40}?\b(?:text|words|content|everything|instructions?|prompt|message)\b[^.?!]{0,50}?\b(?:above|so far|from the (?:start|beginning|top)|before (?:this|my first))\b|\b(?:repeat|print|output|show|display|copy|paste|reproduce|recite|echo|dump|write out|rewrite)\b (?:back )?(?:me )?(?:this|the|our) (?:entire |whole |full |complete )?(?:conversation|context(?: window)?|chat history)\b|\b(?:repeat|print|output|show|display|copy|reproduce|recite|echo|dump)\b(?: [\w'-]+){0,3}? (?:above|preceding|previous|prior|earlier) (?:text|words|content|message|lines?|instructions?|prompt|conversation)\b/),
  cue('asks for the start of its context', /\b(?:first|last|opening) (?:\d+ |few )?(?:words|lines|sentences|characters|tokens|paragraphs) of (?:your|the|this) (?:context(?: window)?|prompt|instructions|conversation|system)\b/),
  cue('asks what it was told', /\bwhat (?:exactly )?(?:were|are|was|have) you (?:been )?(?:told|instructed|programmed)\b|\bwhat (?:rules|instructions|directives|guidelines) (?:were|have|did) you (?:been )?(?:given|told|receive)\b|\b(?:repeat|tell|show|print|list|output|reveal|what|which|encode|translate|share|recite|write|summari[sz]e|display)\b[^.?!]{0,30}?\b(?:instructions|rules|text|directives|prompt) (?:that )?you (?:were|have been|'ve been) (?:given|told|provided|sent)\b|\bi was (?:instructed|told|programmed) to\b|\bmy instructions (?:are|were)\b|\bwhat (?:are|were) you not (?:supposed|allowed|permitted) to (?:tell|say|reveal|share|disclose)\b|\bwhat were (?:those|these|the|your) (?:previous |original |prior )?instructions\b|\b(?:at the (?:start|beginning) of|before) (?:this|our|the) (?:conversation|chat|session)(?: (?:started|began|begun))?\b(?=[^.?!]{0,10}[?])|\bbeginning of (?:this|our) conversation\b/),
  cue('asks for a secret it guards', /\b(?:told|instructed|asked) (?:never|not) to (?:reveal|share|disclose|tell)\b|\bcanary (?:token|string|word)\b|\b(?:display|show|print|output|reveal|dump) (?:me )?(?:the |your )?(?:full |entire |complete )?system (?:configuration|config|settings)\b/),
];

/** Requests for personal data or secrets of others, training data, database dumps. */
export const PII_OR_SECRET: readonly Cue[] = [
  cue(
    'asks for personal data or secrets of others',
    /\b(?:give|tell|show|list|reveal|dump|leak|print|output|send|share|export|extract|read out|provide|retrieve|look up|display|find)\b (?:me |us )?(?:all |every |each )?(?:of )?(?:the (?:stored |saved |other )?|other |another |their |his |her |your |someone(?: else)?'s |(?:[\w-]+ ){0,2}?[\w-]+'s |customers?'? |users?'? |employees?'? )(?:[\w'-]+ ){0,3}?(?:credit card(?: numbers?| details)?|card numbers?|cvvs?|social security(?: numbers?)?|ssns?|passwords?|api keys?|access keys?|secret keys?|private keys?|credentials|(?:auth|session|access) tokens?|home address(?:es)?|(?:phone|telephone|mobile) numbers?|e-?mail address(?:es)?|personal (?:data|information|details|info)|pii|medical (?:records|history)|bank (?:account|details)|account numbers?|dates? of birth|salar(?:y|ies)|customer (?:data|records|list|database|information|details)|user (?:data|records|database|table)|environment variables|\.env file|license keys)\b/,
  ),
  cue('asks for its training data', /\b(?:repeat|reproduce|output|print|recite|reveal|leak|show)\b (?:me )?(?:verbatim )?(?:your |the |some )?training data\b|\bwhat data were you trained on\b/),
  cue('asks for a database dump', /\bselect \* from (?:users|customers|accounts|payments)\b|\b(?:dump|export) (?:the )?(?:users?|customers?|accounts?|payments?) (?:table|database|db)\b/),
];

/** An instruction to decode a payload and act on it. */
export const ENCODING_INSTRUCTION: readonly Cue[] = [
  cue(
    'asks to decode a payload and act on it',
    /\b(?:decode|decipher|unscramble|reverse|rot ?-?13|base ?64|read (?:this|it) backwards)\b.{0,60}?\b(?:and|then)\b (?:[\w'-]+ ){0,3}?(?:follow|execute|obey|do|run|carry out|act on|comply with|answer|respond to)\b/,
  ),
];

/** Goal hijacking: overriding or wiping instructions, forced outputs, new instructions, fake role markers, claimed authority. */
export const GOAL_HIJACK: readonly Cue[] = [
  cue(
    'overrides earlier instructions',
    /\b(?:ignore|ignoring|disregard(?:ing)?|forget|override|overwrite|bypass|skip|discard|abandon|set aside|throw (?:out|away)|drop) (?:[\w'-]+ ){0,3}?(?:previous|prior|preceding|above|earlier|initial|original|all|any|your|those|these|existing|system|old|following|other)\b(?: [\w'-]+){0,3}? (?:instructions?|prompts?|rules|directions|directives?|guidelines|commands|programming|guidance|constraints|input|orders|context)\b/,
  ),
  cue('wipes what it was told', /\bforget (?:about )?(?:everything|all of that|all that)\b(?: [\w'-]+){0,5}? ?(?:learned|learnt|told|know|knew|taught|given|said|above|before)\b/),
  cue('interrupts the task', /\bstop everything\b|\bstop what you(?:'re| are) doing\b|\bnever ?mind\b[^.!?]{0,40}[.!?] ?(?:ignore|instead|just|only|now)\b|\b(?:end of|user message) (?:prompt|instructions?|input|text|user input|terminat\w*)\b|\bsystem (?:instructions?|announcement|message|override|update|notice) ?-?(?:begins?|starting|starts|follows)\b/),
  cue('forces an output', /\b(?:just|only|simply) (?:say|print|output|write|type|respond with|reply with|repeat|return)(?: exactly| the words?)? ?["':]|\b(?:say|print|output|reply with|respond with) (?:exactly|verbatim)\b|\b(?:reply|respond|answer) only with\b|\band nothing else\b|\bthe (?:assistant|ai|model|bot|chatbot) (?:must|will|should|shall) (?:now |always |only )?(?:print|say|output|respond|reply|write|include)\b/),
  cue('gives new instructions', /\bnew (?:instructions?|task|rules|directives?|objective|goal)s? ?[:-]|\b(?:your|the) (?:new|real|true|actual) (?:instructions?|task|goal|objective|purpose) (?:is|are)\b|\binstead,? (?:you (?:will|must|should) )?(?:just |only )?(?:say|print|output|write|respond|reply)\b/),
  cue('fakes a role marker', /<\|?(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|?>|\[\/?(?:inst|system|sys)\]|<<\/?sys>>|(?:^|\s)#{2,} ?(?:system|instructions?|new instructions?)\b|^(?:system|developer) ?:/),
  cue('claims authority over the model', /\bi(?:'m| am) (?:a |an |the |one of (?:the |your )?)?(?:developers?|programmers?|engineers?|admin(?:istrator)?s?|creators?|researchers?) (?:at|from|of|for) (?:openai|anthropic|google|meta|microsoft)\b|\b(?:admin(?:istrator)?|system|developer|root) override\b/),
  cue('reprograms the model', /\b(?:modify|modifying|change|changing|rewrite|alter|override|hack|unlock|disable|remove|turn off) (?:your|its) (?:programming|code|training|filters?|content filters?|rules|restrictions|guidelines|guardrails|safety (?:settings|features|filters))\b/),
];

/** Role-play framing (a weaker signal than a DAN-style persona). */
export const ROLEPLAY: readonly Cue[] = [
  cue('a role-play frame', /\b(?:pretend(?:ing)? (?:to be|you are|you're|that you are)|role ?-?play(?:ing)? as|play(?:ing)? the (?:role|part) of|(?:take|taking) on the (?:role|persona)|assume the (?:role|persona|identity) of|immerse yourself (?:in|into)|stay(?:s|ing)? in character|break(?:ing)? character|out of character)\b/),
  cue('a new identity for the model', /\byou(?:'re| are) (?:now|going to (?:be|act|pretend|play|roleplay|simulate|become))\b|\bfrom now on,? you(?:'re| are| will)\b|\byour (?:new )?name is\b|\byou will (?:now )?(?:act|respond|answer|play|be) as\b/),
  cue('a game or fiction frame', /\b(?:let'?s|we will|we're going to|i want to) (?:act out|play a game|roleplay|role-play|pretend)\b|\bplay (?:two|2|three|3|both|multiple) characters\b|\ban? actor (?:portraying|playing)\b|\bsimulate (?:a |an )?(?:conversation|chatbot|dialogue|scene|character|ai)\b|\b(?:fictional|hypothetical|imaginary|alternate|imaginative) (?:world|universe|scenario|setting|reality|being)\b/),
  cue('a named persona', /\b[Aa]ct(?:ing)? as (?:a |an |the |my )?(?:[A-Z][\w.-]*|(?:late )?grand(?:ma|mother|pa|father)|(?:\w+ ){0,2}(?:character|persona|villain|hacker|criminal|demon|god|entity|chatbot))\b/, { cased: true }),
];

/** The first cue of a family that matches: `cased` cues read `cased`, the others `plain`; a cue's `requires` must match `plain`. */
export function firstCue(cues: readonly Cue[], plain: string, cased: string): CueMatch | undefined {
  for (const c of cues) {
    const found = c.pattern.exec(c.cased === true ? cased : plain);
    if (found === null) continue;
    if (c.requires !== undefined && !c.requires.test(plain)) continue;
    return { what: c.what, phrase: found[0].trim() };
  }
  return undefined;
}

/** A matched phrase in double quotes, cut to 60 characters. */
export const quote = (phrase: string): string => `"${phrase.length <= 60 ? phrase : `${phrase.slice(0, 57)}...`}"`;
