import { Stack, Validations } from 'aws-cdk-lib';
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

/**
 * The id of the cdk-nag `AwsSolutions-IAM5` finding on a resource pattern
 * with a wildcard, as cdk-nag spells it: the resolved value with each `Ref`
 * written `<Id>`, each `Fn::GetAtt` `<Id.Attribute>`, and `Fn::Join`s
 * joined (e.g. `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/firebreak/models/*]`).
 * Computed from the value rather than written out so that the
 * acknowledgement follows the stack's environment (literal or pseudo
 * parameters) and the resource's configuration.
 *
 * @param scope - any construct of the stack the policy belongs to
 * @param resource - the resource pattern, as given to the policy statement
 * @returns the finding id
 *
 * @example
 * acknowledgeFinding(policy, { id: wildcardResourceFindingId(policy, parameterArn), reason: '...' });
 */
export function wildcardResourceFindingId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
}

/** A resolved CloudFormation value as one string, the way cdk-nag flattens it for finding ids. */
function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = (value ?? {}) as Record<string, unknown>;
  const join = record['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map(flattenReference).join(join[0]);
  }
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
  if ('Ref' in record) return `<${flattenReference(record.Ref)}>`;
  return JSON.stringify(value);
}
