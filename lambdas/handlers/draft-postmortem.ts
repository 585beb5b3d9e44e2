import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { toInputIssues } from '../core/alerts/zod-issues';
import { ConfigurationError, InvalidInputError } from '../core/errors';
import { draftIncidentPostmortem, type IncidentPostmortem } from '../core/postmortem/draft-for-incident';
import { engagement } from './engagement-runtime';
import { recordsRuntime } from './records-runtime';

/** Environment variable naming the postmortem template file (absolute, or relative to the working directory). */
export const POSTMORTEM_TEMPLATE_ENV = 'FIREBREAK_POSTMORTEM_TEMPLATE';

/** The template's path when {@link POSTMORTEM_TEMPLATE_ENV} is not set, relative to the working directory. */
export const DEFAULT_POSTMORTEM_TEMPLATE = 'runbooks/postmortem-template.md';

/** Input of `Draft The Postmortem` (the rest of the workflow input is ignored). */
export const DraftPostmortemInputSchema = z.object({ incidentId: z.string().min(1) });

/**
 * The postmortem template, read on every call (it is small, and people edit
 * `runbooks/postmortem-template.md` while the embedded target runs). On AWS
 * the file comes from a Lambda layer and the variable points at it.
 *
 * @throws ConfigurationError when the file cannot be read
 */
export function postmortemTemplate(): string {
  const file = path.resolve(process.env[POSTMORTEM_TEMPLATE_ENV] || DEFAULT_POSTMORTEM_TEMPLATE);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigurationError(`postmortem template ${file} cannot be read (${code ?? String(error)}); set ${POSTMORTEM_TEMPLATE_ENV} to the template file`, { cause: error });
  }
}

/**
 * Task `Draft The Postmortem` of `resolve`: drafts the incident's postmortem
 * into the records repository (never over an existing one), tells the
 * incident channel, and closes the incident.
 *
 * @throws InvalidInputError when the input has no `incidentId` (its issues name the paths; the ZodError is its `cause`)
 */
export async function handler(event: unknown): Promise<IncidentPostmortem> {
  const parsed = DraftPostmortemInputSchema.safeParse(event);
  if (!parsed.success) throw new InvalidInputError('Draft The Postmortem input', toInputIssues(parsed.error), { cause: parsed.error });
  const { incidentId } = parsed.data;
  const template = postmortemTemplate();
  const { store, clock, policy, channel, publicUrl } = await engagement();
  const { records, scanner } = recordsRuntime();
  return draftIncidentPostmortem({ store, clock, policy, channel, records, scanner, template, ...(publicUrl === undefined ? {} : { publicUrl }) }, incidentId);
}
