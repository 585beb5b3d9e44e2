import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A cdk-nag finding to acknowledge and why. */
export interface Finding {
  /** The exact finding id, e.g. `AwsSolutions-IAM5[Resource::*]` or `AwsSolutions-SQS3`. */
  readonly id: string;
  /** Why the finding is acceptable here, in words a reviewer would accept. */
  readonly reason: string;
}

/**
 * Acknowledges a cdk-nag finding on the narrowest construct possible: the
 * CloudFormation resource of `construct` (its `defaultChild`), or `construct`
 * itself when it is one. An acknowledgement applies to the construct and
 * everything below it, so placing it on an L2 would also cover resources the
 * L2 adds later.
 *
 * @param construct - the L2 (or L1) whose resource has the finding
 * @param finding - the exact id and the reason
 *
 * @example
 * acknowledgeFinding(secret, {
 *   id: 'AwsSolutions-SMG4',
 *   reason: 'The token is shared with Alertmanager and rotated with its configuration.',
 * });
 */
export function acknowledgeFinding(construct: IConstruct, finding: Finding): void {
  Validations.of(construct.node.defaultChild ?? construct).acknowledge({ id: finding.id, reason: finding.reason });
}
