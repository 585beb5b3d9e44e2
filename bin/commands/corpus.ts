import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import type { CaseStatus, RegressionCase } from '../../lambdas/core/corpus/case';
import { corpusStats, type Counts } from '../../lambdas/core/corpus/corpus-stats';
import { casesWithCanaryCheck, toGarakPayload, toPromptfooTests } from '../../lambdas/core/corpus/export';
import { FirebreakError, InvalidInputError } from '../../lambdas/core/errors';
import { SeveritySchema, type Severity } from '../../lambdas/core/policy/severity';
import type { Clock } from '../../lambdas/core/ports';
import type { RecordsRepository } from '../../lambdas/core/records/records-repository';
import type { SecretScanner } from '../../lambdas/core/corpus/secret-scanner';
import { ADD_FORMATS, openCorpusWorkspace, type AddEvidenceResult, type CorpusWorkspace, type InvalidCaseFile } from '../../local/corpus/corpus-workspace';
import { toJUnitXml } from '../../local/corpus/junit';
import { chatCompletionsUrl, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, discoverModel, replayCorpus, summarizeReplay, type FetchLike, type ReplayResult } from '../../local/corpus/replay';
import type { EvidenceFormatOption } from '../../lambdas/core/corpus/evidence-formats';
import { processIo, type CliIo } from './io';

const USAGE = [
  'usage: firebreak corpus <add|stats|export|replay> [options]',
  '',
  '  add --from FILE [--model M] [--severity sev1..sev4] [--canary TOKEN] [--format F]',
  '      run an evidence file (demo-model JSONL, garak hitlog/report, promptfoo results, prompts)',
  '      through the harvest pipeline and commit the new cases; adding the same file again adds nothing',
  '  stats [--json]',
  '      cases by status, OWASP LLM Top 10 2025 id, category, technique, severity',
  '  export --format promptfoo|garak [--out FILE] [--name NAME] [--include-retired] [--canary TOKEN]',
  '      promptfoo test cases (YAML `tests:`) or a garak payload file (JSON), on stdout unless --out;',
  '      promptfoo tests of cases that expect no canary leak check for the canary (not-icontains)',
  '  replay --target URL [--model M] [--concurrency N] [--junit FILE] [--status active|quarantined|all]',
  '         [--timeout SECONDS] [--canary TOKEN]',
  '      send every case to an OpenAI-compatible endpoint, judge each response, print a table,',
  '      write a JUnit report (default firebreak-replay.junit.xml); exit 1 if an active case fails',
  '',
  'The corpus lives in the records repository: FIREBREAK_RECORDS_REPO, default $FIREBREAK_DATA_DIR/records',
  '(data dir default ./.firebreak), a git repository created when missing. FIREBREAK_CANARY is the default',
  'canary token; FIREBREAK_REPLAY_API_KEY, when set, is sent to the target as a bearer token.',
  'Exit codes: 0 success, 1 failure (a failing case, an unreadable corpus file, an error), 2 usage error.',
].join('\n');

/** What the corpus command needs from its surroundings; tests replace them. */
export interface CorpusCommandOptions {
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default process.cwd() */
  readonly cwd?: string;
  readonly records?: RecordsRepository;
  readonly scanner?: SecretScanner;
  readonly clock?: Clock;
  /** The `fetch` replay uses. */
  readonly fetch?: FetchLike;
  /** Whether stderr is a terminal (a progress bar) or not (plain progress lines). @default process.stderr.isTTY when `io` is the process's own */
  readonly stderrIsTTY?: boolean;
}

/** A usage error: the message is printed with the usage, exit 2. */
class UsageError extends FirebreakError {
  constructor(message: string) {
    super(message);
  }
}

const STATUS_CHOICES = ['active', 'quarantined', 'all'] as const;
const EXPORT_FORMATS = ['promptfoo', 'garak'] as const;
const DEFAULT_JUNIT = 'firebreak-replay.junit.xml';
const DEFAULT_GARAK_NAME = 'Firebreak adversarial corpus regressions';

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;
type Values = Readonly<Record<string, string | boolean | undefined>>;

