import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SecretlintSecretScanner } from '../../lambdas/adapters/secretlint-secret-scanner';
import { GitRecordsRepository } from '../../lambdas/adapters/git-records-repository';
import { casePath, serializeCase } from '../../lambdas/core/corpus/case';
import { CorpusIndex } from '../../lambdas/core/corpus/corpus-index';
import { loadCorpus, type InvalidCaseFile, type StoredCorpus } from '../../lambdas/core/corpus/corpus-store';
import { EVIDENCE_FORMATS, parseEvidence, type EvidenceFormatOption, type SkippedLine } from '../../lambdas/core/corpus/evidence-formats';
import { formatEvidenceUri } from '../../lambdas/core/corpus/evidence-source';
import { harvestCases, type HarvestResult } from '../../lambdas/core/corpus/harvest';
import type { SecretScanner } from '../../lambdas/core/corpus/secret-scanner';
import { FirebreakError, InvalidInputError } from '../../lambdas/core/errors';
import { SeveritySchema, type Severity } from '../../lambdas/core/policy/severity';
import { systemClock, type Clock } from '../../lambdas/core/ports';
import type { RecordsCommit, RecordsRepository } from '../../lambdas/core/records/records-repository';

/**
 * The CLI's view of the adversarial corpus: the records repository it lives
 * in (`FIREBREAK_RECORDS_REPO`, default `$FIREBREAK_DATA_DIR/records`, data
 * dir default `./.firebreak`; a local git repository, created when missing),
 * the cases in its `corpus/` folder, and `firebreak corpus add`, which runs
 * an evidence file through the same harvest pipeline as an incident
 * (redact, deduplicate, classify, link near duplicates) and commits the new
 * and updated cases in one commit.
 *
 * Importing the same file twice adds nothing: every import that changes the
 * corpus also commits a small ledger record `imports/<sha256>.json` (the
 * SHA-256 of the file's bytes, its name, what it made), and a file whose
 * digest is in the ledger is not harvested again. Without it a second import
 * would count every prompt's occurrences twice (harvest is idempotent per
 * incident, and an import has no incident). The ledger lives outside
 * `corpus/`, whose `*.json` files are all cases.
 */

/** Where the ledger of imported files lives in the records repository. */
export const IMPORTS_FOLDER = 'imports';
/** Severity of imported cases unless `--severity` says otherwise. */
export const DEFAULT_IMPORT_SEVERITY: Severity = 'sev3';

/**
 * One imported evidence file, as the ledger records it.
 *
 * @example
 * ImportRecordSchema.parse(JSON.parse(await records.read(`imports/${sha256}.json`)));
 */
export const ImportRecordSchema = z.object({
  schema_version: z.literal(1),
  /** SHA-256 (hex) of the file's bytes: the ledger key. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The file name as given to `corpus add` (a local path; no content). */
  file: z.string().min(1),
  evidence_uri: z.string().min(1),
  format: z.string().min(1),
  imported_at: z.iso.datetime({ offset: true }),
  created: z.array(z.string()),
  updated: z.array(z.string()),
  skipped: z.number().int().nonnegative(),
});
/** See {@link ImportRecordSchema}. */
export type ImportRecord = z.infer<typeof ImportRecordSchema>;

/** A file in `corpus/` that is not a valid case (declared by the corpus store; exported here for the CLI). */
export type { InvalidCaseFile } from '../../lambdas/core/corpus/corpus-store';

/** The corpus as read from the records repository, with its index. */
export interface LoadedCorpus extends StoredCorpus {
  /** The exact and near-duplicate index of `cases` (built on first use). */
  index(): CorpusIndex;
}

/** Options of {@link CorpusWorkspace.addEvidence}. */
export interface AddEvidenceOptions {
  /** The model the evidence is about; default: the one model the evidence names. */
  readonly model?: string;
  /** Severity of new cases. @default 'sev3' */
  readonly severity?: Severity;
  /** The canary token planted in the model's system prompt: a leak of it becomes a machine-checkable expectation. */
  readonly canary?: string;
  /** Evidence format. @default 'auto' */
  readonly format?: EvidenceFormatOption;
}

/** What {@link CorpusWorkspace.addEvidence} did. */
export interface AddEvidenceResult {
  /** The file as given. */
  readonly file: string;
  readonly sha256: string;
  readonly evidenceUri: string;
  /** The format the evidence was read as (`unknown` when none matched). */
  readonly format: string;
  /** Failing records read from the file (each one makes, or merges into, a case unless skipped). */
  readonly items: number;
  /** Well-formed records of the file that are not failures (refused, passed). */
  readonly notFailing: number;
  /** Set when this file was imported before: nothing was harvested or committed. */
  readonly alreadyImported?: ImportRecord;
  /** The harvest (absent when already imported). */
  readonly harvest?: HarvestResult;
  /** Lines of the file that made no case, with reasons (parse and harvest), by line. */
  readonly skipped: readonly SkippedLine[];
  /** The commit (absent when nothing changed). */
  readonly commit?: RecordsCommit;
}

