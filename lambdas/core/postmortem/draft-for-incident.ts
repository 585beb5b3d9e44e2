/**
 * The `Draft The Postmortem` step of the `resolve` workflow: drafts the
 * blameless postmortem of an incident from its record into the records
 * repository, tells the incident channel where it is, and closes the
 * incident. Every free text goes through the corpus redactor before it is
 * written; regression cases appear as their id and a redacted excerpt only.
 */
import { z } from 'zod';
import { casesOfIncident, loadCorpus } from '../corpus/corpus-store';
import { redactText } from '../corpus/redact';
import type { SecretScanner } from '../corpus/secret-scanner';
import type { IncidentChannel } from '../engagement-ports';
import { incidentUrl, sloOf } from '../engagement/deps';
import { FirebreakError, IncidentNotFoundError } from '../errors';
import { transition, type Incident, type TimelineEntry } from '../incident';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import type { Policy } from '../policy/schema';
import type { Clock, IncidentStore } from '../ports';
import type { RecordsRepository } from '../records/records-repository';
import { draftPostmortem, postmortemCaseOf, type DraftInput, type DraftResult } from './draft';
import { lintPostmortem } from './lint';

/** What {@link draftIncidentPostmortem} needs. */
export interface DraftIncidentPostmortemDeps {
  readonly store: IncidentStore;
  readonly clock: Clock;
  /** The SLO policy: the incident's SLO is looked up in it (none for an unmapped incident). */
  readonly policy: Policy;
  /** Where the postmortem is committed and the regression cases are read (`corpus/*.json`). */
  readonly records: RecordsRepository;
  /** The incident channel, told where the postmortem is (skipped when the incident has no channel). */
  readonly channel: IncidentChannel;
  /** Finds secrets in free text; core's own detectors add personal data and the common secret shapes. */
  readonly scanner: SecretScanner;
  /** The template text (`runbooks/postmortem-template.md`). */
  readonly template: string;
  /**
   * Base URL of Firebreak's pages: the incident link in the draft, and the
   * link people are given when the records repository has no web link for
   * the draft (a local git repository answers a file path).
   */
  readonly publicUrl?: string;
}

/**
 * One blameless-language finding as reported (and kept on the timeline):
 * where, which phrase, which rule, and a better way to say it.
 */
export const PostmortemLintFindingSchema = z.object({
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  phrase: z.string(),
  rule: z.string(),
  suggestion: z.string(),
});
/** See {@link PostmortemLintFindingSchema}. */
export type PostmortemLintFinding = z.infer<typeof PostmortemLintFindingSchema>;

/** Most lint findings kept in the `postmortem.drafted` timeline entry (the count is always exact). */
export const MAX_RECORDED_FINDINGS = 50;

/**
 * The data of the `postmortem.drafted` timeline entry. It is also how a
 * retry knows the postmortem was already written, so a retry never commits
 * again (people may be editing the draft by then) and answers what the
 * first attempt did.
 */
export const PostmortemDraftedDataSchema = z.object({
  path: z.string().min(1),
  link: z.string().min(1),
  /** True when the file was in the repository already and was left as it is. */
  existing: z.boolean(),
  /** How many sections were filled from the record (0 when existing). */
  filled: z.number().int().min(0),
  /** How many sections have a prompt for people (0 when existing). */
  prompts: z.number().int().min(0),
  /** How many blameless-language findings the postmortem has (the draft's, or the existing file's). */
  lintFindings: z.number().int().min(0),
  /** The section names behind `filled` and `prompts`. */
  sections: z.object({ filled: z.array(z.string()), prompts: z.array(z.string()) }),
  /** The first {@link MAX_RECORDED_FINDINGS} findings. */
  lint: z.array(PostmortemLintFindingSchema),
  /** Files of `corpus/` that are not valid cases (left out of the draft), by path. */
  invalidCaseFiles: z.array(z.string()).optional(),
});
/** See {@link PostmortemDraftedDataSchema}. */
export type PostmortemDraftedData = z.infer<typeof PostmortemDraftedDataSchema>;

/** What {@link draftIncidentPostmortem} did. */
export interface IncidentPostmortem {
  /** `postmortems/<yyyy>/<incident id>.md` (year the incident opened, UTC). */
  readonly path: string;
  /**
   * Where people open it: the pull request or commit of the draft, else the
   * repository's link to the file; when that is not an http(s) URL (a local
   * git repository answers a file path) and `publicUrl` is known, the
   * incident page's postmortem section (`<publicUrl>/incidents/<id>/page#postmortem`).
   */
  readonly link: string;
  /** True when a postmortem was already in the repository: it was not overwritten. */
  readonly existing: boolean;
  /** Sections filled from the record (empty when existing). */
  readonly filled: readonly string[];
  /** Sections with a prompt left for people (empty when existing). */
  readonly prompts: readonly string[];
  /** Blameless-language findings of the postmortem as written (the existing file's when existing). */
  readonly lint: readonly PostmortemLintFinding[];
  /** Whether the incident is closed now (false when it was not resolved). */
  readonly closed: boolean;
}

