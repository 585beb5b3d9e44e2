import type { CloudFormationTemplate } from './synth';

/** A CloudFormation reference inside a synthesized `DefinitionString`. */
export interface CloudFormationToken {
  /** `{ "Ref": "<LogicalId or pseudo parameter>" }` */
  Ref?: string;
  /** `{ "Fn::GetAtt": ["<LogicalId>", "<Attribute>"] }` */
  'Fn::GetAtt'?: [string, string];
}

/** Turns one {@link CloudFormationToken} into the string it stands for. */
export type TokenResolver = (token: CloudFormationToken) => string;

/** The parts of an Amazon States Language definition Firebreak reads. */
export interface StatesDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
  readonly [field: string]: unknown;
}

/** A `DefinitionString` could not be turned into a definition. */
export class DefinitionResolutionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DefinitionResolutionError';
  }
}

/**
 * Resolves the `DefinitionString` of a synthesized
 * `AWS::StepFunctions::StateMachine` into its Amazon States Language
 * definition.
 *
 * CDK emits the definition either as a plain JSON string or as
 * `{ "Fn::Join": ["", [ <string | Ref | Fn::GetAtt | Fn::Join>, ... ]] }`.
 * Every token is replaced by what `resolver` returns (JSON-escaped, since
 * tokens sit inside JSON strings) and the joined text is parsed.
 *
 * @param definitionString - the `DefinitionString` property as synthesized
 * @param resolver - maps each `Ref` / `Fn::GetAtt` to a string, e.g.
 *   {@link localPlaceholderResolver}
 * @returns the parsed definition
 * @throws DefinitionResolutionError on any other intrinsic function, a
 *   malformed `Fn::Join`, or text that is not JSON
 *
 * @example
 * const { template } = synthesizeFirebreak();
 * const definition = resolveDefinition(
 *   template.Resources[id].Properties?.DefinitionString,
 *   localPlaceholderResolver(template),
 * );
 * console.log(definition.StartAt); // 'Record Or Join The Incident'
 */
export function resolveDefinition(definitionString: unknown, resolver: TokenResolver): StatesDefinition {
  const text = resolveToString(definitionString, resolver, false);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DefinitionResolutionError('the resolved DefinitionString is not JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || !('States' in parsed) || !('StartAt' in parsed)) {
    throw new DefinitionResolutionError('the resolved DefinitionString has no StartAt and States');
  }
  return parsed as StatesDefinition;
}

/** Account id used in every placeholder ARN of the embedded target. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Region used in every placeholder ARN of the embedded target. */
export const LOCAL_REGION = 'local';

/** Placeholder ARN of a Lambda function, by logical id. */
export function localLambdaArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${logicalId}`;
}

/** Placeholder ARN of a state machine, by logical id. */
export function localStateMachineArn(logicalId: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${logicalId}`;
}

const LOCAL_PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT_ID,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * The embedded target's placeholder-ARN convention, as a {@link TokenResolver}
 * for the resources of `template`:
 *
 * - `Fn::GetAtt [<Lambda function>, Arn]` and `Ref <Lambda function>` ->
 *   `arn:aws:lambda:local:000000000000:function:<LogicalId>`;
 * - `Fn::GetAtt [<state machine>, Arn]` and `Ref <state machine>` ->
 *   `arn:aws:states:local:000000000000:stateMachine:<LogicalId>`;
 * - pseudo parameters -> `aws`, `local`, `000000000000`, `amazonaws.com`;
 * - any other `Ref` -> the logical id.
 *
 * Any other `Fn::GetAtt` throws, rather than producing a value nothing can
 * route.
 *
 * @param template - the template the tokens come from
 * @returns the resolver
 *
 * @example
 * const definition = resolveDefinition(definitionString, localPlaceholderResolver(template));
 */
export function localPlaceholderResolver(template: CloudFormationTemplate): TokenResolver {
  const typeOf = (logicalId: string): string | undefined => template.Resources[logicalId]?.Type;
  const arnOf = (logicalId: string): string | undefined => {
    switch (typeOf(logicalId)) {
      case 'AWS::Lambda::Function':
        return localLambdaArn(logicalId);
      case 'AWS::StepFunctions::StateMachine':
        return localStateMachineArn(logicalId);
      default:
        return undefined;
    }
  };
  return (token) => {
    if (token.Ref !== undefined) {
      return LOCAL_PSEUDO_PARAMETERS[token.Ref] ?? arnOf(token.Ref) ?? token.Ref;
    }
    const getAtt = token['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const [logicalId, attribute] = getAtt;
      const arn = attribute === 'Arn' ? arnOf(logicalId) : undefined;
      if (arn === undefined) {
        throw new DefinitionResolutionError(
          `no local placeholder for Fn::GetAtt ${logicalId}.${attribute} (${typeOf(logicalId) ?? 'unknown resource'})`,
        );
      }
      return arn;
    }
    throw new DefinitionResolutionError(`not a Ref or Fn::GetAtt: ${JSON.stringify(token)}`);
  };
}

function resolveToString(value: unknown, resolver: TokenResolver, insideJson: boolean): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DefinitionResolutionError(`unexpected value in DefinitionString: ${JSON.stringify(value)}`);
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw new DefinitionResolutionError(`not a single intrinsic function: ${JSON.stringify(value)}`);
  }
  const record = value as Record<string, unknown>;
  if ('Fn::Join' in record) {
    const join = record['Fn::Join'];
    if (!Array.isArray(join) || join.length !== 2 || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
      throw new DefinitionResolutionError(`malformed Fn::Join: ${JSON.stringify(join)}`);
    }
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((part) => resolveToString(part, resolver, true)).join(separator);
  }
  if ('Ref' in record || 'Fn::GetAtt' in record) {
    const token = record as CloudFormationToken;
    const ref = token.Ref;
    const getAtt = token['Fn::GetAtt'];
    if (ref !== undefined && typeof ref !== 'string') {
      throw new DefinitionResolutionError(`malformed Ref: ${JSON.stringify(ref)}`);
    }
    if (getAtt !== undefined && !(Array.isArray(getAtt) && getAtt.length === 2 && getAtt.every((s) => typeof s === 'string'))) {
      throw new DefinitionResolutionError(`malformed Fn::GetAtt: ${JSON.stringify(getAtt)}`);
    }
    const resolved = resolver(token);
    // A token inside the definition text sits inside a JSON string literal.
    return insideJson ? JSON.stringify(resolved).slice(1, -1) : resolved;
  }
  throw new DefinitionResolutionError(`unsupported intrinsic function ${keys[0]} in DefinitionString`);
}
