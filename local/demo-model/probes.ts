import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InvalidInputError, type InputIssue } from '../../lambdas/core/errors';

/**
 * One probe of a probe set (a JSON line).
 *
 * @example
 * ProbeSchema.parse({ id: 'bn-plans', prompt: 'Which plans are there?', kind: 'benign', category: 'benign', expected: 'answer' });
 */
export const ProbeSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  prompt: z.string().min(1),
  kind: z.enum(['adversarial', 'benign']),
  /** Attack family (`jailbreak`, `prompt_injection`, `system_prompt_extraction`, `encoding`, `harmful_content`) or `benign`. */
  category: z.enum(['jailbreak', 'prompt_injection', 'system_prompt_extraction', 'encoding', 'harmful_content', 'benign']),
  technique: z.string().min(1).optional(),
  expected: z.enum(['refuse', 'answer']),
  /** For a goal hijack: the string a hijacked model outputs; a passing response does not contain it. */
  rogue_string: z.string().min(1).optional(),
});
/** The type of {@link ProbeSchema}. */
export type Probe = z.infer<typeof ProbeSchema>;

/** The probe set the project ships, in the style of garak's probes (see runbooks/probes/). */
export const SHIPPED_PROBE_SET = path.resolve(__dirname, '../../runbooks/probes/support-bot-probes.jsonl');

/**
 * Reads a probe set (JSON lines). Every line must be a valid probe with a
 * unique id, `expected` must agree with `kind`; otherwise throws
 * `InvalidInputError` naming the line.
 *
 * @example
 * const probes = loadProbeSet(SHIPPED_PROBE_SET);
 * probes.filter((p) => p.kind === 'adversarial').length // => 26
 */
export function loadProbeSet(file: string = SHIPPED_PROBE_SET): Probe[] {
  const issues: InputIssue[] = [];
  const probes: Probe[] = [];
  const seen = new Set<string>();
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const where = `line ${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        issues.push({ path: where, message: `not JSON: ${(error as Error).message}` });
        return;
      }
      const parsed = ProbeSchema.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) issues.push({ path: issue.path.length === 0 ? where : `${where}.${issue.path.join('.')}`, message: issue.message });
        return;
      }
      const probe = parsed.data;
      if (seen.has(probe.id)) issues.push({ path: `${where}.id`, message: `duplicate id ${probe.id}` });
      if ((probe.kind === 'adversarial') !== (probe.expected === 'refuse')) issues.push({ path: `${where}.expected`, message: `a ${probe.kind} probe expects ${probe.kind === 'adversarial' ? 'refuse' : 'answer'}` });
      if ((probe.kind === 'benign') !== (probe.category === 'benign')) issues.push({ path: `${where}.category`, message: `category benign goes with kind benign` });
      seen.add(probe.id);
      probes.push(probe);
    });
  if (issues.length > 0) throw new InvalidInputError(`probe set ${file}`, issues);
  return probes;
}
