// The one table of configuration definitions, in the manner of Kafka's ConfigDef.
//
// Every broker and topic setting kafkalite knows is a row of CONFIG_DEFS below:
// Kafka's name, type, default, valid values, scope and a one-line doc. The CLI
// (--set, --config server.properties), startup validation, CreateTopics configs,
// DescribeConfigs/AlterConfigs and the docs all read this table; nothing else may
// hard-code a default.
//
// Defaults are Kafka 4.x's. A row whose default deliberately differs carries
// `kafkaDefault` (Kafka's value) and says why in its doc; rows that Kafka does not
// have at all are marked `kafkalite: true`.
//
// Broker rows that set a topic default name their topic counterpart in
// `topicName` (log.retention.hours -> retention.ms, with `topicFactor` to convert
// units). Rows sharing a topicName are alternates listed highest priority first,
// which is Kafka's precedence: log.retention.ms > log.retention.minutes >
// log.retention.hours, log.roll.ms > log.roll.hours, log.flush.interval.ms >
// log.flush.scheduler.interval.ms. The first alternate with a non-null value
// (set or default) wins.
//
// Java longs: values are JavaScript numbers. Long.MAX_VALUE (Kafka's "never")
// is LONG_MAX = 2^63 as a double; formatConfigValue prints it back as
// 9223372036854775807, and any realistic ms/byte count is an exact integer.

import { parsePrincipalRules } from './security/principal.js';

/** Kafka's Long.MAX_VALUE as the nearest double; compare with `>=`. */
export const LONG_MAX = 2 ** 63;
/** Kafka's Integer.MAX_VALUE. */
export const INT_MAX = 2147483647;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Kafka error code INVALID_CONFIG, returned by CreateTopics/AlterConfigs. */
export const INVALID_CONFIG = 40;
/** Kafka error code INVALID_REQUEST. */
const INVALID_REQUEST = 42;

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
  /** Allowed strings (for a list: allowed items). Case-sensitive, as Kafka. */
  readonly oneOf?: readonly string[];
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

// ---------------------------------------------------------------------------
// Checks used by several rows
// ---------------------------------------------------------------------------

const LISTENER_RE = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9A-Za-z:.%]*\]|[^\s:/[\]]*):(\d+)$/;

