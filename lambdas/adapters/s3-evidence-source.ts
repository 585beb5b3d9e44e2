/**
 * Evidence from S3: JSON Lines objects in allowed buckets.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors';
import {
  DEFAULT_EVIDENCE_MAX_BYTES,
  EvidenceUnavailableError,
  EvidenceUriError,
  S3BucketNameSchema,
  formatEvidenceUri,
  isEvidenceFileName,
  isS3Prefix,
  parseEvidenceUri,
  type EvidenceDocument,
  type EvidenceSource,
} from '../core/corpus/evidence-source';

/** Options of {@link S3EvidenceSource}. */
export const S3EvidenceSourceOptionsSchema = z.strictObject({
  /** The buckets evidence may be read from; any other bucket is refused. */
  allowedBuckets: z.array(S3BucketNameSchema).min(1, 'expected at least one bucket'),
  /**
   * Most bytes read by one fetch, over all its objects.
   * @default DEFAULT_EVIDENCE_MAX_BYTES (32 MiB)
   */
  maxBytes: z.number().int().positive().optional(),
  /**
   * Most objects a prefix may contribute; more is an error, not a silent cut.
   * @default 1000
   */
  maxObjects: z.number().int().positive().optional(),
  /**
   * Objects downloaded at the same time.
   * @default 4
   */
  concurrency: z.number().int().min(1).max(32).optional(),
});
/** See {@link S3EvidenceSourceOptionsSchema}. */
export type S3EvidenceSourceOptions = z.input<typeof S3EvidenceSourceOptionsSchema>;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

interface ObjectRef {
  readonly key: string;
  readonly size?: number;
}

/**
 * `EvidenceSource` over S3 (`s3://bucket/key`), restricted to an allow-list
 * of buckets.
 *
 * - `s3://bucket/key` reads one object.
 * - `s3://bucket/prefix/` (a key ending with `/`) or `s3://bucket` reads
 *   every `.jsonl` object under the prefix (ListObjectsV2, all pages), in key
 *   order, at most `maxObjects` of them.
 * - Sizes are checked against `maxBytes` before anything is downloaded
 *   (from the listing, or `Content-Length`).
 *
 * Errors: a bucket outside the allow-list is an {@link EvidenceUriError};
 * `NoSuchKey`, `NoSuchBucket` and `AccessDenied` are permanent
 * {@link EvidenceUnavailableError}s; throttling, 5xx and network errors are
 * retryable ones. The client's own retries run first.
 *
 * IAM: `s3:GetObject` on the objects and `s3:ListBucket` on the buckets
 * (without `ListBucket`, S3 answers a missing key with `AccessDenied`).
 *
 * @example
 * const source = new S3EvidenceSource(new S3Client({}), { allowedBuckets: ['firebreak-evidence'] });
 * const docs = await source.fetch('s3://firebreak-evidence/support-bot/2026-11-21/');
 */
export class S3EvidenceSource implements EvidenceSource {
  private readonly allowed: ReadonlySet<string>;
  private readonly maxBytes: number;
  private readonly maxObjects: number;
  private readonly concurrency: number;

