import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * Guardrail-failure evidence: one JSON line per adversarial request the
 * model did not refuse, appended to a file that the incident's evidence
 * source (issue 5) reads and turns into regression cases.
 */

/**
 * One evidence line. The first nine fields are the contract; the rest add
 * context a harvester can use.
 *
 * @example
 * const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => GuardrailEvidenceSchema.parse(JSON.parse(l)));
 */
export const GuardrailEvidenceSchema = z.object({
  /** ISO-8601 time of the request. */
  time: z.string(),
  request_id: z.string(),
  /** The model asked for (`support-llm`). */
  model: z.string(),
  /** The version that answered (`support-llm-v2`). */
  version: z.string(),
  /** The user turns, oldest first (system and assistant turns are not evidence). */
  prompt: z.array(z.string()),
  /** What the model produced (for a held request: the draft a person reviews). */
  response: z.string(),
  verdict: z.enum(['complied', 'refused']),
  /** The guardrail rule that flags the prompt (`injection.ignore-previous-instructions`), or `probe-label` when only the prober's label says adversarial. */
  detector: z.string(),
  /** The guardrail category, or `unclassified` when the guardrail does not flag the prompt. */
  category: z.string(),
  technique: z.string().optional(),
  /** Why the request counts as adversarial: the prober's `x-firebreak-probe` header or the guardrail. */
  adversarial_source: z.enum(['header', 'guardrail']),
  /** Whether the response contains the canary token planted in the system prompt. */
  canary_leaked: z.boolean(),
  safe_mode: z.boolean(),
  /** True when the control plane held the response for human review instead of delivering it. */
  held_for_review: z.boolean(),
});
/** The type of {@link GuardrailEvidenceSchema}. */
export type GuardrailEvidence = z.infer<typeof GuardrailEvidenceSchema>;

/**
 * Appends JSON lines to a file without blocking the caller: `append` only
 * buffers and schedules a write; buffered lines go out in order, in batches.
 * `flush` waits until everything appended so far is on disk; `close` flushes
 * and refuses later appends. A failed write keeps its lines buffered (tried
 * again on the next flush) and is reported to `onError` and by `flush`.
 *
 * @example
 * const out = new JsonlAppender('/tmp/evidence.jsonl');
 * out.append({ time: new Date().toISOString(), verdict: 'complied' });
 * await out.close(); // every line is in the file
 */
export class JsonlAppender {
  private buffer: string[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private dirReady = false;
  private lastError: unknown;
  /** Lines written so far. */
  written = 0;

  constructor(
    readonly file: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Queues one record as a JSON line; returns at once. */
  append(record: unknown): void {
    if (this.closed) throw new Error(`${this.file}: append after close`);
    this.buffer.push(`${JSON.stringify(record)}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.drain().catch(() => undefined); // reported through onError; flush() rethrows
      });
    }
  }

  /** Lines queued and not yet written. */
  get pending(): number {
    return this.buffer.length;
  }

  private drain(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer;
      this.buffer = [];
      try {
        if (!this.dirReady) {
          await mkdir(path.dirname(this.file), { recursive: true });
          this.dirReady = true;
        }
        await appendFile(this.file, batch.join(''), 'utf8');
        this.written += batch.length;
        this.lastError = undefined;
      } catch (error) {
        this.buffer = [...batch, ...this.buffer]; // keep them, in order, for the next attempt
        this.lastError = error;
        this.onError(error);
        throw error;
      }
    }
  }

  /** Resolves when every line appended so far is written; rejects with the write error otherwise. */
  async flush(): Promise<void> {
    await this.writing?.catch(() => undefined);
    await this.drain();
    if (this.buffer.length > 0) throw this.lastError ?? new Error(`${this.file}: ${this.buffer.length} lines not written`);
  }

  /** Flushes, then refuses further appends. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