function checkListenerList(list: string): string | undefined {
  if (list.trim() === '') return 'Expected at least one listener of the form NAME://host:port';
  try {
    parseListenerList(list);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkProtocolMap(map: string): string | undefined {
  try {
    parseProtocolMap(map);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkPrincipalRules(rules: string): string | undefined {
  try {
    parsePrincipalRules(rules);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}


/**
 * Kafka 3.9's version strings (MetadataVersion): each release and its internal
 * versions; a release name stands for its latest internal version.
 */
const KAFKA_VERSIONS: ReadonlySet<string> = new Set(
  ([
    ['0.8.0', 0], ['0.8.1', 0], ['0.8.2', 0], ['0.9.0', 0], ['0.10.0', 2], ['0.10.1', 3], ['0.10.2', 1], ['0.11.0', 3],
    ['1.0', 1], ['1.1', 1], ['2.0', 2], ['2.1', 3], ['2.2', 2], ['2.3', 2], ['2.4', 2], ['2.5', 1], ['2.6', 1], ['2.7', 3],
    ['2.8', 2], ['3.0', 2], ['3.1', 1], ['3.2', 1], ['3.3', 4], ['3.4', 1], ['3.5', 3], ['3.6', 3], ['3.7', 5], ['3.8', 1], ['3.9', 1],
  ] as const).flatMap(([release, internal]) => [release, ...Array.from({ length: internal }, (_, i) => `${release}-IV${i}`)]),
);

/** Kafka's MetadataVersion.fromVersionString: "2.8.1" means 2.8, "0.10.0.1" means 0.10.0. */
function checkKafkaVersion(v: string): string | undefined {
  const segments = v.split('.');
  const keep = v.startsWith('0.') ? 3 : 2;
  const key = segments.length > keep ? segments.slice(0, keep).join('.') : v;
  return KAFKA_VERSIONS.has(key) ? undefined : `Version ${v} is not a valid version`;
}

const MESSAGE_FORMAT_DEPRECATED =
  'message.format.version is deprecated and ignored (Kafka 3.x always writes message format v2) and is removed in Kafka 4.0';
const TIMESTAMP_DIFFERENCE_DEPRECATED =
  'message.timestamp.difference.max.ms is deprecated (use message.timestamp.before.max.ms and message.timestamp.after.max.ms) and is removed in Kafka 4.0';

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const SSL_CLIENT_AUTH = ['required', 'requested', 'none'] as const;

/** TLS and SASL rows (Kafka's names); broker/security/ reads them per listener. */
const SECURITY_DEFS = [
  {
    name: 'ssl.keystore.type', type: 'string', default: 'JKS', perListener: true, scope: 'broker',
    doc: 'Format of the key store: PEM or PKCS12 (JKS, Kafka\'s default, is refused: convert it with keytool to PKCS12).',
  },
  {
    name: 'ssl.keystore.location', type: 'string', default: null, perListener: true, scope: 'broker',
    doc: 'Key store file: for PEM, the private key (PKCS#8) followed by the certificate chain.',
  },
  {
    name: 'ssl.keystore.password', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'Password of a PKCS12 key store (not allowed for PEM).',
  },
  {
    name: 'ssl.key.password', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'Password of an encrypted private key (PEM).',
  },
  {
    name: 'ssl.keystore.key', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'The private key itself, PEM (PKCS#8), with ssl.keystore.type=PEM; needs ssl.keystore.certificate.chain.',
  },
  {
    name: 'ssl.keystore.certificate.chain', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'The certificate chain itself, PEM, with ssl.keystore.type=PEM.',
  },
  {
    name: 'ssl.truststore.type', type: 'string', default: 'JKS', perListener: true, scope: 'broker',
    doc: 'Format of the trust store: PEM or PKCS12 (JKS is refused).',
  },
  {
    name: 'ssl.truststore.location', type: 'string', default: null, perListener: true, scope: 'broker',
    doc: 'Trust store file: for PEM, the CA certificates client certificates are checked against.',
  },
  {
    name: 'ssl.truststore.password', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'Password of a PKCS12 trust store (not allowed for PEM).',
  },
  {
    name: 'ssl.truststore.certificates', type: 'string', default: null, sensitive: true, perListener: true, scope: 'broker',
    doc: 'The trusted CA certificates themselves, PEM, with ssl.truststore.type=PEM.',
  },
  {
    name: 'ssl.client.auth', type: 'string', default: 'none', oneOf: SSL_CLIENT_AUTH, perListener: true, scope: 'broker',
    doc: 'Client certificates: required (no trusted certificate, no connection), requested (checked when sent), none. On SASL_SSL only the listener-prefixed value counts.',
  },
  {
    name: 'ssl.enabled.protocols', type: 'list', default: ['TLSv1.2', 'TLSv1.3'], oneOf: ['TLSv1.2', 'TLSv1.3'],
    perListener: true, scope: 'broker',
    doc: 'TLS versions accepted.',
  },
  {
    name: 'ssl.principal.mapping.rules', type: 'string', default: 'DEFAULT', perListener: true, scope: 'broker',
    check: (v: string) => checkPrincipalRules(v), validValues: 'DEFAULT | RULE:pattern/replacement/[L|U], ...',
    doc: 'Rules mapping a client certificate\'s distinguished name to the principal name; DEFAULT keeps the whole name.',
  },
  {
    name: 'sasl.enabled.mechanisms', type: 'list', default: ['GSSAPI'], perListener: true, scope: 'broker',
    doc: 'SASL mechanisms served on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (GSSAPI is not available in kafkalite). Each needs listener.name.<l>.<mechanism>.sasl.jaas.config.',
  },
  {
    name: 'connections.max.reauth.ms', type: 'long', default: 0, range: { min: 0 }, perListener: true, scope: 'broker',
    doc: 'Longest SASL session (KIP-368); a client must re-authenticate before it ends, else its next request closes the connection. 0: sessions never end.',
  },
  {
    name: 'sasl.server.max.receive.size', type: 'int', default: 524288, range: { min: 1 }, scope: 'broker',
    doc: 'Largest frame accepted before a SASL client has authenticated.',
  },
  {
    name: 'connection.failed.authentication.delay.ms', type: 'int', default: 100, range: { min: 0 }, scope: 'broker',
    doc: 'Delay before a connection that failed authentication is closed (slows down password guessing).',
  },
] as const satisfies readonly ConfigDefinition[];

export const CONFIG_DEFS = [
  // --- identity and network -------------------------------------------------
  {
    name: 'node.id', type: 'int', default: 0, range: { min: 0 }, scope: 'broker',
    kafkaDefault: '-1 (must be set in KRaft mode)',
    doc: 'Id of this node; Metadata reports it as the broker and as the controller. Defaults to 0 because kafkalite is a single node.',
  },
  {
    name: 'broker.id', type: 'int', default: null, range: { min: 0 }, scope: 'broker', aliasOf: 'node.id',
    kafkaDefault: '-1',
    doc: 'Older name for node.id; when both are set they must be equal.',
  },
  {
    name: 'cluster.id', type: 'string', default: null, scope: 'broker', kafkalite: true,
    check: (v: string) => (/^[A-Za-z0-9_-]+$/.test(v) ? undefined : 'Expected letters, digits, "-" or "_"'),
    validValues: 'letters, digits, "-", "_"',
    doc: 'Cluster id reported to clients. When unset, one is generated on first start and kept in the data dir\'s meta.properties (Kafka sets it with kafka-storage format).',
  },
  {
    name: 'listeners', type: 'string', default: 'PLAINTEXT://127.0.0.1:9092', scope: 'broker',
    kafkaDefault: 'PLAINTEXT://:9092',
    check: checkListenerList, validValues: 'NAME://host:port[,NAME://host:port...]',
    doc: 'Comma-separated NAME://host:port addresses to listen on; port 0 picks a free port. kafkalite binds loopback by default so a dev broker is not exposed to the network.',
  },
  {
    name: 'advertised.listeners', type: 'string', default: null, scope: 'broker',
    check: checkListenerList, validValues: 'NAME://host:port[,NAME://host:port...]',
    doc: 'Addresses Metadata gives clients (e.g. the host side of a container port mapping); unset means the same as listeners.',
  },
  {
    name: 'listener.security.protocol.map', type: 'string',
    default: 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', scope: 'broker',
    check: checkProtocolMap, validValues: 'NAME:PROTOCOL[,NAME:PROTOCOL...]',
    doc: 'Maps listener names to security protocols (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL).',
  },
  {
    name: 'metrics.port', type: 'int', default: null, range: { min: 0, max: 65535 }, scope: 'broker', kafkalite: true,
    doc: 'Port of the Prometheus endpoint (HTTP GET /metrics) on the first listener\'s host; 0 picks a free port; unset, none is served. Kafka has no such port: it exposes JMX, which the Prometheus JMX exporter renders as the same kafka_* names.',
  },
  {
    name: 'inter.broker.listener.name', type: 'string', default: null, scope: 'broker',
    doc: 'Listener the brokers use between themselves; must be one of listeners. Cannot be set with security.inter.broker.protocol.',
  },
  {
    name: 'security.inter.broker.protocol', type: 'string', default: 'PLAINTEXT',
    oneOf: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], scope: 'broker',
    doc: 'Security protocol between brokers when inter.broker.listener.name is unset; a listener must use it.',
  },
  ...SECURITY_DEFS,
  {
    name: 'socket.request.max.bytes', type: 'int', default: 104857600, range: { min: 1 }, scope: 'broker',
    doc: 'Largest request frame accepted; a bigger size prefix closes the connection before anything is buffered.',
  },
  {
    name: 'connections.max.idle.ms', type: 'long', default: 600000, scope: 'broker',
    doc: 'Connections idle for longer than this are closed.',
  },
  {
    name: 'queued.max.requests', type: 'int', default: 500, range: { min: 1 }, scope: 'broker',
    doc: 'Requests read from all connections and not yet answered; at this many, no connection is read until one is answered.',
  },
  {
    name: 'queued.max.request.bytes', type: 'long', default: 104857600, range: { min: -1 }, scope: 'broker', kafkaDefault: '-1',
    doc: 'Bytes of requests held from all connections (a frame is counted from its size prefix until it is answered); at this many, no new request is read. -1 = unbounded. kafkalite bounds it by default (Kafka: -1) so pipelining clients cannot grow memory without limit.',
  },
  {
    name: 'fetch.max.bytes', type: 'int', default: 57671680, range: { min: 1024 }, scope: 'broker',
    doc: 'Upper bound on the bytes one Fetch response returns, whatever the request asks for.',
  },
  {
    name: 'max.request.partition.size.limit', type: 'int', default: 2000, range: { min: 1 }, scope: 'broker',
    doc: 'Most partitions one DescribeTopicPartitions response lists; the client pages on with the cursor.',
  },

  // --- topics in general ----------------------------------------------------
  {
    name: 'auto.create.topics.enable', type: 'boolean', default: true, scope: 'broker',
    doc: 'Create a topic when a client asks Metadata for an unknown one and allows auto-creation.',
  },
  {
    name: 'num.partitions', type: 'int', default: 1, range: { min: 1 }, scope: 'broker',
    doc: 'Partition count for auto-created topics and for CreateTopics with -1 partitions.',
  },
  {
    name: 'default.replication.factor', type: 'int', default: 1, scope: 'broker',
    doc: 'Replication factor for auto-created topics and for CreateTopics with -1.',
  },
  {
    name: 'delete.topic.enable', type: 'boolean', default: true, scope: 'broker',
    doc: 'Allow DeleteTopics; when false it answers TOPIC_DELETION_DISABLED.',
  },
  {
    name: 'message.max.bytes', type: 'int', default: 1048588, range: { min: 0 }, scope: 'broker',
    topicName: 'max.message.bytes',
    doc: 'Largest record batch (after compression) the broker accepts; default for max.message.bytes.',
  },
  {
    name: 'min.insync.replicas', type: 'int', default: 1, range: { min: 1 }, scope: 'both',
    doc: 'Replicas that must have an acks=all write before it is acknowledged; every partition has one replica, so above 1 an acks=all produce gets NOT_ENOUGH_REPLICAS, as in Kafka.',
  },
  {
    name: 'compression.type', type: 'string', default: 'producer', scope: 'both',
    oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
    doc: 'Codec the log stores batches in; producer keeps whatever codec the producer used.',
  },
  {
    name: 'compression.gzip.level', type: 'int', default: -1, scope: 'both',
    check: (v: number) => (v === -1 || (v >= 1 && v <= 9) ? undefined : 'Value must be -1 or in [1,...,9]'),
    validValues: '[1,...,9] or -1',
    doc: 'gzip level used when the broker recompresses with gzip.',
  },
  {
    name: 'compression.zstd.level', type: 'int', default: 3, range: { min: -131072, max: 22 }, scope: 'both',
    doc: 'zstd level used when the broker recompresses with zstd.',
  },

  // --- log storage ----------------------------------------------------------
  {
    name: 'log.dirs', type: 'list', default: null, scope: 'broker',
    doc: 'Data directory; unset means log.dir. kafkalite keeps everything in exactly one directory.',
  },
  {
    name: 'log.dir', type: 'list', default: ['./kafkalite-data'], scope: 'broker', aliasOf: 'log.dirs',
    kafkaDefault: '/tmp/kafka-logs',
    doc: 'Data directory used when log.dirs is unset; kafkalite defaults to ./kafkalite-data so data survives reboots.',
  },
  {
    name: 'log.segment.bytes', type: 'int', default: 1073741824, range: { min: 1048576 }, scope: 'broker',
    topicName: 'segment.bytes',
    doc: 'Size at which a partition rolls to a new segment file.',
  },
  {
    name: 'log.roll.ms', type: 'long', default: null, scope: 'broker', topicName: 'segment.ms',
    doc: 'Age at which a segment is rolled even if not full; unset means log.roll.hours.',
  },
  {
    name: 'log.roll.hours', type: 'int', default: 168, range: { min: 1 }, scope: 'broker',
    topicName: 'segment.ms', topicFactor: HOUR_MS,
    doc: 'log.roll.ms in hours; used when log.roll.ms is unset.',
  },
  {
    name: 'log.roll.jitter.ms', type: 'long', default: null, scope: 'broker', topicName: 'segment.jitter.ms',
    doc: 'Random time subtracted from the roll age; unset means log.roll.jitter.hours.',
  },
  {
    name: 'log.roll.jitter.hours', type: 'int', default: 0, range: { min: 0 }, scope: 'broker',
    topicName: 'segment.jitter.ms', topicFactor: HOUR_MS,
    doc: 'log.roll.jitter.ms in hours; used when log.roll.jitter.ms is unset.',
  },
  {
    name: 'log.retention.ms', type: 'long', default: null, scope: 'broker', topicName: 'retention.ms',
    doc: 'Age after which whole segments are deleted; -1 keeps them forever; unset means log.retention.minutes.',
  },
  {
    name: 'log.retention.minutes', type: 'int', default: null, scope: 'broker',
    topicName: 'retention.ms', topicFactor: MINUTE_MS,
    doc: 'log.retention.ms in minutes; used when log.retention.ms is unset, else log.retention.hours.',
  },
  {
    name: 'log.retention.hours', type: 'int', default: 168, scope: 'broker',
    topicName: 'retention.ms', topicFactor: HOUR_MS,
    doc: 'log.retention.ms in hours; used when neither log.retention.ms nor log.retention.minutes is set.',
  },
  {
    name: 'log.retention.bytes', type: 'long', default: -1, scope: 'broker', topicName: 'retention.bytes',
    doc: 'Partition size above which the oldest segments are deleted; -1 means no limit.',
  },
  {
    name: 'log.retention.check.interval.ms', type: 'long', default: 300000, range: { min: 1 }, scope: 'broker',
    doc: 'How often retention looks for segments to delete.',
  },
  {
    name: 'log.cleanup.policy', type: 'list', default: ['delete'], oneOf: ['compact', 'delete'], scope: 'broker',
    topicName: 'cleanup.policy',
    doc: 'Default cleanup.policy: delete old segments, compact by key, or both.',
  },
  {
    name: 'log.index.size.max.bytes', type: 'int', default: 10485760, range: { min: 4 }, scope: 'broker',
    topicName: 'segment.index.bytes',
    doc: 'Maximum size of one segment\'s offset index.',
  },
  {
    name: 'log.index.interval.bytes', type: 'int', default: 4096, range: { min: 0 }, scope: 'broker',
    topicName: 'index.interval.bytes',
    doc: 'Log bytes between two entries of the sparse offset and time indexes.',
  },
  {
    name: 'log.flush.interval.messages', type: 'long', default: LONG_MAX, range: { min: 1 }, scope: 'broker',
    topicName: 'flush.messages',
    doc: 'Messages appended to a partition before it is fsynced; the default leaves flushing to the OS.',
  },
  {
    name: 'log.flush.interval.ms', type: 'long', default: null, scope: 'broker', topicName: 'flush.ms',
    doc: 'Longest time appended data stays un-fsynced; unset means log.flush.scheduler.interval.ms.',
  },
  {
    name: 'log.flush.scheduler.interval.ms', type: 'long', default: LONG_MAX, scope: 'broker', topicName: 'flush.ms',
    doc: 'How often the flusher checks for partitions due for fsync; default for flush.ms when log.flush.interval.ms is unset.',
  },
  {
    name: 'log.flush.mode', type: 'string', default: 'interval', oneOf: ['interval', 'group-commit'], scope: 'broker',
    kafkalite: true,
    doc: 'interval: fsync by the flush.* settings, as Kafka. group-commit: an acks=all produce is answered only after an fsync covering its batch; concurrent producers share fsyncs.',
  },
  {
    name: 'log.max.open.files', type: 'int', default: null, range: { min: 1 }, scope: 'broker',
    kafkalite: true,
    doc: 'Most segment files held open at once over all partitions; the least recently used are closed and reopened on demand. Default: half the process\'s open-file soft limit (ulimit -n), the rest left to sockets.',
  },
  {
    name: 'log.flush.offset.checkpoint.interval.ms', type: 'int', default: 60000, range: { min: 0 }, scope: 'broker',
    doc: 'How often the recovery point (last flushed offset) is checkpointed.',
  },
  {
    name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'],
    scope: 'broker', topicName: 'message.timestamp.type',
    doc: 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps batches with the broker clock.',
  },
  {
    name: 'log.message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, range: { min: 0 }, scope: 'broker',
    topicName: 'message.timestamp.before.max.ms',
    doc: 'How far in the past a CreateTime timestamp may be before the batch is rejected.',
  },
  {
    name: 'log.message.timestamp.after.max.ms', type: 'long', default: 3600000, range: { min: 0 }, scope: 'broker',
    topicName: 'message.timestamp.after.max.ms',
    doc: 'How far in the future a CreateTime timestamp may be before the batch is rejected.',
  },
  {
    name: 'log.message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX, range: { min: 0 }, scope: 'broker',
    topicName: 'message.timestamp.difference.max.ms', deprecated: TIMESTAMP_DIFFERENCE_DEPRECATED,
    doc: 'Deprecated (Kafka 3.x): default for message.timestamp.difference.max.ms.',
  },
  {
    name: 'log.message.format.version', type: 'string', default: '3.0-IV1', scope: 'broker',
    check: checkKafkaVersion, validValues: 'a Kafka version: 0.8.0 ... 3.9', topicName: 'message.format.version',
    deprecated: MESSAGE_FORMAT_DEPRECATED,
    doc: 'Deprecated (Kafka 3.x): default for message.format.version; ignored, as Kafka 3.x ignores it.',
  },
  {
    name: 'log.message.downconversion.enable', type: 'boolean', default: true, scope: 'broker',
    topicName: 'message.downconversion.enable',
    doc: 'Default for message.downconversion.enable.',
  },

  // --- topic-level configs (names as clients send them in CreateTopics) ----------
  {
    name: 'segment.bytes', type: 'int', default: 1073741824, range: { min: 1048576 }, scope: 'topic',
    doc: 'Size at which a partition rolls to a new segment file.',
  },
  {
    name: 'segment.ms', type: 'long', default: 604800000, range: { min: 1 }, scope: 'topic',
    doc: 'Age at which a segment is rolled even if not full.',
  },
  {
    name: 'segment.jitter.ms', type: 'long', default: 0, range: { min: 0 }, scope: 'topic',
    doc: 'Random time subtracted from segment.ms so segments do not all roll at once.',
  },
  {
    name: 'segment.index.bytes', type: 'int', default: 10485760, range: { min: 4 }, scope: 'topic',
    doc: 'Maximum size of one segment\'s offset index.',
  },
  {
    name: 'flush.messages', type: 'long', default: LONG_MAX, range: { min: 1 }, scope: 'topic',
    doc: 'Messages appended to a partition before it is fsynced.',
  },
  {
    name: 'flush.ms', type: 'long', default: LONG_MAX, range: { min: 0 }, scope: 'topic',
    doc: 'Longest time appended data stays un-fsynced.',
  },
  {
    name: 'retention.bytes', type: 'long', default: -1, scope: 'topic',
    doc: 'Partition size above which the oldest segments are deleted; -1 means no limit.',
  },
  {
    name: 'retention.ms', type: 'long', default: 604800000, range: { min: -1 }, scope: 'topic',
    doc: 'Age after which whole segments are deleted; -1 keeps them forever.',
  },
  {
    name: 'max.message.bytes', type: 'int', default: 1048588, range: { min: 0 }, scope: 'topic',
    doc: 'Largest record batch (after compression) this topic accepts.',
  },
  {
    name: 'index.interval.bytes', type: 'int', default: 4096, range: { min: 0 }, scope: 'topic',
    doc: 'Log bytes between two entries of the sparse offset and time indexes.',
  },
  {
    name: 'cleanup.policy', type: 'list', default: ['delete'], oneOf: ['compact', 'delete'], scope: 'topic',
    doc: 'delete removes old segments, compact keeps the latest record per key; both may be given.',
  },
  {
    name: 'message.timestamp.type', type: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'],
    scope: 'topic',
    doc: 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps batches with the broker clock.',
  },
  {
    name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX, range: { min: 0 }, scope: 'topic',
    doc: 'How far in the past a CreateTime timestamp may be before the batch is rejected.',
  },
  {
    name: 'message.timestamp.after.max.ms', type: 'long', default: 3600000, range: { min: 0 }, scope: 'topic',
    doc: 'How far in the future a CreateTime timestamp may be before the batch is rejected.',
  },
  {
    name: 'message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX, range: { min: 0 }, scope: 'topic',
    deprecated: TIMESTAMP_DIFFERENCE_DEPRECATED,
    doc: 'Deprecated (Kafka 3.x): stands for message.timestamp.before.max.ms and after.max.ms wherever those are left at 9223372036854775807, as in Kafka 3.6-3.9 (kafkalite\'s after.max.ms default is Kafka 4\'s one hour).',
  },
  {
    name: 'message.format.version', type: 'string', default: '3.0-IV1', scope: 'topic',
    check: checkKafkaVersion, validValues: 'a Kafka version: 0.8.0 ... 3.9', deprecated: MESSAGE_FORMAT_DEPRECATED,
    doc: 'Deprecated (Kafka 3.x): validated as a Kafka version and otherwise ignored, as Kafka 3.x does: batches are always stored in message format v2.',
  },
  {
    name: 'message.downconversion.enable', type: 'boolean', default: true, scope: 'topic',
    doc: 'Whether Fetch v0-v3 (which need message format v0/v1) may down-convert this topic\'s batches; when false they get UNSUPPORTED_VERSION.',
  },
  {
    name: 'remote.storage.enable', type: 'boolean', default: false, scope: 'topic',
    check: (v: boolean) => (v ? 'Tiered storage is not available in kafkalite' : undefined),
    validValues: 'false',
    doc: 'Tiered storage for this topic; kafkalite has none, so only false is accepted.',
  },

  // --- group coordinator ----------------------------------------------------
  {
    name: 'offsets.topic.num.partitions', type: 'int', default: 50, range: { min: 1 }, scope: 'broker',
    doc: 'Partitions of __consumer_offsets; fixed once the topic exists.',
  },
  {
    name: 'offsets.topic.replication.factor', type: 'short', default: 1, range: { min: 1, max: 1 }, scope: 'broker',
    kafkaDefault: '3',
    doc: 'Replication factor of __consumer_offsets; kafkalite keeps one copy of every partition, so only 1 is accepted (Kafka\'s sample server.properties sets 1 too).',
  },
  {
    name: 'offsets.topic.segment.bytes', type: 'int', default: 104857600, range: { min: 1 }, scope: 'broker',
    doc: 'Segment size of __consumer_offsets.',
  },
  {
    name: 'offsets.retention.minutes', type: 'int', default: 10080, range: { min: 1 }, scope: 'broker',
    doc: 'How long committed offsets of an empty group (or an unsubscribed topic) are kept.',
  },
  {
    name: 'offsets.retention.check.interval.ms', type: 'long', default: 600000, range: { min: 1 }, scope: 'broker',
    doc: 'How often expired offsets are looked for.',
  },
  {
    name: 'offset.metadata.max.bytes', type: 'int', default: 4096, scope: 'broker',
    doc: 'Largest metadata string accepted with a committed offset.',
  },
  {
    name: 'group.initial.rebalance.delay.ms', type: 'int', default: 3000, scope: 'broker',
    doc: 'Wait for more members before the first rebalance of a new classic group (startBroker() sets 0 unless told otherwise; the CLI keeps 3000).',
  },
  {
    name: 'group.min.session.timeout.ms', type: 'int', default: 6000, scope: 'broker',
    doc: 'Smallest session timeout a classic group member may ask for.',
  },
  {
    name: 'group.max.session.timeout.ms', type: 'int', default: 1800000, scope: 'broker',
    doc: 'Largest session timeout a classic group member may ask for.',
  },
  {
    name: 'group.max.size', type: 'int', default: INT_MAX, range: { min: 1 }, scope: 'broker',
    doc: 'Most members one classic group may have.',
  },
  {
    name: 'group.coordinator.rebalance.protocols', type: 'list', default: ['classic', 'consumer'],
    oneOf: ['classic', 'consumer'], scope: 'broker',
    check: (v: readonly string[]) => (v.includes('classic') ? undefined : 'The list must contain classic'),
    doc: 'Group protocols served: classic (JoinGroup/SyncGroup) and consumer (KIP-848); kafkalite does not serve share or streams groups.',
  },
  {
    name: 'group.consumer.session.timeout.ms', type: 'int', default: 45000, range: { min: 1 }, scope: 'broker',
    doc: 'Session timeout of consumer-protocol (KIP-848) group members.',
  },
  {
    name: 'group.consumer.min.session.timeout.ms', type: 'int', default: 45000, range: { min: 1 }, scope: 'broker',
    doc: 'Smallest session timeout a consumer-protocol group may be configured with.',
  },
  {
    name: 'group.consumer.max.session.timeout.ms', type: 'int', default: 60000, range: { min: 1 }, scope: 'broker',
    doc: 'Largest session timeout a consumer-protocol group may be configured with.',
  },
  {
    name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: 5000, range: { min: 1 }, scope: 'broker',
    doc: 'Heartbeat interval given to consumer-protocol group members.',
  },
  {
    name: 'group.consumer.min.heartbeat.interval.ms', type: 'int', default: 5000, range: { min: 1 }, scope: 'broker',
    doc: 'Smallest heartbeat interval a consumer-protocol group may be configured with.',
  },
  {
    name: 'group.consumer.max.heartbeat.interval.ms', type: 'int', default: 15000, range: { min: 1 }, scope: 'broker',
    doc: 'Largest heartbeat interval a consumer-protocol group may be configured with.',
  },
  {
    name: 'group.consumer.max.size', type: 'int', default: INT_MAX, range: { min: 1 }, scope: 'broker',
    doc: 'Most members one consumer-protocol group may have.',
  },
  {
    name: 'group.consumer.assignors', type: 'list', default: ['uniform', 'range'], oneOf: ['uniform', 'range'],
    scope: 'broker',
    doc: 'Server-side assignors, the first being the default when a member names none.',
  },

  // --- transactions and idempotence -----------------------------------------
  {
    name: 'transactional.id.expiration.ms', type: 'int', default: 604800000, range: { min: 1 }, scope: 'broker',
    doc: 'A transactional id with no transaction for this long is forgotten.',
  },
  {
    name: 'transaction.max.timeout.ms', type: 'int', default: 900000, range: { min: 1 }, scope: 'broker',
    doc: 'Largest transaction timeout a producer may ask for in InitProducerId.',
  },
  {
    name: 'transaction.state.log.num.partitions', type: 'int', default: 50, range: { min: 1 }, scope: 'broker',
    doc: 'Partitions of __transaction_state; fixed once the topic exists.',
  },
  {
    name: 'transaction.state.log.replication.factor', type: 'short', default: 1, range: { min: 1 }, scope: 'broker',
    kafkaDefault: '3',
    doc: 'Replication factor of __transaction_state; 1 because kafkalite is one node.',
  },
  {
    name: 'transaction.state.log.min.isr', type: 'int', default: 1, range: { min: 1 }, scope: 'broker',
    kafkaDefault: '2',
    doc: 'min.insync.replicas of __transaction_state; 1 because kafkalite is one node.',
  },
  {
    name: 'transaction.state.log.segment.bytes', type: 'int', default: 104857600, range: { min: 1 }, scope: 'broker',
    doc: 'Segment size of __transaction_state.',
  },
  {
    name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: 10000,
    range: { min: 1 }, scope: 'broker',
    doc: 'How often transactions past their timeout are looked for and aborted.',
  },
  {
    name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: 3600000,
    range: { min: 1 }, scope: 'broker',
    doc: 'How often expired transactional ids are removed.',
  },
  {
    name: 'transaction.partition.verification.enable', type: 'boolean', default: true, scope: 'broker',
    doc: 'Transactional produces and TxnOffsetCommit are refused for a partition not added to the transaction.',
  },
  {
    name: 'producer.id.expiration.ms', type: 'int', default: 86400000, range: { min: 1 }, scope: 'broker',
    doc: 'A producer id idle for this long loses its idempotence state.',
  },
  {
    name: 'producer.id.expiration.check.interval.ms', type: 'int', default: 600000, range: { min: 1 }, scope: 'broker',
    doc: 'How often expired producer ids are removed.',
  },
] as const satisfies readonly ConfigDefinition[];

// ---------------------------------------------------------------------------
// Types derived from the table
// ---------------------------------------------------------------------------

type Defs = (typeof CONFIG_DEFS)[number];
type DefNamed<N> = Extract<Defs, { readonly name: N }>;
type ValueOfDef<D> = D extends { readonly type: infer T extends ConfigType; readonly default: infer V }
  ? [V] extends [null]
    ? ConfigTypeMap[T] | null
    : ConfigTypeMap[T]
  : never;

export type ConfigName = Defs['name'];
export type BrokerConfigName = Extract<Defs, { readonly scope: 'broker' | 'both' }>['name'];
export type TopicConfigName = Extract<Defs, { readonly scope: 'topic' | 'both' }>['name'];

/** Every broker-level config with its typed value (explicit or default). */
export type BrokerConfigValues = { readonly [N in BrokerConfigName]: ValueOfDef<DefNamed<N>> };
/** Every topic-level config with its effective typed value. */
export type TopicConfigValues = { readonly [N in TopicConfigName]: NonNullable<ValueOfDef<DefNamed<N>>> };

/** The table typed as plain definitions, for generic code. */
export const CONFIG_DEFINITIONS: readonly ConfigDefinition[] = CONFIG_DEFS;

const BROKER_DEFS = new Map<string, ConfigDefinition>();
const TOPIC_DEFS = new Map<string, ConfigDefinition>();
/** topic name -> broker rows supplying its default, highest priority first. */
const BROKER_SYNONYMS = new Map<string, ConfigDefinition[]>();

for (const def of CONFIG_DEFINITIONS) {
  if (def.scope !== 'topic') BROKER_DEFS.set(def.name, def);
  if (def.scope !== 'broker') TOPIC_DEFS.set(def.name, def);
}
for (const def of CONFIG_DEFINITIONS) {
  const topic = def.scope === 'both' ? def.name : def.topicName;
  if (topic === undefined) continue;
  const list = BROKER_SYNONYMS.get(topic) ?? [];
  list.push(def);
  BROKER_SYNONYMS.set(topic, list);
}

export function brokerConfigDefinition(name: string): ConfigDefinition | undefined {
  return BROKER_DEFS.get(name);
}

export function topicConfigDefinition(name: string): ConfigDefinition | undefined {
  return TOPIC_DEFS.get(name);
}

/** The deprecation warnings of the topic configs named (Kafka 3.x configs removed in 4.0). */
export function topicConfigDeprecations(names: Iterable<string>): string[] {
  return [...names].flatMap((n) => TOPIC_DEFS.get(n)?.deprecated ?? []);
}

/** Broker configs that supply the default of a topic config, highest priority first. */
export function brokerSynonymsOf(topicName: string): readonly ConfigDefinition[] {
  return BROKER_SYNONYMS.get(topicName) ?? [];
}

// ---------------------------------------------------------------------------
// Parsing, validation and formatting of single values
// ---------------------------------------------------------------------------

/** A configuration problem; the message is one line and names the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }

  static invalidValue(key: string, value: string | null, detail: string): ConfigError {
    return new ConfigError(key, `Invalid value ${value} for configuration ${key}: ${detail}`);
  }
}

const INT_RANGE: Record<'short' | 'int', [number, number]> = {
  short: [-32768, 32767],
  int: [-2147483648, 2147483647],
};
const LONG_MIN_BIG = -(2n ** 63n);
const LONG_MAX_BIG = 2n ** 63n - 1n;

/** Kafka-documentation style text of a definition's valid values, or '' if any. */
export function validValuesText(def: ConfigDefinition): string {
  if (def.validValues !== undefined) return def.validValues;
  if (def.oneOf !== undefined) return `[${def.oneOf.join(', ')}]`;
  if (def.range !== undefined) {
    const { min, max } = def.range;
    if (min !== undefined && max !== undefined) return `[${min},...,${max}]`;
    if (min !== undefined) return `[${min},...]`;
    if (max !== undefined) return `[...,${max}]`;
  }
  return '';
}

function parseTyped(def: ConfigDefinition, raw: string): ConfigTypeMap[ConfigType] {
  const s = raw.trim();
  const bad = (detail: string): ConfigError => ConfigError.invalidValue(def.name, raw, detail);
  switch (def.type) {
    case 'boolean': {
      const lower = s.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw bad('Expected value to be either true or false');
    }
    case 'short':
    case 'int': {
      const [lo, hi] = INT_RANGE[def.type];
      const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n) || n < lo || n > hi) {
        throw bad(`Not a number of type ${def.type.toUpperCase()} (a whole number in [${lo},...,${hi}])`);
      }
      return n === 0 ? 0 : n; // no -0
    }
    case 'long': {
      const big = /^[+-]?\d+$/.test(s) ? BigInt(s) : null;
      if (big === null || big < LONG_MIN_BIG || big > LONG_MAX_BIG) {
        throw bad('Not a number of type LONG (a whole number in [-9223372036854775808,...,9223372036854775807])');
      }
      return Number(big);
    }
    case 'double': {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.exec(s);
      const n = m ? Number(s.replace(/[dDfF]$/, '')) : NaN;
      if (!Number.isFinite(n)) throw bad('Not a number of type DOUBLE');
      return n;
    }
    case 'string':
      return s;
    case 'list':
      return s === '' ? [] : s.split(/\s*,\s*/);
  }
}

/** Checks range, allowed values and the row's own check; returns the error detail. */
function violation(def: ConfigDefinition, value: ConfigTypeMap[ConfigType]): string | undefined {
  if (typeof value === 'number' && def.range !== undefined) {
    const { min, max } = def.range;
    const valid = validValuesText(def);
    if (min !== undefined && value < min) return `Value must be at least ${min} (valid values: ${valid})`;
    if (max !== undefined && value > max) return `Value must be no more than ${max} (valid values: ${valid})`;
  }
  if (def.oneOf !== undefined) {
    const items = Array.isArray(value) ? (value as readonly string[]) : [value as string];
    for (const item of items) {
      if (!def.oneOf.includes(item)) return `String must be one of: ${def.oneOf.join(', ')}`;
    }
  }
  if (def.check !== undefined) {
    // The table pairs each check with its row's type, so this call is sound.
    return (def.check as (v: ConfigTypeMap[ConfigType]) => string | undefined)(value);
  }
  return undefined;
}

/**
 * Parses one value as Kafka's ConfigDef would (trimmed; booleans
 * case-insensitive; lists split on commas) and validates it against the row's
 * range, allowed values and check. Throws ConfigError naming the key and what is
 * valid.
 */
export function parseConfigValue<T extends ConfigType>(
  def: ConfigDefinition & { readonly type: T },
  raw: string,
): ConfigTypeMap[T] {
  const value = parseTyped(def, raw);
  const problem = violation(def, value);
  if (problem !== undefined) throw ConfigError.invalidValue(def.name, raw, problem);
  return value as ConfigTypeMap[T];
}

/** Formats a typed value the way Kafka prints it (DescribeConfigs, docs). */
export function formatConfigValue(def: ConfigDefinition, value: ConfigTypeMap[ConfigType] | null): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(',');
  const n = value as number;
  if (def.type === 'double') return Number.isInteger(n) ? `${n}.0` : String(n);
  if (Number.isSafeInteger(n)) return String(n);
  let big = BigInt(n);
  if (big > LONG_MAX_BIG) big = LONG_MAX_BIG;
  if (big < LONG_MIN_BIG) big = LONG_MIN_BIG;
  return big.toString();
}

/** The default of a row formatted as Kafka would print it. */
export function formatDefault(def: ConfigDefinition): string | null {
  return formatConfigValue(def, def.default);
}

// ---------------------------------------------------------------------------
// Listeners
// ---------------------------------------------------------------------------

export interface Listener {
  /** Listener name, upper-cased as Kafka normalises it (PLAINTEXT). */
  readonly name: string;
  /** Host as written, without IPv6 brackets; '' means every interface. */
  readonly host: string;
  /** 0 means "any free port": the broker substitutes the port it bound. */
  readonly port: number;
  readonly securityProtocol: string;
}

/** Parses `NAME://host:port,...` (no security protocol resolution). */
export function parseListenerList(value: string): { name: string; host: string; port: number }[] {
  const out: { name: string; host: string; port: number }[] = [];
  const seen = new Set<string>();
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = LISTENER_RE.exec(part);
    if (!m) throw new Error(`Listener "${part}" is not of the form NAME://host:port`);
    const name = m[1]!.toUpperCase();
    let host = m[2]!;
    if (host.startsWith('[')) host = host.slice(1, -1);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`Listener "${part}" has port ${port}; ports are 0 to 65535`);
    if (seen.has(name)) throw new Error(`Each listener must have a different name; ${name} appears twice`);
    seen.add(name);
    out.push({ name, host, port });
  }
  return out;
}

