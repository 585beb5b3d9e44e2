import { Construct } from 'constructs';
import { FirebreakFunction } from './firebreak-function';
import type { IncidentTable } from './incident-table';
import type { RecordsAccess } from './records-access';
import type { VendorCredentials } from './vendor-credentials';

/** Properties of {@link CorpusHarvest}. */
export interface CorpusHarvestProps {
  /** The incident table (the incident, its timeline). */
  readonly incidentTable: IncidentTable;
  /** The records repository and evidence sources. */
  readonly records: RecordsAccess;
  /** Slack credentials, to post the new case ids in the incident channel. */
  readonly vendorCredentials: VendorCredentials;
}

/**
 * The `harvest-cases` function, shared by `respond` (as soon as the breach
 * is confirmed) and `resolve` (what arrived during the incident): fetches
 * the incident's evidence, redacts, classifies and deduplicates the failing
 * prompts, and commits regression cases to `corpus/` of the records
 * repository. Environment: `TABLE_NAME`, the records settings, the vendor
 * secret; IAM: the table, the records and evidence grants, the secret.
 *
 * @example
 * const harvest = new CorpusHarvest(this, 'CorpusHarvest', { incidentTable, records, vendorCredentials });
 */
export class CorpusHarvest extends Construct {
  /** `harvest-cases`. */
  public readonly harvestCases: FirebreakFunction;

  constructor(scope: Construct, id: string, props: CorpusHarvestProps) {
    super(scope, id);
    this.harvestCases = new FirebreakFunction(this, 'HarvestCases', {
      entry: 'lambdas/handlers/harvest-cases.ts',
      description: 'respond, resolve: turns the incident\'s failing prompts into redacted, classified, deduplicated regression cases in the records repository',
      environment: { TABLE_NAME: props.incidentTable.tableName, ...props.vendorCredentials.environment, ...props.records.environment },
    });
    props.incidentTable.grantReadWriteData(this.harvestCases.function);
    props.vendorCredentials.grantRead(this.harvestCases.function);
    props.records.grant(this.harvestCases);
  }
}
