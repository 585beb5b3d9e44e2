/**
 * One `EvidenceSource` over several: picks the adapter by the URI's scheme.
 */
import { EvidenceUriError, parseEvidenceUri, type EvidenceDocument, type EvidenceScheme, type EvidenceSource } from '../core/corpus/evidence-source';

/** The adapter of each scheme; a scheme left out is refused. */
export interface RoutingEvidenceSourceOptions {
  /** `file://` (`FileEvidenceSource`). */
  readonly file?: EvidenceSource;
  /** `s3://` (`S3EvidenceSource`). */
  readonly s3?: EvidenceSource;
  /** `logs-insights://` (`CloudWatchLogsEvidenceSource`). */
  readonly logsInsights?: EvidenceSource;
}

/**
 * `EvidenceSource` that validates the URI ({@link parseEvidenceUri}) and
 * hands it to the adapter configured for its scheme. A scheme without an
 * adapter is an {@link EvidenceUriError} that names the schemes this
 * deployment reads, so a policy written for AWS (`s3://…`) fails clearly in
 * the embedded target instead of reading nothing.
 *
 * @example
 * const evidence = new RoutingEvidenceSource({ file: new FileEvidenceSource(root), s3: new S3EvidenceSource(s3, { allowedBuckets }) });
 * const docs = await evidence.fetch(slo.evidence.uri);
 */
export class RoutingEvidenceSource implements EvidenceSource {
  private readonly routes: ReadonlyMap<EvidenceScheme, EvidenceSource>;

  constructor(options: RoutingEvidenceSourceOptions) {
    const routes = new Map<EvidenceScheme, EvidenceSource>();
    if (options.file !== undefined) routes.set('file', options.file);
    if (options.s3 !== undefined) routes.set('s3', options.s3);
    if (options.logsInsights !== undefined) routes.set('logs-insights', options.logsInsights);
    this.routes = routes;
  }

  /** The schemes this instance reads, e.g. `['file', 's3']`. */
  get schemes(): EvidenceScheme[] {
    return [...this.routes.keys()];
  }

  async fetch(uri: string): Promise<EvidenceDocument[]> {
    const { scheme } = parseEvidenceUri(uri);
    const source = this.routes.get(scheme);
    if (source === undefined) {
      const configured = this.schemes.map((s) => `${s}://`).join(', ');
      throw new EvidenceUriError(uri, `no evidence source for ${scheme}:// is configured here (${configured === '' ? 'none is' : `configured: ${configured}`})`);
    }
    return source.fetch(uri);
  }
}