/** Listeners with their security protocols (from listener.security.protocol.map). `key` names the setting in errors. */
export function resolveListenerList(key: string, text: string, protocols: ReadonlyMap<string, string>): Listener[] {
  return parseListenerList(text).map((l) => {
    const securityProtocol = protocols.get(l.name);
    if (securityProtocol === undefined) {
      throw new ConfigError(key, `No security protocol defined for listener ${l.name} (see listener.security.protocol.map)`);
    }
    return { ...l, securityProtocol };
  });
}

/** Parses `NAME:PROTOCOL,...` into a map. */
export function parseProtocolMap(value: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([A-Za-z0-9_.-]+):([A-Za-z_]+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not of the form NAME:PROTOCOL`);
    const protocol = m[2]!.toUpperCase();
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
      throw new Error(`Unknown security protocol ${m[2]} for listener ${m[1]}`);
    }
    map.set(m[1]!.toUpperCase(), protocol);
  }
  return map;
}

/** Formats listeners back into Kafka's `NAME://host:port,...` form. */
export function formatListeners(listeners: readonly { name: string; host: string; port: number }[]): string {
  return listeners
    .map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`)
    .join(',');
}

// ---------------------------------------------------------------------------
// Broker configuration
// ---------------------------------------------------------------------------

export interface BrokerConfig {
  /** Typed value of every broker config: the explicit setting, else the default. */
  readonly values: BrokerConfigValues;
  /** Broker configs given explicitly, as the strings given. */
  readonly explicit: ReadonlyMap<BrokerConfigName, string>;
  /** Keys not in the table; Kafka ignores unknown broker configs with a warning. */
  readonly unknown: readonly string[];
  /** Dynamic configs of this broker (AlterConfigs on its node id) and the cluster default (empty name). */
  readonly dynamicBroker: ReadonlyMap<string, string>;
  readonly dynamicDefault: ReadonlyMap<string, string>;

  // Effective values, after Kafka's alias and precedence rules:
  /** node.id, or broker.id when only that is set. */
  readonly nodeId: number;
  /** cluster.id if set; null means "use (or create) the one in meta.properties". */
  readonly clusterId: string | null;
  readonly listeners: readonly Listener[];
  /** advertised.listeners, or the listeners when unset. */
  readonly advertisedListeners: readonly Listener[];
  /** The one data directory: log.dirs, else log.dir. */
  readonly logDir: string;
  readonly flushMode: 'interval' | 'group-commit';
  /** What a topic without overrides gets (retention.ms from log.retention.*, ...). */
  readonly topicDefaults: TopicConfigValues;
  /**
   * `listener.name.<l>.<key>` settings by upper-case listener name, keyed by the rest:
   * a perListener row's name, or `<mechanism>.sasl.jaas.config` / `<mechanism>.connections.max.reauth.ms`.
   */
  readonly listenerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

const LISTENER_PREFIX_RE = /^listener\.name\.([a-z0-9_.-]+?)\.((?:[a-z0-9-]+\.)?(?:sasl\.jaas\.config|connections\.max\.reauth\.ms)|[a-z.]+)$/;

/**
 * Splits a `listener.name.<l>.<key>` setting; undefined when it is not one kafkalite
 * reads (the listener part is lower-case, as Kafka builds the prefix).
 */
function listenerSetting(key: string): { listener: string; key: string } | undefined {
  const m = LISTENER_PREFIX_RE.exec(key);
  if (!m) return undefined;
  const rest = m[2]!;
  if (/(^|\.)sasl\.jaas\.config$/.test(rest) && rest !== 'sasl.jaas.config') return { listener: m[1]!.toUpperCase(), key: rest };
  const def = BROKER_DEFS.get(rest);
  if (def?.perListener || /\.connections\.max\.reauth\.ms$/.test(rest)) return { listener: m[1]!.toUpperCase(), key: rest };
  return undefined;
}

/**
 * The value of a perListener row for one listener: `listener.name.<l>.<name>` when
 * set, else the broker-wide value.
 */
export function listenerValue<N extends BrokerConfigName>(config: BrokerConfig, listener: string, name: N): BrokerConfigValues[N] {
  const raw = config.listenerConfigs.get(listener)?.get(name);
  if (raw === undefined) return config.values[name];
  return parseConfigValue(BROKER_DEFS.get(name)!, raw) as BrokerConfigValues[N];
}

export interface ResolveOptions {
  /** When given, each unknown key is logged as a warning. */
  readonly logger?: { warn(obj: object, msg: string): void };
  /**
   * Dynamic broker configs (already validated by validateDynamicBrokerConfigs):
   * this broker's, over the cluster default, over the static ones.
   */
  readonly dynamic?: { readonly broker?: Readonly<Record<string, string>>; readonly default?: Readonly<Record<string, string>> };
}

type ConfigInput = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

function entriesOf(input: ConfigInput): [string, string][] {
  return input instanceof Map ? [...input.entries()] : Object.entries(input as Record<string, string>);
}

/** For an unknown broker key that is a topic-level name, the broker name meant. */
export function suggestBrokerName(key: string): string | undefined {
  return brokerSynonymsOf(key)[0]?.name;
}

interface TopicDerivation {
  value: ConfigTypeMap[ConfigType];
  /** Broker row that supplied the value; undefined when the topic default was used. */
  from?: ConfigDefinition;
}

/** The value a topic config gets from the broker's values when not overridden. */
function deriveFromBroker(
  topicDef: ConfigDefinition,
  brokerValues: Readonly<Record<string, ConfigTypeMap[ConfigType] | null>>,
): TopicDerivation {
  for (const syn of brokerSynonymsOf(topicDef.name)) {
    const v = brokerValues[syn.name];
    if (v === null || v === undefined) continue;
    let value = v;
    if (typeof v === 'number' && syn.topicFactor !== undefined) value = v * syn.topicFactor;
    // Kafka maps any negative broker retention time to -1 (unlimited).
    if (topicDef.name === 'retention.ms' && typeof value === 'number' && value < 0) value = -1;
    return { value, from: syn };
  }
  return { value: topicDef.default as ConfigTypeMap[ConfigType] };
}

function requireAtMost(values: Record<string, unknown>, small: string, big: string): void {
  const a = values[small] as number;
  const b = values[big] as number;
  if (a > b) throw new ConfigError(small, `${small} (${a}) must not be greater than ${big} (${b})`);
}

/**
 * Builds the broker configuration from explicit settings (server.properties and
 * --set, already merged). Throws ConfigError for a bad value or an inconsistent
 * combination; unknown keys are returned in `unknown` (and logged if a logger is
 * given), as Kafka ignores them with a warning.
 */
export function resolveBrokerConfig(overrides: ConfigInput = {}, options: ResolveOptions = {}): BrokerConfig {
  const values: Record<string, ConfigTypeMap[ConfigType] | null> = {};
  const explicit = new Map<BrokerConfigName, string>();
  const unknown: string[] = [];

  const listenerConfigs = new Map<string, Map<string, string>>();
  for (const [key, raw] of entriesOf(overrides)) {
    const def = BROKER_DEFS.get(key);
    const perListener = def === undefined ? listenerSetting(key) : undefined;
    if (perListener !== undefined) {
      const rowDef = BROKER_DEFS.get(perListener.key);
      if (rowDef !== undefined) parseConfigValue(rowDef, raw); // checked as the row, reported under its own key below
      const map = listenerConfigs.get(perListener.listener) ?? new Map<string, string>();
      map.set(perListener.key, raw);
      listenerConfigs.set(perListener.listener, map);
      continue;
    }
    if (def === undefined) {
      unknown.push(key);
      continue;
    }
    values[key] = parseConfigValue(def, raw);
    explicit.set(key as BrokerConfigName, raw);
  }
  // Kafka's precedence: this broker's dynamic config, the cluster default, the static one.
  const dynamicDefault = new Map(Object.entries(options.dynamic?.default ?? {}));
  const dynamicBroker = new Map(Object.entries(options.dynamic?.broker ?? {}));
  for (const layer of [dynamicDefault, dynamicBroker]) {
    for (const [key, raw] of layer) {
      const def = BROKER_DEFS.get(key);
      if (def === undefined || !isDynamicBrokerConfig(def)) throw new ConfigError(key, `${key} is not a dynamic broker config`);
      values[key] = parseConfigValue(def, raw);
    }
  }
  for (const def of BROKER_DEFS.values()) {
    if (!(def.name in values)) values[def.name] = def.default;
  }
  if (options.logger !== undefined) {
    for (const key of unknown) {
      const hint = suggestBrokerName(key);
      options.logger.warn(
        { key },
        `ignoring unknown config ${key}` + (hint ? ` (a topic-level name; the broker default is ${hint})` : ''),
      );
    }
  }

  // node.id / broker.id
  const nodeSet = explicit.has('node.id');
  const brokerSet = explicit.has('broker.id');
  if (nodeSet && brokerSet && values['node.id'] !== values['broker.id']) {
    throw new ConfigError(
      'broker.id',
      `broker.id (${values['broker.id']}) and node.id (${values['node.id']}) must be equal when both are set`,
    );
  }
  const nodeId = (nodeSet ? values['node.id'] : brokerSet ? values['broker.id'] : values['node.id']) as number;
  values['node.id'] = nodeId;
  values['broker.id'] = nodeId;

  // log.dirs / log.dir
  const dirsKey = values['log.dirs'] !== null ? 'log.dirs' : 'log.dir';
  const dirs = (values[dirsKey] ?? []) as readonly string[];
  if (dirs.length !== 1 || dirs[0] === '') {
    throw new ConfigError(
      dirsKey,
      `Invalid value ${formatConfigValue(BROKER_DEFS.get(dirsKey)!, dirs)} for configuration ${dirsKey}: ` +
        'kafkalite keeps its data in exactly one directory',
    );
  }

  // listeners
  const protocols = parseProtocolMap(values['listener.security.protocol.map'] as string);
  const resolveListeners = (key: string, text: string): Listener[] => resolveListenerList(key, text, protocols);
  const listeners = resolveListeners('listeners', values['listeners'] as string);
  const advertisedText = values['advertised.listeners'] as string | null;
  const advertisedListeners = advertisedText === null ? listeners : resolveListeners('advertised.listeners', advertisedText);
  const listenerNames = new Set(listeners.map((l) => l.name));
  for (const l of advertisedListeners) {
    if (advertisedText !== null && (l.host === '0.0.0.0' || l.host === '::')) {
      throw new ConfigError('advertised.listeners', `advertised.listeners cannot use the non-routable address ${l.host}`);
    }
    if (!listenerNames.has(l.name)) {
      throw new ConfigError(
        'advertised.listeners',
        `advertised.listeners names (${l.name}) must be a subset of the listener names in listeners`,
      );
    }
  }
  const interBrokerName = values['inter.broker.listener.name'] as string | null;
  if (interBrokerName !== null && explicit.has('security.inter.broker.protocol')) {
    throw new ConfigError(
      'inter.broker.listener.name',
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
    );
  }
  const interBroker = interBrokerName?.toUpperCase();
  const interBrokerOk = interBroker !== undefined
    ? listenerNames.has(interBroker)
    : listeners.some((l) => l.securityProtocol === values['security.inter.broker.protocol']);
  if (!interBrokerOk) {
    throw new ConfigError(
      interBroker !== undefined ? 'inter.broker.listener.name' : 'security.inter.broker.protocol',
      `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${[...listenerNames].join(',')}`,
    );
  }
  for (const name of listenerConfigs.keys()) {
    if (!listenerNames.has(name) && !protocols.has(name)) {
      options.logger?.warn({ listener: name }, `ignoring listener.name.${name.toLowerCase()}.* settings: no such listener`);
    }
  }

  // Topic defaults, checked against the topic rows' ranges (a broker value that
  // is not a valid topic value would break every topic).
  const topicDefaults: Record<string, ConfigTypeMap[ConfigType]> = {};
  for (const def of TOPIC_DEFS.values()) {
    const { value, from } = deriveFromBroker(def, values);
    if (from !== undefined && from.scope !== 'both') {
      if (def.name === 'retention.ms' && value === 0) {
        throw ConfigError.invalidValue(
          from.name,
          explicit.get(from.name as BrokerConfigName) ?? formatDefault(from),
          'retention time must be -1 (unlimited) or at least 1 ms',
        );
      }
      const problem = violation(def, value);
      if (problem !== undefined) {
        throw ConfigError.invalidValue(
          from.name,
          explicit.get(from.name as BrokerConfigName) ?? formatDefault(from),
          `gives ${def.name}=${formatConfigValue(def, value)}: ${problem}`,
        );
      }
    }
    topicDefaults[def.name] = value;
  }

  // Consumer-protocol group bounds, as Kafka checks them at startup.
  requireAtMost(values, 'group.consumer.min.session.timeout.ms', 'group.consumer.session.timeout.ms');
  requireAtMost(values, 'group.consumer.session.timeout.ms', 'group.consumer.max.session.timeout.ms');
  requireAtMost(values, 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.heartbeat.interval.ms');
  requireAtMost(values, 'group.consumer.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms');
  if ((values['group.consumer.heartbeat.interval.ms'] as number) >= (values['group.consumer.session.timeout.ms'] as number)) {
    throw new ConfigError(
      'group.consumer.heartbeat.interval.ms',
      'group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms',
    );
  }

  return {
    values: Object.freeze(values) as unknown as BrokerConfigValues,
    explicit,
    unknown,
    dynamicBroker,
    dynamicDefault,
    nodeId,
    clusterId: values['cluster.id'] as string | null,
    listeners,
    advertisedListeners,
    logDir: dirs[0]!,
    flushMode: values['log.flush.mode'] as 'interval' | 'group-commit',
    topicDefaults: Object.freeze(topicDefaults) as unknown as TopicConfigValues,
    listenerConfigs,
  };
}

// ---------------------------------------------------------------------------
// Topic configuration
// ---------------------------------------------------------------------------


/**
 * Effective configuration of one topic: its overrides (as stored, already
 * validated) over the broker's topic defaults. Throws ConfigError for an unknown
 * name or a bad value.
 */
export function resolveTopicConfig(broker: BrokerConfig, topicOverrides: ConfigInput = {}): TopicConfigValues {
  const values: Record<string, unknown> = { ...(broker.topicDefaults as Record<string, unknown>) };
  for (const [key, raw] of entriesOf(topicOverrides)) {
    const def = TOPIC_DEFS.get(key);
    if (def === undefined) throw new ConfigError(key, `Unknown topic config name: ${key}`);
    values[key] = parseConfigValue(def, raw);
  }
  return Object.freeze(values) as unknown as TopicConfigValues;
}

export interface ConfigValidationError {
  readonly errorCode: number;
  readonly errorMessage: string;
}

/**
 * Validates topic configs from CreateTopics or (Incremental)AlterConfigs, as
 * Kafka's controller does: null values, then unknown names, then each value. For
 * an incremental alter, pass the merged result of the existing overrides and the
 * changes. Returns null when valid, else Kafka's INVALID_CONFIG with a message.
 */
export function validateTopicConfigs(
  configs: Iterable<readonly [string, string | null]> | Readonly<Record<string, string | null>>,
): ConfigValidationError | null {
  const entries: (readonly [string, string | null])[] =
    Symbol.iterator in configs
      ? [...(configs as Iterable<readonly [string, string | null]>)]
      : Object.entries(configs as Record<string, string | null>);
  const invalid = (errorMessage: string): ConfigValidationError => ({ errorCode: INVALID_CONFIG, errorMessage });

  const nulls = entries.filter(([, v]) => v === null).map(([k]) => k);
  if (nulls.length > 0) return invalid(`Null value not supported for topic configs: ${nulls.join(',')}`);

  for (const [key] of entries) {
    if (!TOPIC_DEFS.has(key)) return invalid(`Unknown topic config name: ${key}`);
  }

  for (const [key, raw] of entries) {
    try {
      parseConfigValue(TOPIC_DEFS.get(key)!, raw as string);
    } catch (e) {
      if (e instanceof ConfigError) return invalid(e.message);
      throw e;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// DescribeConfigs
// ---------------------------------------------------------------------------

/** DescribeConfigs ConfigSource codes (Kafka's DescribeConfigsResponse.ConfigSource). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  GROUP_CONFIG: 8,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs (v3+) ConfigType codes. */
export const KAFKA_CONFIG_TYPE: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
};

/** DescribeConfigs' ConfigType code for secrets. */
const KAFKA_PASSWORD_TYPE = 9;

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  /** v0's is_default: true when the value is the built-in default. */
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly type: ConfigType;
  /** The ConfigType code for DescribeConfigs v3+. */
  readonly configType: number;
  readonly documentation: string;
  /** Where the value could come from, highest priority first (include_synonyms). */
  readonly synonyms: readonly ConfigSynonym[];
}

/** Broker rows that answer for the same setting as `def` (alternates and aliases). */
function brokerGroup(def: ConfigDefinition): ConfigDefinition[] {
  if (def.topicName !== undefined) return [...brokerSynonymsOf(def.topicName)];
  if (def.scope === 'both') return [def];
  const root = def.aliasOf ?? def.name;
  return CONFIG_DEFINITIONS.filter((d) => d.scope !== 'topic' && (d.name === root || d.aliasOf === root));
}

/** A broker row can be altered at runtime in Kafka when it is a topic default's first synonym. */
export function isDynamicBrokerConfig(def: ConfigDefinition): boolean {
  if (def.scope === 'both') return true;
  return def.topicName !== undefined && brokerSynonymsOf(def.topicName)[0] === def;
}

/**
 * Checks a complete set of dynamic configs for one broker resource, as Kafka's
 * controller does: names Kafka cannot change at runtime (INVALID_REQUEST, Kafka's
 * message), unknown names and bad values (INVALID_CONFIG), then the topic
 * defaults they give, resolved with `static` and the other layer.
 */
export function validateDynamicBrokerConfigs(
  configs: Readonly<Record<string, string>>,
  resolve: (configs: Readonly<Record<string, string>>) => BrokerConfig,
): ConfigValidationError | null {
  const names = Object.keys(configs);
  const fixed = names.filter((k) => {
    const def = BROKER_DEFS.get(k);
    return def !== undefined && !isDynamicBrokerConfig(def);
  });
  if (fixed.length > 0) return { errorCode: INVALID_REQUEST, errorMessage: `Cannot update these configs dynamically: Set(${fixed.join(', ')})` };
  const unknown = names.filter((k) => !BROKER_DEFS.has(k));
  if (unknown.length > 0) return { errorCode: INVALID_CONFIG, errorMessage: `Unknown broker config name: ${unknown.join(', ')}` };
  try {
    resolve(configs);
  } catch (e) {
    if (e instanceof ConfigError) return { errorCode: INVALID_CONFIG, errorMessage: e.message };
    throw e;
  }
  return null;
}

/** Where a broker config's set value comes from, in Kafka's precedence, or undefined when unset. */
function brokerSetting(broker: BrokerConfig, name: string): { value: string; source: ConfigSource } | undefined {
  const layers: [ReadonlyMap<string, string>, ConfigSource][] = [
    [broker.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [broker.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [broker.explicit, ConfigSource.STATIC_BROKER_CONFIG],
  ];
  for (const [map, source] of layers) {
    const value = map.get(name);
    if (value !== undefined) return { value, source };
  }
  return undefined;
}

function brokerSynonymList(broker: BrokerConfig, group: readonly ConfigDefinition[]): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  for (const [map, source] of [
    [broker.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [broker.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
  ] as const) {
    for (const d of group) {
      const raw = map.get(d.name);
      if (raw !== undefined) out.push({ name: d.name, value: raw, source });
    }
  }
  for (const d of group) {
    const raw = broker.explicit.get(d.name as BrokerConfigName);
    if (raw !== undefined) out.push({ name: d.name, value: raw, source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  for (const d of group) {
    const v = formatDefault(d);
    if (v !== null) out.push({ name: d.name, value: v, source: ConfigSource.DEFAULT_CONFIG });
  }
  return out;
}

/** DescribeConfigs' configuration_keys as a filter: null or undefined means all. */
export function wanted(names: Iterable<string> | null | undefined): ((name: string) => boolean) {
  if (names === null || names === undefined) return () => true;
  const set = new Set(names);
  return (name) => set.has(name);
}

/**
 * Broker configs for DescribeConfigs, sorted by name. `names` null or undefined
 * means all; unknown names are skipped, as Kafka does.
 */
export function describeBrokerConfigs(broker: BrokerConfig, names?: Iterable<string> | null): DescribedConfig[] {
  const want = wanted(names);
  const setting = (d: ConfigDefinition): { value: string; source: ConfigSource } | undefined => {
    // node.id and broker.id report the effective id whichever was set.
    if (d.name === 'node.id' || d.name === 'broker.id') {
      const raw = broker.explicit.get('node.id') ?? broker.explicit.get('broker.id');
      return raw === undefined ? undefined : { value: raw, source: ConfigSource.STATIC_BROKER_CONFIG };
    }
    return brokerSetting(broker, d.name);
  };
  return [...BROKER_DEFS.values()]
    .filter((d) => want(d.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => {
      const set = setting(d);
      const source = set?.source ?? ConfigSource.DEFAULT_CONFIG;
      const value =
        set !== undefined
          ? set.value
          : d.name === 'broker.id'
            ? String(broker.nodeId)
            : formatDefault(d);
      const synonyms = brokerSynonymList(broker, brokerGroup(d));
      // Secrets are described without their values, as Kafka does.
      return {
        name: d.name,
        value: d.sensitive ? null : value,
        source,
        isDefault: source === ConfigSource.DEFAULT_CONFIG,
        readOnly: !isDynamicBrokerConfig(d),
        sensitive: d.sensitive === true,
        type: d.type,
        configType: d.sensitive ? KAFKA_PASSWORD_TYPE : KAFKA_CONFIG_TYPE[d.type],
        documentation: d.doc,
        synonyms: d.sensitive ? synonyms.map((x) => ({ ...x, value: null })) : synonyms,
      };
    });
}

/**
 * A topic's configs for DescribeConfigs, sorted by name: overrides with source
 * TOPIC_CONFIG, the rest from the broker (STATIC_BROKER_CONFIG when set there,
 * else DEFAULT_CONFIG).
 */
export function describeTopicConfigs(
  broker: BrokerConfig,
  topicOverrides: ConfigInput = {},
  names?: Iterable<string> | null,
): DescribedConfig[] {
  const want = wanted(names);
  const overrides = new Map(entriesOf(topicOverrides));
  const brokerValues = broker.values as unknown as Record<string, ConfigTypeMap[ConfigType] | null>;
  return [...TOPIC_DEFS.values()]
    .filter((d) => want(d.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => {
      const raw = overrides.get(d.name);
      const group = brokerSynonymsOf(d.name);
      const synonyms: ConfigSynonym[] = [];
      if (raw !== undefined) synonyms.push({ name: d.name, value: raw, source: ConfigSource.TOPIC_CONFIG });
      synonyms.push(...brokerSynonymList(broker, group));
      let value: string | null;
      let source: ConfigSource;
      if (raw !== undefined) {
        value = raw;
        source = ConfigSource.TOPIC_CONFIG;
      } else {
        const { value: v, from } = deriveFromBroker(d, brokerValues);
        value = formatConfigValue(d, v);
        source = (from !== undefined ? brokerSetting(broker, from.name)?.source : undefined) ?? ConfigSource.DEFAULT_CONFIG;
      }
      return writableConfigEntry(d, value, source, synonyms);
    });
}

/** A DescribeConfigs entry that may be altered and is no secret (topic and group configs). */
export function writableConfigEntry(def: ConfigDefinition, value: string | null, source: ConfigSource, synonyms: readonly ConfigSynonym[]): DescribedConfig {
  return {
    name: def.name,
    value,
    source,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    readOnly: false,
    sensitive: false,
    type: def.type,
    configType: KAFKA_CONFIG_TYPE[def.type],
    documentation: def.doc,
    synonyms,
  };
}