function parse(sub: string, args: string[], options: OptionSpec): Values {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(`${sub}: ${(error as Error).message}`);
  }
  if (parsed.positionals.length > 0) throw new UsageError(`${sub}: unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  return parsed.values;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function nonEmpty(sub: string, flag: string, v: string | boolean | undefined): string | undefined {
  const s = str(v);
  if (s !== undefined && s.trim() === '') throw new UsageError(`${sub}: ${flag} needs a value`);
  return s;
}

/**
 * `firebreak corpus add|stats|export|replay` (see the usage text).
 *
 * @returns 0 success, 1 failure (a failing case in replay, an unreadable corpus file, an error), 2 usage error
 * @example
 * const code = await corpusCommand(['replay', '--target', 'http://127.0.0.1:8788', '--junit', 'replay.xml'], processIo);
 */
export async function corpusCommand(args: string[], io: CliIo, options: CorpusCommandOptions = {}): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'add':
        return await add(rest, io, options);
      case 'stats':
        return await stats(rest, io, options);
      case 'export':
        return await exportCorpus(rest, io, options);
      case 'replay':
        return await replay(rest, io, options);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('needs a subcommand');
      default:
        throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`firebreak corpus ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof InvalidInputError && error.subject === 'corpus add') {
      // An option the evidence makes necessary (--model when it names none or several): a usage error.
      io.stderr(`firebreak corpus add: ${error.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}\n`);
      return 2;
    }
    if (error instanceof FirebreakError || error instanceof RangeError) {
      io.stderr(`firebreak corpus ${sub ?? ''}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function open(options: CorpusCommandOptions): Promise<CorpusWorkspace> {
  return openCorpusWorkspace({
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.scanner === undefined ? {} : { scanner: options.scanner }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

const envOf = (options: CorpusCommandOptions): Readonly<Record<string, string | undefined>> => options.env ?? process.env;

function reportInvalid(io: CliIo, sub: string, invalid: readonly InvalidCaseFile[]): void {
  for (const f of invalid) io.stderr(`firebreak corpus ${sub}: ${f.path} is not a valid case: ${f.message}\n`);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

// --- add ---------------------------------------------------------------------------------------

async function add(args: string[], io: CliIo, options: CorpusCommandOptions): Promise<number> {
  const v = parse('add', args, { from: { type: 'string' }, model: { type: 'string' }, severity: { type: 'string' }, canary: { type: 'string' }, format: { type: 'string' } });
  const from = nonEmpty('add', '--from', v['from']);
  if (from === undefined) throw new UsageError('add: --from FILE is required');
  const severity = str(v['severity']);
  if (severity !== undefined && !SeveritySchema.safeParse(severity).success) throw new UsageError(`add: --severity must be one of ${SeveritySchema.options.join(', ')}, got ${JSON.stringify(severity)}`);
  const format = str(v['format']) ?? 'auto';
  if (!(ADD_FORMATS as readonly string[]).includes(format)) throw new UsageError(`add: --format must be one of ${ADD_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const model = nonEmpty('add', '--model', v['model']);
  const canary = nonEmpty('add', '--canary', v['canary']) ?? (envOf(options)['FIREBREAK_CANARY'] || undefined);

  const corpus = await open(options);
  const result = await corpus.addEvidence(from, {
    format: format as EvidenceFormatOption,
    ...(model === undefined ? {} : { model }),
    ...(severity === undefined ? {} : { severity: severity as Severity }),
    ...(canary === undefined ? {} : { canary }),
  });
  printAdd(io, result, corpus.location);
  return result.format === 'unknown' && result.skipped.length > 0 ? 1 : 0;
}

function caseLine(c: RegressionCase): string {
  return `${c.id}  ${c.taxonomy.owasp}  ${c.taxonomy.category}/${c.taxonomy.technique}  (${c.detector.kind})`;
}

function printAdd(io: CliIo, r: AddEvidenceResult, location: string): void {
  if (r.alreadyImported !== undefined) {
    const a = r.alreadyImported;
    io.stdout(`nothing to add: ${r.file} (sha256 ${r.sha256.slice(0, 12)}…) was added on ${a.imported_at} (${plural(a.created.length, 'case')} created, ${a.updated.length} updated)\n`);
    return;
  }
  io.stdout(`${r.file}: ${r.format} evidence, ${r.items} failing record(s), ${r.notFailing} not failing\n`);
  const h = r.harvest;
  if (h !== undefined) {
    io.stdout(`created ${plural(h.created.length, 'case')}\n`);
    for (const c of h.created) io.stdout(`  + ${caseLine(c)}${c.near_dup_of === undefined ? '' : `  near duplicate of ${c.near_dup_of.id} (similarity ${c.near_dup_of.similarity.toFixed(2)})`}\n`);
    io.stdout(`merged ${plural(h.duplicatesMerged, 'duplicate occurrence')}${h.updated.length === 0 ? '' : ` (into ${plural(h.updated.length, 'existing case')})`}\n`);
    for (const c of h.updated) io.stdout(`  = ${c.id}  occurrences ${c.source.occurrences}\n`);
    io.stdout(`linked ${plural(h.nearDuplicatesLinked, 'near duplicate')}\n`);
    const counts = Object.entries(h.redactions).sort(([a], [b]) => a.localeCompare(b));
    io.stdout(`redactions: ${counts.length === 0 ? 'none' : counts.map(([type, n]) => `${type} ${n}`).join(', ')}\n`);
  }
  io.stdout(`skipped ${plural(r.skipped.length, 'line')}\n`);
  for (const s of r.skipped) io.stdout(`  - ${s.line === 0 ? 'file' : `line ${s.line}`}: ${s.reason}\n`);
  if (r.commit?.changed === true) io.stdout(`committed ${r.commit.revision?.slice(0, 12) ?? ''} to ${location} (${plural(r.commit.paths.length, 'file')})\n`);
  else io.stdout('nothing to commit\n');
}

// --- stats -------------------------------------------------------------------------------------

function countsLine(counts: Counts): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

async function stats(args: string[], io: CliIo, options: CorpusCommandOptions): Promise<number> {
  const v = parse('stats', args, { json: { type: 'boolean' } });
  const corpus = await open(options);
  const { cases, invalid } = await corpus.load();
  const s = corpusStats(cases);
  if (v['json'] === true) {
    io.stdout(`${JSON.stringify({ ...s, invalidFiles: invalid }, null, 2)}\n`);
  } else {
    const rows: [string, string][] = [
      ['cases', String(s.cases)],
      ['status', countsLine(s.byStatus)],
      ['OWASP 2025', countsLine(s.byOwasp)],
      ['category', countsLine(s.byCategory)],
      ['technique', countsLine(s.byTechnique)],
      ['severity', countsLine(s.bySeverity)],
      ['source', countsLine(s.bySourceKind)],
      ['detector', countsLine(s.byDetectorKind)],
      ['occurrences', String(s.occurrences)],
      ['near-dup links', String(s.nearDupLinks)],
      ['incidents', String(s.incidents)],
    ];
    io.stdout(`corpus at ${corpus.location}\n`);
    for (const [k, value] of rows) io.stdout(`${k.padEnd(16)}${value}\n`);
  }
  reportInvalid(io, 'stats', invalid);
  return invalid.length > 0 ? 1 : 0;
}

// --- export ------------------------------------------------------------------------------------

async function exportCorpus(args: string[], io: CliIo, options: CorpusCommandOptions): Promise<number> {
  const v = parse('export', args, { format: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, 'include-retired': { type: 'boolean' }, canary: { type: 'string' } });
  const format = str(v['format']);
  if (format === undefined) throw new UsageError(`export: --format ${EXPORT_FORMATS.join('|')} is required`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`export: --format must be ${EXPORT_FORMATS.join(' or ')}, got ${JSON.stringify(format)}`);
  const out = nonEmpty('export', '--out', v['out']);
  const name = nonEmpty('export', '--name', v['name']) ?? DEFAULT_GARAK_NAME;
  const canary = nonEmpty('export', '--canary', v['canary']) ?? (envOf(options)['FIREBREAK_CANARY']?.trim() || undefined);
  const exportOptions = { includeRetired: v['include-retired'] === true };
  const corpus = await open(options);
  const { cases, invalid } = await corpus.load();
  const text = format === 'promptfoo' ? toPromptfooTests(cases, { ...exportOptions, ...(canary === undefined ? {} : { canary }) }) : toGarakPayload(cases, name, exportOptions);
  warnUncheckedCanary(io, format, casesWithCanaryCheck(cases, exportOptions), canary);
  if (out === undefined) io.stdout(text);
  else {
    const file = path.resolve(options.cwd ?? process.cwd(), out);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, 'utf8');
    const exported = cases.filter((c) => exportOptions.includeRetired || c.status !== 'retired').length;
    io.stderr(`exported ${plural(exported, 'case')} as ${format} to ${out}\n`);
  }
  reportInvalid(io, 'export', invalid);
  return invalid.length > 0 ? 1 : 0;
}

/** Says on stderr which cases expecting no canary leak the export cannot check for it. */
function warnUncheckedCanary(io: CliIo, format: string, split: ReturnType<typeof casesWithCanaryCheck>, canary: string | undefined): void {
  if (format === 'garak') {
    const n = split.stored.length + split.unchecked.length;
    if (n > 0) io.stderr(`export: a garak payload file carries prompts only: the canary check of ${plural(n, 'case')} is not in it; check it with \`firebreak corpus replay --canary TOKEN\` or --format promptfoo\n`);
  } else if (canary === undefined && split.unchecked.length > 0) {
    io.stderr(`export: ${plural(split.unchecked.length, 'case')} ${split.unchecked.length === 1 ? 'expects' : 'expect'} no canary leak but hold no canary (none was known at harvest): pass --canary TOKEN or set FIREBREAK_CANARY to check it\n`);
  }
}

// --- replay ------------------------------------------------------------------------------------

/** A progress display: a bar on a terminal, plain lines otherwise. */
interface Progress {
  update(done: number, failed: number): void;
  stop(): void;
}

function progressFor(io: CliIo, total: number, tty: boolean): Progress {
  if (tty && total > 0) {
    const bar = new SingleBar({ stream: process.stderr, format: 'replay [{bar}] {value}/{total} cases | {failed} failing | {duration_formatted}', hideCursor: true, clearOnComplete: false });
    bar.start(total, 0, { failed: 0 });
    return { update: (done, failed) => bar.update(done, { failed }), stop: () => bar.stop() };
  }
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    update: (done, failed) => {
      if (done % step === 0 || done === total) io.stderr(`replay: ${done}/${total} cases, ${failed} failing\n`);
    },
    stop: () => undefined,
  };
}