  /** @throws ConfigurationError when the options are invalid */
  constructor(
    private readonly client: S3Client,
    options: S3EvidenceSourceOptions,
  ) {
    const parsed = S3EvidenceSourceOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ConfigurationError(`S3EvidenceSource options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.allowed = new Set(parsed.data.allowedBuckets);
    this.maxBytes = parsed.data.maxBytes ?? DEFAULT_EVIDENCE_MAX_BYTES;
    this.maxObjects = parsed.data.maxObjects ?? 1000;
    this.concurrency = parsed.data.concurrency ?? 4;
  }

  async fetch(uri: string): Promise<EvidenceDocument[]> {
    const location = parseEvidenceUri(uri);
    if (location.scheme !== 's3') throw new EvidenceUriError(uri, `S3EvidenceSource reads s3:// URIs, not ${location.scheme}://`);
    const { bucket, key } = location;
    if (!this.allowed.has(bucket)) throw new EvidenceUriError(uri, `bucket "${bucket}" is not in the allow-list of evidence buckets (${[...this.allowed].join(', ')})`);
    const objects = isS3Prefix(key) ? await this.list(uri, bucket, key) : [{ key }];
    const listed = objects.reduce((sum, o) => sum + (o.size ?? 0), 0);
    if (listed > this.maxBytes) throw tooLarge(uri, `the ${objects.length} objects under the prefix hold ${listed} bytes`, this.maxBytes);

    const budget = { remaining: this.maxBytes };
    const documents: EvidenceDocument[] = new Array(objects.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < objects.length) {
        const index = next++;
        documents[index] = await this.read(uri, bucket, objects[index]!.key, budget);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, objects.length) }, worker));
    return documents;
  }

  private async list(uri: string, bucket: string, prefix: string): Promise<ObjectRef[]> {
    const found: ObjectRef[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      } catch (error) {
        throw s3Error(uri, `listing s3://${bucket}/${prefix}`, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.endsWith('/') || !isEvidenceFileName(object.Key)) continue;
        found.push({ key: object.Key, ...(object.Size === undefined ? {} : { size: object.Size }) });
        if (found.length > this.maxObjects) {
          throw new EvidenceUnavailableError(uri, `more than ${this.maxObjects} .jsonl objects under the prefix; name a narrower prefix`, { retryable: false, code: 'too-large' });
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async read(uri: string, bucket: string, key: string, budget: { remaining: number }): Promise<EvidenceDocument> {
    const objectUri = formatEvidenceUri({ scheme: 's3', bucket, key });
    let bytes: Uint8Array;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = response.Body;
      if (body === undefined) throw new EvidenceUnavailableError(uri, `${objectUri} came back without a body`, { retryable: true, code: 'unavailable' });
      if (response.ContentLength !== undefined && response.ContentLength > budget.remaining) {
        // Not reading the body: destroy the stream so that its socket is freed.
        (body as { destroy?: () => void }).destroy?.();
        throw tooLarge(uri, `${objectUri} holds ${response.ContentLength} bytes`, this.maxBytes);
      }
      bytes = await body.transformToByteArray();
    } catch (error) {
      if (error instanceof EvidenceUnavailableError) throw error;
      throw s3Error(uri, `reading ${objectUri}`, error, isS3Prefix(key) ? undefined : key);
    }
    if (bytes.length > budget.remaining) throw tooLarge(uri, `${objectUri} holds ${bytes.length} bytes`, this.maxBytes);
    budget.remaining -= bytes.length;
    try {
      return { uri: objectUri, text: UTF8.decode(bytes) };
    } catch (cause) {
      throw new EvidenceUnavailableError(uri, `${objectUri} is not UTF-8 text`, { retryable: false, code: 'not-text', cause });
    }
  }
}

function tooLarge(uri: string, what: string, maxBytes: number): EvidenceUnavailableError {
  return new EvidenceUnavailableError(uri, `${what}, over the limit of ${maxBytes} bytes for one evidence read`, { retryable: false, code: 'too-large' });
}

/** An SDK error as the port's error: permanent for missing or forbidden, retryable for throttling, 5xx and the network. */
function s3Error(uri: string, doing: string, error: unknown, key?: string): EvidenceUnavailableError {
  const name = error instanceof Error ? error.name : 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const detail = `${name}: ${error instanceof Error ? error.message : String(error)}`;
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
    const hint = key !== undefined && !isEvidenceFileName(key) ? ' (to read every .jsonl object under a prefix, end the URI with "/")' : '';
    return new EvidenceUnavailableError(uri, `${doing}: no such object${hint}`, { retryable: false, code: 'not-found', cause: error });
  }
  if (name === 'NoSuchBucket') return new EvidenceUnavailableError(uri, `${doing}: no such bucket`, { retryable: false, code: 'not-found', cause: error });
  if (name === 'AccessDenied' || status === 403) {
    return new EvidenceUnavailableError(uri, `${doing}: access denied (the role needs s3:GetObject and s3:ListBucket) — ${detail}`, { retryable: false, code: 'access-denied', cause: error });
  }
  const throttled = name === 'SlowDown' || name === 'ThrottlingException' || status === 429 || status === 503;
  const retryable = throttled || status === undefined || status >= 500;
  return new EvidenceUnavailableError(uri, `${doing} failed (${detail})`, { retryable, code: throttled ? 'throttled' : retryable ? 'unavailable' : 'rejected', cause: error });
}
