import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of {@link IncidentTable}. */
export interface IncidentTableProps {
  /**
   * What happens to the table when it leaves the stack. Incident records are
   * the source of truth of every response and postmortem, so they outlive the
   * stack by default.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Whether DynamoDB refuses `DeleteTable` until this is turned off.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The single DynamoDB table that holds incidents, their timelines and pending
 * signals.
 *
 * Keys: `PK`/`SK` (strings). Indexes:
 * - `GSI1` (`GSI1PK`/`GSI1SK`): open incidents and pending signals;
 * - `GSI2` (`GSI2PK`/`GSI2SK`): incidents by ISO week, for the weekly review.
 *
 * On-demand billing, point-in-time recovery, encryption at rest with the
 * AWS-managed key (no key grants to manage), retained on stack deletion.
 *
 * @example
 * const incidents = new IncidentTable(this, 'Incidents');
 * incidents.grantReadWriteData(handler);
 */
export class IncidentTable extends Construct {
  /** Name of the index of open incidents and pending signals. */
  public static readonly OPEN_ITEMS_INDEX = 'GSI1';

  /** Name of the index of incidents by ISO week. */
  public static readonly BY_WEEK_INDEX = 'GSI2';

  /**
   * Item-level actions that {@link IncidentTable.grantReadWriteData} grants:
   * CDK's read/write data set without the DynamoDB Streams actions (the table
   * has no stream) and without `Scan` (listings go through the indexes).
   */
  public static readonly READ_WRITE_DATA_ACTIONS: readonly string[] = [
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:DescribeTable',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ];

  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: IncidentTableProps = {}) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: IncidentTable.OPEN_ITEMS_INDEX,
      partitionKey: { name: 'GSI1PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'GSI1SK', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: IncidentTable.BY_WEEK_INDEX,
      partitionKey: { name: 'GSI2PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'GSI2SK', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Name of the table (the `TABLE_NAME` handlers receive). */
  public get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Grants item reads and writes on the table and on each of its indexes by
   * name. Unlike `Table.grantReadWriteData`, which grants `<table>/index/*`,
   * this names every index, so the policy carries no wildcard resource.
   *
   * @param grantee - the principal to grant to
   * @returns the grant
   *
   * @example
   * incidents.grantReadWriteData(recordSignal.function);
   */
  public grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...IncidentTable.READ_WRITE_DATA_ACTIONS],
      resourceArns: [
        this.table.tableArn,
        `${this.table.tableArn}/index/${IncidentTable.OPEN_ITEMS_INDEX}`,
        `${this.table.tableArn}/index/${IncidentTable.BY_WEEK_INDEX}`,
      ],
    });
  }
}