const RESULT_LABEL: Readonly<Record<ReplayResult['outcome'], string>> = { passed: 'pass', failed: 'FAIL', error: 'ERROR' };

function formatTable(results: readonly ReplayResult[], gating: ReadonlySet<string>): string {
  const header = ['CASE', 'OWASP', 'TECHNIQUE', 'RESULT', 'REASON'];
  const rows = results.map((r) => [r.caseId, r.owasp, r.technique, `${RESULT_LABEL[r.outcome]}${r.outcome !== 'passed' && !gating.has(r.caseId) ? ' (not gating)' : ''}`, r.reason]);
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string => `${cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i] as number) : c)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A corpus file that could not be read, as a replay result: the gate cannot vouch for it. */
function unreadableResult(f: InvalidCaseFile): ReplayResult {
  return { caseId: f.path, owasp: 'unknown', category: 'unreadable', technique: '-', detector: '-', outcome: 'error', reason: `not a valid case: ${f.message}`, durationMs: 0, excerpt: '' };
}

async function replay(args: string[], io: CliIo, options: CorpusCommandOptions): Promise<number> {
  const v = parse('replay', args, {
    target: { type: 'string' },
    model: { type: 'string' },
    concurrency: { type: 'string' },
    junit: { type: 'string' },
    status: { type: 'string' },
    timeout: { type: 'string' },
    canary: { type: 'string' },
  });
  const target = nonEmpty('replay', '--target', v['target']);
  if (target === undefined) throw new UsageError('replay: --target URL is required');
  let url: string;
  try {
    url = chatCompletionsUrl(target);
  } catch (error) {
    throw new UsageError(`replay: ${(error as Error).message}`);
  }
  const concurrency = Number(str(v['concurrency']) ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`replay: --concurrency must be a whole number from 1 to 256, got ${JSON.stringify(v['concurrency'])}`);
  const timeoutSeconds = Number(str(v['timeout']) ?? DEFAULT_TIMEOUT_MS / 1000);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`replay: --timeout must be a positive number of seconds, got ${JSON.stringify(v['timeout'])}`);
  const status = str(v['status']) ?? 'active';
  if (!(STATUS_CHOICES as readonly string[]).includes(status)) throw new UsageError(`replay: --status must be one of ${STATUS_CHOICES.join(', ')}, got ${JSON.stringify(status)}`);
  const junit = nonEmpty('replay', '--junit', v['junit']) ?? DEFAULT_JUNIT;
  const env = envOf(options);
  const canary = nonEmpty('replay', '--canary', v['canary']) ?? (env['FIREBREAK_CANARY'] || undefined);
  const apiKey = env['FIREBREAK_REPLAY_API_KEY'] || undefined;

  const corpus = await open(options);
  const { cases, invalid } = await corpus.load();
  const wanted: readonly CaseStatus[] = status === 'all' ? ['active', 'quarantined'] : [status as CaseStatus];
  const selected = cases.filter((c) => wanted.includes(c.status)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Quarantined cases are reported, never gating (case.ts); unreadable files always gate.
  const gating = new Set(selected.filter((c) => c.status === 'active').map((c) => c.id));
  for (const f of invalid) gating.add(f.path);
  reportInvalid(io, 'replay', invalid);

  const model = nonEmpty('replay', '--model', v['model']) ?? (selected.length === 0 ? 'unknown' : await discoverModel(target, { ...(options.fetch === undefined ? {} : { fetch: options.fetch }), ...(apiKey === undefined ? {} : { apiKey }) }));
  if (selected.length === 0) io.stderr(`replay: no ${status === 'all' ? 'active or quarantined' : status} cases in ${corpus.location}: nothing to replay\n`);
  else io.stderr(`replay: ${plural(selected.length, `${status === 'all' ? '' : `${status} `}case`)} against ${url} (model ${model}, concurrency ${concurrency})\n`);

  const tty = options.stderrIsTTY ?? (io === processIo && process.stderr.isTTY === true);
  const progress = progressFor(io, selected.length, tty);
  const startedAt = options.clock?.now() ?? new Date();
  let failing = 0;
  let results: ReplayResult[];
  try {
    results = await replayCorpus({
      cases: selected,
      target,
      model,
      concurrency,
      timeoutMs: timeoutSeconds * 1000,
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(canary === undefined ? {} : { canary }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      onProgress: ({ done, result }) => {
        if (result.outcome !== 'passed') failing += 1;
        progress.update(done, failing);
      },
    });
  } finally {
    progress.stop();
  }
  const all = [...results, ...invalid.map(unreadableResult)];

  const junitFile = path.resolve(options.cwd ?? process.cwd(), junit);
  await mkdir(path.dirname(junitFile), { recursive: true });
  await writeFile(junitFile, toJUnitXml(all, { startedAt, target: url, model }), 'utf8');

  if (all.length > 0) io.stdout(`${formatTable(all, gating)}\n\n`);
  const sum = summarizeReplay(all);
  const gateFailures = all.filter((r) => r.outcome !== 'passed' && gating.has(r.caseId)).length;
  const verdict = gateFailures === 0 ? 'gate PASSED' : `gate FAILED (${plural(gateFailures, 'gating case')} did not pass)`;
  io.stdout(`${plural(sum.total, 'case')}: ${sum.passed} passed, ${sum.failed} failed, ${plural(sum.errors, 'error')} — ${verdict}\n`);
  io.stdout(`JUnit report: ${junit}\n`);
  return gateFailures === 0 ? 0 : 1;
}
