/**
 * Parsing of the SLO policy text (pure: no file system; the file adapter is
 * `lambdas/adapters/file-policy-source.ts`).
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { PolicyError, type InputIssue } from '../errors';
import { PolicySchema, type Policy } from './schema';

type Path = readonly PropertyKey[];

/**
 * Parses and validates the policy text. Every problem is reported at once,
 * each with its path in the file (`slos[2].objective.target`), what was
 * expected, and its line:column.
 *
 * @param text - the YAML text
 * @param file - the file name to put in errors
 * @returns the policy, deeply frozen (it is shared by cached callers)
 * @throws PolicyError when the YAML is malformed or the policy is invalid
 *
 * @example
 * const policy = parsePolicy(readFileSync('runbooks/slos.yaml', 'utf8'), 'runbooks/slos.yaml');
 * policy.slos.map((s) => s.id); // => ['adversarial-refusal-rate', ...]
 */
export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { path: `${line}:${col}`, message: `invalid YAML: ${e.message}` };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (cause) {
    // e.g. too many alias expansions ("billion laughs")
    throw new PolicyError(file, [{ path: '', message: `invalid YAML: ${(cause as Error).message}` }], { cause });
  }
  if (data === null || data === undefined) {
    throw new PolicyError(file, [{ path: '', message: 'the document is empty: expected a mapping with version, default and slos' }]);
  }
  const result = PolicySchema.safeParse(data, { error: describeIssue });
  if (!result.success) {
    throw new PolicyError(file, result.error.issues.flatMap((issue) => toInputIssues(issue, doc, lines)));
  }
  return deepFreeze(result.data);
}

/** `slos[2].objective.target`; keys that are not identifiers are quoted: `match["app.kubernetes.io/name"]`. */
function formatPath(path: Path): string {
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      const key = String(part);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

function toInputIssues(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): InputIssue[] {
  if (issue.code === 'unrecognized_keys') {
    // One issue per key, so each points at its own line. The messages were built per key by describeIssue.
    const messages = issue.message.split('\n');
    return issue.keys.map((key, i) => {
      const path = [...issue.path, key];
      return { path: formatPath(path), message: `${messages[i] ?? 'unknown key'}${where(doc, lines, path, true)}` };
    });
  }
  return [{ path: formatPath(issue.path), message: `${issue.message}${where(doc, lines, issue.path, false)}` }];
}

/** ` (line L:C)` of the node at `path`, or of its nearest ancestor that exists (for a missing key). */
function where(doc: Document, lines: LineCounter, path: Path, pointAtKey: boolean): string {
  let offset: number | undefined;
  if (pointAtKey && path.length > 0) {
    const parent = doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1))) : undefined;
    if (isScalar(pair?.key)) offset = pair.key.range?.[0];
  }
  for (let n = path.length; offset === undefined && n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) offset = range[0];
  }
  if (offset === undefined) return '';
  const { line, col } = lines.linePos(offset);
  return ` (line ${line}:${col})`;
}

/**
 * Messages in the words of the file: "expected a number, got string". Only
 * used where the schema gave no message of its own.
 */
function describeIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? `missing: expected ${article(iss.expected)}` : `expected ${article(iss.expected)}, got ${typeName(iss.input)}`;
    case 'invalid_value':
      return `expected ${iss.values.length === 1 ? show(iss.values[0]) : `one of ${iss.values.map(show).join(', ')}`}, got ${show(iss.input)}`;
    case 'unrecognized_keys':
      return iss.keys.map((key) => unknownKeyMessage(key, knownKeys(iss.inst), iss.input)).join('\n');
    case 'too_small':
    case 'too_big':
      return bound(iss.code === 'too_small' ? 'at least' : 'at most', iss.origin, Number(iss.code === 'too_small' ? iss.minimum : iss.maximum), iss.inclusive, iss.input);
    case 'invalid_union': {
      const { discriminator, options } = iss as { discriminator?: string; options?: unknown[] };
      if (!discriminator || !options) return undefined;
      const value = (iss.input as Record<string, unknown> | undefined)?.[discriminator];
      const expected = `one of ${options.map(show).join(', ')}`;
      return value === undefined ? `missing: expected ${expected}` : `expected ${expected}, got ${show(value)}`;
    }
    default:
      return undefined;
  }
}

function bound(which: string, origin: string, limit: number, inclusive: boolean | undefined, input: unknown): string {
  if (origin === 'array') return `expected ${which} ${limit} item${limit === 1 ? '' : 's'}`;
  if (origin === 'string') return `expected ${which} ${limit} character${limit === 1 ? '' : 's'}`;
  const op = which === 'at least' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `expected a number ${op} ${limit}, got ${show(input)}`;
}

function knownKeys(inst: unknown): string[] {
  return inst instanceof z.ZodObject ? Object.keys(inst.shape) : [];
}

function unknownKeyMessage(key: string, known: string[], input: unknown): string {
  const present = new Set(Object.keys(input ?? {}));
  const near = known.filter((k) => !present.has(k) && editDistance(k, key.toLowerCase()) <= 2);
  const hint = near.length > 0 ? `; did you mean ${near.map(show).join(' or ')}?` : known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
  return `unknown key ${show(key)}${hint}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

const ARTICLES: Record<string, string> = { object: 'a mapping', array: 'a list', boolean: 'a boolean (true or false)', number: 'a number', string: 'a string' };
const article = (type: string): string => ARTICLES[type] ?? type;
const typeName = (v: unknown): string => (v === null ? 'null (empty value)' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v);
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? typeName(v) : String(v));

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}
