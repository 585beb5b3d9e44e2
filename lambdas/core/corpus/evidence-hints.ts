/**
 * Evidence hints read as a classification (pure): the guardrail's detector id,
 * the evidence's category and technique, and probe tags (garak's OWASP 2023
 * numbering or 2025 ids), each read as an OWASP id, category and technique,
 * and the explanation's note on the hints that did not decide.
 */
import { mapOwasp2023, OWASP_2025_NAMES, parseOwasp2025Tag, type OwaspId } from './owasp-2025';
import { TECHNIQUES, type ClassifyInput, type Technique, type Verdict } from './classification';

/** What a hint points to, and how to name it in an explanation. */
export interface HintReading {
  readonly owasp: OwaspId;
  readonly category: string;
  readonly technique: string;
  readonly source: string;
}

/** Guardrail rules that recognise role-play rather than a DAN-style persona. */
const ROLEPLAY_DETECTORS = new Set(['jailbreak.stay-in-character', 'jailbreak.persona-adoption', 'jailbreak.you-are-now', 'jailbreak.identity-override', 'jailbreak.fictional-framing']);

/** Reads a technique hint (`persona/DAN`, `goal hijack/...`, `encoding/base64; ...`, or one of ours). */
function techniqueOf(hint: string | undefined): Technique | undefined {
  if (hint === undefined) return undefined;
  const t = hint.toLowerCase();
  if ((TECHNIQUES as readonly string[]).includes(t)) return t as Technique;
  if (t.startsWith('encoding')) return 'encoding';
  if (/role-?play|identity override|fictional/.test(t)) return 'roleplay';
  if (/^persona|dan\b|refusal suppression|jailbreak template|special mode|no restrictions|dual response/.test(t)) return 'persona-dan';
  if (/goal.?hijack|instruction override|new task|forced output|interrupt|role marker|reprogramming|impersonated authority/.test(t)) return 'goal-hijack';
  if (/system.?prompt|extraction|repeat the context/.test(t)) return 'extraction';
  if (/harmful/.test(t)) return 'harmful-request';
  if (/pii|secret|sensitive/.test(t)) return 'pii-or-secret-extraction';
  return undefined;
}

/** Category and OWASP id of a technique or category hint. */
function readCategory(category: string, technique: Technique | undefined): Omit<HintReading, 'source'> | undefined {
  const c = category.toLowerCase().replace(/[_\s]+/g, '-');
  if (/^system-prompt/.test(c)) return { owasp: 'LLM07:2025', category: 'system-prompt-leakage', technique: technique ?? 'extraction' };
  if (/^(?:sensitive-information|pii|secret|privacy)/.test(c)) return { owasp: 'LLM02:2025', category: 'sensitive-information', technique: technique ?? 'pii-or-secret-extraction' };
  if (/^prompt-injection/.test(c)) return { owasp: 'LLM01:2025', category: 'prompt-injection', technique: technique ?? (/goal-hijack/.test(c) ? 'goal-hijack' : 'unspecified') };
  if (/^jailbreak/.test(c)) return { owasp: 'LLM01:2025', category: 'jailbreak', technique: technique ?? 'unspecified' };
  if (/^harmful/.test(c)) return { owasp: 'LLM01:2025', category: 'harmful-content', technique: technique ?? 'harmful-request' };
  return undefined;
}

/** The guardrail detector id, read by its family (`jailbreak.`, `injection.`, `sysprompt.`, `harmful.`). */
export function readDetector(detector: string): HintReading | undefined {
  const d = detector.trim();
  const source = `the guardrail detector ${d}`;
  if (d.startsWith('sysprompt.')) return { owasp: 'LLM07:2025', category: 'system-prompt-leakage', technique: 'extraction', source };
  if (d === 'injection.encoded-instructions') return { owasp: 'LLM01:2025', category: 'prompt-injection', technique: 'encoding', source };
  if (d.startsWith('injection.')) return { owasp: 'LLM01:2025', category: 'prompt-injection', technique: 'goal-hijack', source };
  if (d.startsWith('jailbreak.')) return { owasp: 'LLM01:2025', category: 'jailbreak', technique: ROLEPLAY_DETECTORS.has(d) ? 'roleplay' : 'persona-dan', source };
  if (d.startsWith('harmful.')) return { owasp: 'LLM01:2025', category: 'harmful-content', technique: 'harmful-request', source };
  return undefined;
}