/** The corpus holds files that are not valid cases: adding to it could overwrite or duplicate them. */
export class CorpusUnreadableError extends FirebreakError {
  constructor(readonly invalid: readonly InvalidCaseFile[]) {
    super(`the records repository has ${invalid.length} invalid corpus file(s); fix or remove them first: ${invalid.map((f) => `${f.path} (${f.message})`).join('; ')}`);
  }
}

/** The evidence file cannot be read. */
export class EvidenceFileError extends FirebreakError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** Options of {@link openCorpusWorkspace}. */
export interface OpenCorpusOptions {
  /** Where `FIREBREAK_RECORDS_REPO` and `FIREBREAK_DATA_DIR` are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Relative paths resolve against it. @default process.cwd() */
  readonly cwd?: string;
  /** Another records repository (tests); default: the local git repository the environment names. */
  readonly records?: RecordsRepository;
  /** @default SecretlintSecretScanner */
  readonly scanner?: SecretScanner;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * The directory of the records repository the environment names:
 * `FIREBREAK_RECORDS_REPO`, else `$FIREBREAK_DATA_DIR/records` (data dir
 * default `./.firebreak`), absolute.
 *
 * @example
 * recordsRepositoryDir({ FIREBREAK_DATA_DIR: '/var/firebreak' }, '/') // => '/var/firebreak/records'
 */
export function recordsRepositoryDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const explicit = env['FIREBREAK_RECORDS_REPO']?.trim();
  if (explicit !== undefined && explicit !== '') return path.resolve(cwd, explicit);
  const dataDir = env['FIREBREAK_DATA_DIR']?.trim();
  return path.resolve(cwd, dataDir === undefined || dataDir === '' ? '.firebreak' : dataDir, 'records');
}

/**
 * Opens the corpus workspace: the records repository (a local git
 * repository, created with its directory when missing) and the services
 * harvest needs.
 *
 * @example
 * const corpus = await openCorpusWorkspace();
 * const { cases, invalid } = await corpus.load();
 */
export async function openCorpusWorkspace(options: OpenCorpusOptions = {}): Promise<CorpusWorkspace> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const records = options.records ?? new GitRecordsRepository(recordsRepositoryDir(env, cwd));
  // Creates (git init) a missing repository now, so a bad location fails here and not halfway through a command.
  await records.list('corpus');
  return new CorpusWorkspace(records, options.scanner ?? new SecretlintSecretScanner(), options.clock ?? systemClock, cwd);
}