/**
 * Drafting could not go on safely: a free text reached the draft without
 * having been redacted, or an earlier draft's timeline entry cannot be read.
 */
export class PostmortemDraftError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Timeline entry ids: deterministic, so a retry cannot add them twice. */
const draftedEntryId = (incidentId: string): string => `${incidentId}:postmortem.drafted`;
const announcedEntryId = (incidentId: string): string => `${incidentId}:postmortem.announced`;
const closedEntryId = (incidentId: string): string => `${incidentId}:incident.closed`;

/** Where the postmortem of an incident lives; the same rule as `draftPostmortem`'s `path`. */
function postmortemPath(incident: Incident): string {
  return `postmortems/${new Date(incident.openedAt).getUTCFullYear()}/${incident.id}.md`;
}

/**
 * Drafts the incident's postmortem with every free text redacted. The
 * drafter's `sanitize` hook is synchronous and redaction is not (the secret
 * scanner), so the draft is made twice: the first pass only collects the
 * texts the drafter writes (its output is dropped unread), they are
 * redacted, and the second pass writes them redacted. The drafter is
 * deterministic, so both passes see the same texts; one it did not see is
 * refused rather than written in the clear.
 */
async function redactedDraft(input: Omit<DraftInput, 'sanitize'>, scanner: SecretScanner): Promise<DraftResult> {
  const texts = new Set<string>();
  draftPostmortem({
    ...input,
    sanitize: (text) => {
      texts.add(text);
      return text;
    },
  });
  const redacted = new Map(await Promise.all([...texts].map(async (text) => [text, (await redactText(text, scanner)).text] as const)));
  return draftPostmortem({
    ...input,
    sanitize: (text, field) => {
      const clean = redacted.get(text);
      if (clean === undefined) throw new PostmortemDraftError(`postmortem draft: a ${field} text was not redacted beforehand; nothing was written`);
      return clean;
    },
  });
}

