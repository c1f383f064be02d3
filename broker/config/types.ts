// The shape of a row of the config table (broker/config/table.ts), in the manner
// of Kafka's ConfigDef: a typed value with its default, bounds and docs.

export type ConfigType = 'boolean' | 'short' | 'int' | 'long' | 'double' | 'string' | 'list';

export interface ConfigTypeMap {
  boolean: boolean;
  short: number;
  int: number;
  long: number;
  double: number;
  string: string;
  list: readonly string[];
}

/** broker: server.properties only; topic: per-topic only; both: same name at both levels. */
export type ConfigScope = 'broker' | 'topic' | 'both';

interface DefinitionOf<T extends ConfigType> {
  readonly name: string;
  readonly type: T;
  /** Default value; null means "not set" (Kafka's null default). */
  readonly default: ConfigTypeMap[T] | null;
  readonly scope: ConfigScope;
  readonly doc: string;
  /** Inclusive numeric bounds. */
  readonly range?: { readonly min?: number; readonly max?: number };
  /** Allowed strings (for a list: allowed items). Case-sensitive, as Kafka's ValidString. */
  readonly oneOf?: readonly string[];
  /**
   * `oneOf` compared ignoring case, as Kafka's CaseInsensitiveValidString; the
   * value parses to the `oneOf` entry. Kafka prints the choices upper-case, in
   * its HashSet's order, which is the order of `oneOf`.
   */
  readonly caseInsensitive?: true;
  /** Extra check; returns an error detail, or undefined when the value is fine. */
  readonly check?: (value: ConfigTypeMap[T]) => string | undefined;
  /** Human text of the valid values when `check` is used. */
  readonly validValues?: string;
  /** Broker rows: the topic-level config this row supplies the default for. */
  readonly topicName?: string;
  /** Multiplier from this row's unit to the topic config's (hours -> ms). */
  readonly topicFactor?: number;
  /** This row is another name for the row named here (broker.id -> node.id). */
  readonly aliasOf?: string;
  /** A kafkalite setting that Apache Kafka does not have. */
  readonly kafkalite?: true;
  /** Kafka's default, present only where kafkalite's deliberately differs. */
  readonly kafkaDefault?: string;
  /** A secret (Kafka's PASSWORD type): DescribeConfigs reports it as sensitive, without its value. */
  readonly sensitive?: true;
  /** May also be set for one listener as `listener.name.<listener>.<name>` (lower-case listener name). */
  readonly perListener?: true;
  /** Deprecated in Kafka 3.x (removed in 4.0): setting it logs this warning. */
  readonly deprecated?: string;
}

export type ConfigDefinition = { [T in ConfigType]: DefinitionOf<T> }[ConfigType];