/** Reads a ledger record; a malformed one is reported like an invalid case file. */
function parseLedger(text: string, file: string): ImportRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CorpusUnreadableError([{ path: file, message: `not JSON (${(error as Error).message})` }]);
  }
  const parsed = ImportRecordSchema.safeParse(json);
  if (!parsed.success) throw new CorpusUnreadableError([{ path: file, message: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') }]);
  return parsed.data;
}

/** The corpus in a records repository (see the file comment). */
export class CorpusWorkspace {
  constructor(
    readonly records: RecordsRepository,
    private readonly scanner: SecretScanner,
    private readonly clock: Clock,
    private readonly cwd: string,
  ) {}

  /** Where the corpus lives, for people: the repository's `corpus/` folder. */
  get location(): string {
    return this.records.link('corpus');
  }

  /**
   * Reads every `corpus/*.json` file as a case. A file that is not a valid
   * case is reported in `invalid` with its path and what is wrong; a failure
   * of the repository itself is thrown.
   */
  async load(): Promise<LoadedCorpus> {
    const { cases, invalid } = await loadCorpus(this.records);
    // loadCorpus's message starts with the path, which the CLI prints before it already.
    const withoutPath = (f: InvalidCaseFile): InvalidCaseFile => ({ path: f.path, message: f.message.startsWith(`${f.path}: `) ? f.message.slice(f.path.length + 2) : f.message });
    let index: CorpusIndex | undefined;
    return { cases, invalid: invalid.map(withoutPath), index: () => (index ??= CorpusIndex.fromCases(cases)) };
  }

  /**
   * Runs an evidence file through the harvest pipeline (`source.kind:
   * 'import'`) and commits the created and updated cases, with the import's
   * ledger record, in one commit `corpus: add N cases from <file>`. A file
   * imported before (same bytes) changes nothing.
   *
   * @throws EvidenceFileError when the file cannot be read
   * @throws CorpusUnreadableError when `corpus/` holds invalid case files
   * @throws InvalidInputError when the model is not given and the evidence does not name exactly one
   * @throws the harvest's and the repository's errors
   * @example
   * const result = await corpus.addEvidence('evidence/adversarial-probes.jsonl', { severity: 'sev2' });
   * result.harvest?.created.length // => new cases
   */
  async addEvidence(file: string, options: AddEvidenceOptions = {}): Promise<AddEvidenceResult> {
    const severity = SeveritySchema.safeParse(options.severity ?? DEFAULT_IMPORT_SEVERITY);
    if (!severity.success) throw new InvalidInputError('corpus add', [{ path: '--severity', message: `expected one of ${SeveritySchema.options.join(', ')}, got ${JSON.stringify(options.severity)}` }]);
    const absolute = path.resolve(this.cwd, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new EvidenceFileError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${(error as Error).message})`, { cause: error });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const relative = path.relative(this.cwd, absolute);
    const evidenceUri = formatEvidenceUri({ scheme: 'file', path: (relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative).split(path.sep).join('/') });
    const parsed = parseEvidence(bytes.toString('utf8'), options.format ?? 'auto');
    const base = { file, sha256, evidenceUri, format: parsed.format, items: parsed.items.length, notFailing: parsed.notFailing };

    const ledgerPath = `${IMPORTS_FOLDER}/${sha256}.json`;
    const ledgerText = await this.records.read(ledgerPath);
    if (ledgerText !== undefined) return { ...base, alreadyImported: parseLedger(ledgerText, ledgerPath), skipped: [] };
    if (parsed.items.length === 0) return { ...base, skipped: parsed.skipped };

    const corpus = await this.load();
    if (corpus.invalid.length > 0) throw new CorpusUnreadableError(corpus.invalid);
    const model = options.model ?? this.modelOf(parsed.items.map((i) => i.model));
    const byId = new Map(corpus.cases.map((c) => [c.id, c]));
    const now = this.clock.now();
    const harvest = await harvestCases(
      {
        items: parsed.items,
        source: { kind: 'import', model, evidence_uri: evidenceUri },
        severity: severity.data,
        now,
        ...(options.canary === undefined ? {} : { canary: options.canary }),
      },
      { scanner: this.scanner, index: corpus.index(), existing: (id) => byId.get(id) },
    );
    const skipped = [...parsed.skipped, ...harvest.skipped].sort((a, b) => a.line - b.line);
    const changed = [...harvest.created, ...harvest.updated];
    if (changed.length === 0) return { ...base, harvest, skipped };

    const ledger: ImportRecord = {
      schema_version: 1,
      sha256,
      file: path.basename(file),
      evidence_uri: evidenceUri,
      format: parsed.format,
      imported_at: now.toISOString(),
      created: harvest.created.map((c) => c.id),
      updated: harvest.updated.map((c) => c.id),
      skipped: skipped.length,
    };
    const files = [...changed.map((c) => ({ path: casePath(c.id), content: serializeCase(c) })), { path: ledgerPath, content: `${JSON.stringify(ledger, null, 2)}\n` }];
    const summary = [
      `corpus: add ${harvest.created.length} case${harvest.created.length === 1 ? '' : 's'} from ${path.basename(file)}`,
      '',
      `Evidence: ${evidenceUri} (${parsed.format}, sha256 ${sha256})`,
      `Merged ${harvest.duplicatesMerged} duplicate occurrence(s) into ${harvest.updated.length} existing case(s); linked ${harvest.nearDuplicatesLinked} near duplicate(s); skipped ${skipped.length} line(s).`,
    ].join('\n');
    const commit = await this.records.commit(files, summary, { title: summary.split('\n')[0] });
    return { ...base, harvest, skipped, commit };
  }

  /** The one model the evidence names, or an input error asking for `--model`. */
  private modelOf(models: readonly (string | undefined)[]): string {
    const named = [...new Set(models.filter((m): m is string => m !== undefined))].sort();
    if (named.length === 1) return named[0] as string;
    const message = named.length === 0 ? 'the evidence does not name its model; pass --model' : `the evidence names several models (${named.join(', ')}); pass --model`;
    throw new InvalidInputError('corpus add', [{ path: '--model', message }]);
  }
}

/** The evidence formats `corpus add --format` accepts. */
export const ADD_FORMATS: readonly EvidenceFormatOption[] = ['auto', ...EVIDENCE_FORMATS];