/** Reads back the `postmortem.drafted` entry of an earlier attempt. */
function earlierDraft(entry: TimelineEntry): PostmortemDraftedData {
  const parsed = PostmortemDraftedDataSchema.safeParse(entry.data);
  if (!parsed.success) {
    throw new PostmortemDraftError(`timeline entry ${entry.id} does not hold what a postmortem draft records: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The anchor of the postmortem section on the incident page (`local/pages/incident-page.ts`). */
const POSTMORTEM_ANCHOR = 'postmortem';

/**
 * The link people are given: the repository's when it is a web link,
 * else the incident page's postmortem section when Firebreak's pages have
 * a public URL, else the repository's as it is (a path is better than nothing).
 */
function peopleLink(deps: DraftIncidentPostmortemDeps, incident: Incident, repositoryLink: string): string {
  if (/^https?:\/\//i.test(repositoryLink)) return repositoryLink;
  const page = incidentUrl(deps, incident);
  return page === undefined ? repositoryLink : `${page}#${POSTMORTEM_ANCHOR}`;
}

/** Writes the draft, unless a postmortem is in the repository already; returns what the timeline entry records. */
async function writePostmortem(deps: DraftIncidentPostmortemDeps, incident: Incident, timeline: readonly TimelineEntry[]): Promise<PostmortemDraftedData> {
  const path = postmortemPath(incident);
  const stored = await deps.records.read(path);
  if (stored !== undefined) {
    const lint = lintPostmortem(stored);
    return { path, link: peopleLink(deps, incident, deps.records.link(path)), existing: true, filled: 0, prompts: 0, lintFindings: lint.length, sections: { filled: [], prompts: [] }, lint: lint.slice(0, MAX_RECORDED_FINDINGS) };
  }

  const corpus = await loadCorpus(deps.records);
  const link = incidentUrl(deps, incident);
  const draft = await redactedDraft(
    {
      template: deps.template,
      incident,
      timeline,
      slo: sloOf(deps.policy, incident),
      cases: casesOfIncident(corpus.cases, incident.id).map(postmortemCaseOf),
      now: deps.clock.now(),
      ...(link === undefined ? {} : { links: { incident: link } }),
    },
    deps.scanner,
  );
  const commit = await deps.records.commit([{ path: draft.path, content: draft.markdown }], `postmortem: draft for ${incident.id} (${incident.key.slo})`, {
    branch: `firebreak/${incident.id}/postmortem`,
    title: `Postmortem draft for incident ${incident.id}`,
  });
  return {
    path: draft.path,
    link: peopleLink(deps, incident, commit.url ?? deps.records.link(draft.path)),
    existing: false,
    filled: draft.filled.length,
    prompts: draft.prompts.length,
    lintFindings: draft.lint.length,
    sections: { filled: draft.filled, prompts: draft.prompts },
    lint: draft.lint.slice(0, MAX_RECORDED_FINDINGS),
    ...(corpus.invalid.length === 0 ? {} : { invalidCaseFiles: corpus.invalid.map((f) => f.path) }),
  };
}

function draftedMessage(data: PostmortemDraftedData): string {
  if (data.existing) return `Postmortem already in the records repository, left as it is: ${data.path}`;
  const unreadable = data.invalidCaseFiles === undefined ? '' : `; ${data.invalidCaseFiles.length} corpus file(s) could not be read as cases and were left out`;
  return `Postmortem drafted: ${data.path} (${data.filled} section(s) filled from the record, ${data.prompts} left for people, ${data.lintFindings} blameless-language finding(s))${unreadable}`;
}

function threadMessage(data: PostmortemDraftedData): string {
  if (data.existing) return `The postmortem was already in the records repository and is left as it is: ${data.link}`;
  const findings = data.lintFindings === 0 ? '' : `; ${data.lintFindings} blameless-language finding(s) to reword`;
  return `Postmortem draft: ${data.link}\n${data.filled} section(s) filled from the incident record, ${data.prompts} left for people (look for ✍️ TODO)${findings}.`;
}

/**
 * Drafts the postmortem of an incident and closes it:
 *
 * 1. unless a postmortem is in the records repository already (it is never
 *    overwritten: people may have edited it), drafts one from the template,
 *    the incident, its timeline, its SLO and its regression cases
 *    (`corpus/*.json` naming the incident; invalid files are left out and
 *    listed), every free text redacted, and commits
 *    `postmortems/<yyyy>/<id>.md` (message `postmortem: draft for <id> (<slo>)`,
 *    branch `firebreak/<id>/postmortem`);
 * 2. records `postmortem.drafted` on the timeline (path, link, counts);
 * 3. moves the incident resolved → closed (`incident.closed`); a closed
 *    incident stays closed, one that is not resolved is left as it is;
 * 4. posts the link in the incident channel's thread (no channel: skipped)
 *    and records `postmortem.announced`.
 *
 * Idempotent: a retry finds `postmortem.drafted` and neither drafts nor
 * commits again (it answers what the first attempt wrote), closes at most
 * once and posts at most once. Closing comes before posting, so a channel
 * that can no longer be posted to (archived) does not keep the incident
 * open; its error still propagates for the workflow to record.
 *
 * @throws IncidentNotFoundError when there is no such incident
 * @throws PostmortemTemplateError when the template has an unknown placeholder
 * @throws PostmortemDraftError when a text escaped redaction or an earlier draft's entry is unreadable
 * Errors of the store, the records repository, the scanner and the channel propagate.
 *
 * @example
 * const { path, link, existing, closed } = await draftIncidentPostmortem(deps, 'inc-20261121-5f2a9c1e');
 * // path === 'postmortems/2026/inc-20261121-5f2a9c1e.md'
 */
export async function draftIncidentPostmortem(deps: DraftIncidentPostmortemDeps, incidentId: string): Promise<IncidentPostmortem> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const timeline = await deps.store.timeline(incident.id);
  const earlier = timeline.find((e) => e.id === draftedEntryId(incident.id));

  let data: PostmortemDraftedData;
  if (earlier !== undefined) data = earlierDraft(earlier);
  else {
    data = await writePostmortem(deps, incident, timeline);
    await deps.store.appendTimeline([firebreakEntry(incident.id, draftedEntryId(incident.id), 'postmortem.drafted', draftedMessage(data), deps.clock.now(), data)]);
  }

  const current = await mutateIncident(deps, incident.id, (latest, now) => {
    if (latest.status !== 'resolved') return undefined;
    const closed = transition(latest, 'closed', now);
    return {
      changes: { status: closed.status, closedAt: closed.closedAt },
      entries: [firebreakEntry(latest.id, closedEntryId(latest.id), 'incident.closed', `Incident closed; its postmortem is ${data.path}`, now, { path: data.path })],
    };
  });

  if (current.channel !== undefined && !timeline.some((e) => e.id === announcedEntryId(incident.id))) {
    await deps.channel.postToThread(current.channel, threadMessage(data));
    await deps.store.appendTimeline([
      firebreakEntry(incident.id, announcedEntryId(incident.id), 'postmortem.announced', `Slack channel told where the postmortem is: ${data.link}`, deps.clock.now(), { link: data.link }),
    ]);
  }

  return { path: data.path, link: data.link, existing: data.existing, filled: data.sections.filled, prompts: data.sections.prompts, lint: data.lint, closed: current.status === 'closed' };
}
