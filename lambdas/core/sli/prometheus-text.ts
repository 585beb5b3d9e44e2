/**
 * A parser for the Prometheus text exposition format (version 0.0.4, what
 * prom-client serves on `/metrics`), pure and small: samples with their
 * labels, values and optional timestamps, and the `# TYPE` of each family.
 * prom-client has no parser of its own (it only writes the format).
 *
 * Accepted: `# HELP` / `# TYPE` / other comments, blank lines, label values
 * with the escapes `\\`, `\"` and `\n`, a trailing comma in the label set,
 * `NaN` / `+Inf` / `-Inf` values, a millisecond timestamp, and an
 * OpenMetrics exemplar (`# {…} …`) after the value, which is ignored.
 */

/** One sample line. */
export interface PromSample {
  /** The sample's own name (`demo_model_ttft_seconds_bucket`, not the family name). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  readonly timestampMs?: number;
}

/** A parsed exposition. */
export interface PromExposition {
  readonly samples: readonly PromSample[];
  /** Family name → type (`counter`, `gauge`, `histogram`, `summary`, `untyped`). */
  readonly types: ReadonlyMap<string, string>;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

/**
 * A sample value as the format writes it: a Go float, `NaN`, `+Inf`, `-Inf`.
 *
 * @example
 * parsePromValue('+Inf') // => Infinity
 * parsePromValue('1.5e-3') // => 0.0015
 */
export function parsePromValue(text: string): number {
  const t = text.trim();
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new SyntaxError(`expected a number, NaN, +Inf or -Inf, got ${JSON.stringify(text)}`);
  return Number(t);
}

/**
 * Parses Prometheus text. Throws a SyntaxError naming the line on a
 * malformed sample.
 *
 * @example
 * parsePrometheusText('# TYPE x_total counter\nx_total{a="b"} 3\n').samples
 * // => [{ name: 'x_total', labels: { a: 'b' }, value: 3 }]
 */
export function parsePrometheusText(text: string): PromExposition {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.trimStart().startsWith('#')) {
      const type = /^\s*#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)\s*$/.exec(line);
      if (type !== null) types.set(type[1] as string, (type[2] as string).toLowerCase());
      return;
    }
    try {
      samples.push(parseSampleLine(line));
    } catch (error) {
      throw new SyntaxError(`line ${index + 1}: ${(error as Error).message}: ${line.length > 120 ? `${line.slice(0, 120)}…` : line}`);
    }
  });
  return { samples, types };
}

function parseSampleLine(line: string): PromSample {
  let i = 0;
  const skipSpaces = (): void => {
    while (line[i] === ' ' || line[i] === '\t') i += 1;
  };
  skipSpaces();
  const nameStart = i;
  if (!NAME_START.test(line[i] ?? '')) throw new Error('expected a metric name');
  while (NAME_CHAR.test(line[i] ?? '')) i += 1;
  const name = line.slice(nameStart, i);
  const labels: Record<string, string> = {};
  // Spaces may separate the name from its labels; without labels they separate it from the value.
  const afterName = i;
  skipSpaces();
  if (line[i] !== '{') i = afterName;
  if (line[i] === '{') {
    i += 1;
    for (;;) {
      skipSpaces();
      if (line[i] === '}') {
        i += 1;
        break;
      }
      const labelStart = i;
      if (!LABEL_START.test(line[i] ?? '')) throw new Error(`expected a label name at column ${i + 1}`);
      while (LABEL_CHAR.test(line[i] ?? '')) i += 1;
      const label = line.slice(labelStart, i);
      skipSpaces();
      if (line[i] !== '=') throw new Error(`expected "=" after label ${label}`);
      i += 1;
      skipSpaces();
      if (line[i] !== '"') throw new Error(`expected a quoted value for label ${label}`);
      i += 1;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated value of label ${label}`);
        i += 1;
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i];
          i += 1;
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`invalid escape \\${next ?? ''} in label ${label}`);
        } else {
          value += c;
        }
      }
      if (Object.prototype.hasOwnProperty.call(labels, label)) throw new Error(`duplicate label ${label}`);
      labels[label] = value;
      skipSpaces();
      if (line[i] === ',') i += 1;
      else if (line[i] !== '}') throw new Error(`expected "," or "}" after label ${label}`);
    }
  }
  const rest = line.slice(i);
  if (!/^[ \t]/.test(rest)) throw new Error('expected a space before the value');
  const [valuePart] = rest.split(/\s#\s/, 1);
  const fields = (valuePart ?? '').trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw new Error('expected a value and an optional timestamp');
  const value = parsePromValue(fields[0] as string);
  if (fields.length === 2) {
    const ts = Number(fields[1]);
    if (!/^-?\d+$/.test(fields[1] as string) || !Number.isSafeInteger(ts)) throw new Error(`expected a millisecond timestamp, got ${JSON.stringify(fields[1])}`);
    return { name, labels, value, timestampMs: ts };
  }
  return { name, labels, value };
}