/** The evidence's category hint (with its technique), else its technique hint alone. */
export function readCategoryHint(input: ClassifyInput): HintReading | undefined {
  const technique = techniqueOf(input.technique);
  if (input.category !== undefined) {
    const read = readCategory(input.category, technique);
    if (read !== undefined) return { ...read, source: `the evidence category ${input.category}${input.technique === undefined ? '' : ` (technique ${input.technique})`}` };
  }
  if (technique !== undefined && input.technique !== undefined) {
    const byTechnique: Record<Technique, Omit<HintReading, 'source' | 'technique'>> = {
      'persona-dan': { owasp: 'LLM01:2025', category: 'jailbreak' },
      roleplay: { owasp: 'LLM01:2025', category: 'jailbreak' },
      'goal-hijack': { owasp: 'LLM01:2025', category: 'prompt-injection' },
      encoding: { owasp: 'LLM01:2025', category: 'prompt-injection' },
      extraction: { owasp: 'LLM07:2025', category: 'system-prompt-leakage' },
      'canary-leak': { owasp: 'LLM07:2025', category: 'system-prompt-leakage' },
      'pii-or-secret-extraction': { owasp: 'LLM02:2025', category: 'sensitive-information' },
      'harmful-request': { owasp: 'LLM01:2025', category: 'harmful-content' },
      unspecified: { owasp: 'LLM01:2025', category: 'unclassified' },
      unclassified: { owasp: 'LLM01:2025', category: 'unclassified' },
    };
    return { ...byTechnique[technique], technique, source: `the evidence technique ${input.technique}` };
  }
  return undefined;
}

const CATEGORY_OF_OWASP: Partial<Record<OwaspId, string>> = {
  'LLM01:2025': 'prompt-injection',
  'LLM02:2025': 'sensitive-information',
  'LLM07:2025': 'system-prompt-leakage',
};

/** The first probe tag that names an OWASP id (2023 numbering mapped to 2025). */
export function readTags(tags: readonly string[] | undefined): HintReading | undefined {
  for (const tag of tags ?? []) {
    const from2023 = mapOwasp2023(tag);
    const owasp = from2023 ?? parseOwasp2025Tag(tag);
    if (owasp === undefined) continue;
    const category = CATEGORY_OF_OWASP[owasp] ?? OWASP_2025_NAMES[owasp].toLowerCase().replace(/\s+/g, '-');
    const source = from2023 === undefined ? `the tag ${tag}` : `the garak tag ${tag} (OWASP 2023 numbering, ${owasp} in 2025)`;
    return { owasp, category, technique: owasp === 'LLM07:2025' ? 'extraction' : owasp === 'LLM02:2025' ? 'pii-or-secret-extraction' : 'unspecified', source };
  }
  return undefined;
}

/** Every hint given, strongest first. */
function hintsOf(input: ClassifyInput): HintReading[] {
  return [input.detector === undefined ? undefined : readDetector(input.detector), readCategoryHint(input), readTags(input.tags)].filter((h): h is HintReading => h !== undefined);
}

/** A sentence on the hints that did not decide: do they agree with the verdict? */
export function hintNote(input: ClassifyInput, decided: Verdict): string {
  const notes = hintsOf(input)
    .filter((h) => h.source !== decided.source)
    .map((h) => (h.category === decided.category && h.owasp === decided.owasp ? `${h.source} agrees` : `${h.source} pointed to ${h.owasp} ${h.category}/${h.technique}`));
  const unread = input.detector !== undefined && readDetector(input.detector) === undefined ? [`the detector ${input.detector} is not one this classifier reads`] : [];
  const all = [...notes, ...unread];
  return all.length === 0 ? '' : ` Evidence: ${all.join('; ')}.`;
}
