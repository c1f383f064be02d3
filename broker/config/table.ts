// The one table of configuration definitions, in the manner of Kafka's ConfigDef.
// Data only: the machinery that reads it lives beside it in broker/config/.
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

import { parsePrincipalRules } from '../security/principal.js';
import { AUTHORIZER_CLASS_NAMES, parseSuperUsers } from '../security/authorizer.js';
import { parseListenerList, parseProtocolMap } from './listeners.js';
import type { ConfigDefinition, ConfigType, ConfigTypeMap } from './types.js';

/** Kafka's Long.MAX_VALUE as the nearest double; compare with `>=`. */
export const LONG_MAX = 2 ** 63;
/** Kafka's Integer.MAX_VALUE. */
export const INT_MAX = 2147483647;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

// ---------------------------------------------------------------------------
// Checks used by several rows
// ---------------------------------------------------------------------------

function checkListenerList(list: string): string | undefined {
  if (list.trim() === '') return 'Expected at least one listener of the form NAME://host:port';
  try {
    parseListenerList(list);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkSuperUsers(text: string): string | undefined {
  try {
    parseSuperUsers(text);
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

const NO_TIERED_STORAGE = 'Tiered storage is not available in kafkalite';
const NO_REPLICATION = 'kafkalite partitions have one replica and no replication to throttle';

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
    doc: 'SASL mechanisms served on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (unsecured JWS tokens, Kafka\'s default validator; GSSAPI is not available in kafkalite). Each needs listener.name.<l>.<mechanism>.sasl.jaas.config.',
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
  {
    name: 'authorizer.class.name', type: 'string', default: '', scope: 'broker',
    check: (v: string) => (v === '' || (AUTHORIZER_CLASS_NAMES as readonly string[]).includes(v) ? undefined : 'Not an authorizer kafkalite has'),
    validValues: `empty or ${AUTHORIZER_CLASS_NAMES.join(', ')}`,
    doc: 'The ACL authorizer: StandardAuthorizer (or the name of the removed AclAuthorizer, which decided the same way). Empty: no authorizer, every principal may do everything and the ACL APIs answer SECURITY_DISABLED.',
  },
  {
    name: 'super.users', type: 'string', default: null, scope: 'broker',
    check: (v: string) => checkSuperUsers(v), validValues: 'Type:name[;Type:name...]',
    doc: 'Principals the authorizer allows everything, separated by semicolons (User:admin;User:CN=ops,O=kl).',
  },
  {
    name: 'allow.everyone.if.no.acl.found', type: 'boolean', default: false, scope: 'broker',
    doc: 'With an authorizer: a resource with no ACL at all may be used by every principal (otherwise only super users).',
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
    name: 'quota.window.num', type: 'int', default: 11, range: { min: 1 }, scope: 'broker',
    doc: 'The number of samples to retain in memory for client quotas (the windows a client\'s produce, fetch and request rates are measured over).',
  },
  {
    name: 'quota.window.size.seconds', type: 'int', default: 1, range: { min: 1 }, scope: 'broker',
    doc: 'The time span of each sample for client quotas.',
  },
  {
    name: 'controller.quota.window.num', type: 'int', default: 11, range: { min: 1 }, scope: 'broker',
    doc: 'The number of samples to retain in memory for controller mutation quotas (controller_mutation_rate: the burst a client may take is this many windows of its rate).',
  },
  {
    name: 'controller.quota.window.size.seconds', type: 'int', default: 1, range: { min: 1 }, scope: 'broker',
    doc: 'The time span of each sample for controller mutations quotas.',
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
    name: 'compression.lz4.level', type: 'int', default: 9, range: { min: 1, max: 17 }, scope: 'both',
    // Kafka's level 9 is lz4's fast compressor; other levels are LZ4HC, which lz4-napi lacks.
    check: (v: number) => (v === 9 ? undefined : 'kafkalite compresses lz4 only with the fast compressor (Kafka\'s level 9); LZ4HC levels are not available'),
    validValues: '9',
    doc: 'lz4 level used when the broker recompresses with lz4; kafkalite\'s lz4 codec has only the fast compressor, which is Kafka\'s level 9, so only 9 is accepted.',
  },
  {
    name: 'compression.zstd.level', type: 'int', default: 3, range: { min: -131072, max: 22 }, scope: 'both',
    doc: 'zstd level used when the broker recompresses with zstd.',
  },

  // --- log storage ----------------------------------------------------------
  {
    name: 'log.dirs', type: 'string', default: null, scope: 'broker',
    doc: 'Data directory; unset means log.dir. A comma-separated list in Kafka (a STRING it splits); kafkalite keeps everything in exactly one directory.',
  },
  {
    name: 'log.dir', type: 'string', default: './kafkalite-data', scope: 'broker', aliasOf: 'log.dirs',
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
    name: 'log.cleaner.enable', type: 'boolean', default: true, scope: 'broker',
    doc: 'Runs the log cleaner, which compacts cleanup.policy=compact topics.',
  },
  {
    name: 'log.cleaner.threads', type: 'int', default: 1, range: { min: 1 }, scope: 'broker',
    doc: 'Logs cleaned at once: concurrent cleaning jobs on the broker\'s event loop, each in small slices so produce and fetch do not stall.',
  },
  {
    name: 'log.cleaner.dedupe.buffer.size', type: 'long', default: 134217728, range: { min: 24 }, scope: 'broker',
    doc: 'Memory bound of the cleaners\' offset maps (24 bytes a key, shared by all threads); allocated as keys arrive.',
  },
  {
    name: 'log.cleaner.io.buffer.load.factor', type: 'double', default: 0.9, range: { min: 0, max: 1 }, scope: 'broker',
    doc: 'Share of the dedupe buffer\'s slots a round fills before it stops mapping keys.',
  },
  {
    name: 'log.cleaner.io.max.bytes.per.second', type: 'double', default: Number.MAX_VALUE, range: { min: 0 }, scope: 'broker',
    doc: 'Bytes per second all cleaning jobs together read and write at most.',
  },
  {
    name: 'log.cleaner.backoff.ms', type: 'long', default: 15000, range: { min: 0 }, scope: 'broker',
    doc: 'How long the cleaner sleeps when no log is cleanable.',
  },
  {
    name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: 0.5, range: { min: 0, max: 1 }, scope: 'broker',
    topicName: 'min.cleanable.dirty.ratio',
    doc: 'Default min.cleanable.dirty.ratio.',
  },
  {
    name: 'log.cleaner.delete.retention.ms', type: 'long', default: 86400000, range: { min: 0 }, scope: 'broker',
    topicName: 'delete.retention.ms',
    doc: 'Default delete.retention.ms.',
  },
  {
    name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: 0, range: { min: 0 }, scope: 'broker',
    topicName: 'min.compaction.lag.ms',
    doc: 'Default min.compaction.lag.ms.',
  },
  {
    name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: LONG_MAX, range: { min: 1 }, scope: 'broker',
    topicName: 'max.compaction.lag.ms',
    doc: 'Default max.compaction.lag.ms.',
  },
  {
    name: 'log.segment.delete.delay.ms', type: 'long', default: 60000, range: { min: 0 }, scope: 'broker',
    topicName: 'file.delete.delay.ms',
    doc: 'Default file.delete.delay.ms.',
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
    name: 'log.preallocate', type: 'boolean', default: false, scope: 'broker', topicName: 'preallocate',
    check: (v: boolean) => (v ? 'kafkalite does not preallocate segment files' : undefined),
    validValues: 'false',
    doc: 'Topic default of preallocate; only false is accepted (see preallocate).',
  },
  {
    name: 'log.local.retention.ms', type: 'long', default: -2, range: { min: -2 }, scope: 'broker', topicName: 'local.retention.ms',
    check: (v: number) => (v === -2 ? undefined : NO_TIERED_STORAGE),
    validValues: '-2',
    doc: 'Topic default of local.retention.ms; only -2 is accepted (see local.retention.ms).',
  },
  {
    name: 'log.local.retention.bytes', type: 'long', default: -2, range: { min: -2 }, scope: 'broker', topicName: 'local.retention.bytes',
    check: (v: number) => (v === -2 ? undefined : NO_TIERED_STORAGE),
    validValues: '-2',
    doc: 'Topic default of local.retention.bytes; only -2 is accepted (see local.retention.bytes).',
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
    name: 'file.delete.delay.ms', type: 'long', default: 60000, range: { min: 0 }, scope: 'topic',
    doc: 'How long the files of segments the cleaner replaced stay before they are deleted.',
  },
  {
    name: 'min.cleanable.dirty.ratio', type: 'double', default: 0.5, range: { min: 0, max: 1 }, scope: 'topic',
    doc: 'A compacted log is cleaned once the bytes not yet cleaned exceed this share of it.',
  },
  {
    name: 'delete.retention.ms', type: 'long', default: 86400000, range: { min: 0 }, scope: 'topic',
    doc: 'How long a tombstone (and an empty transaction\'s marker) stays after the cleaning round that first kept it.',
  },
  {
    name: 'min.compaction.lag.ms', type: 'long', default: 0, range: { min: 0 }, scope: 'topic',
    doc: 'Least time a record stays uncompacted.',
  },
  {
    name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX, range: { min: 1 }, scope: 'topic',
    doc: 'Longest time a record stays uncompacted: an older dirty segment forces a round whatever the ratio.',
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
    check: (v: boolean) => (v ? NO_TIERED_STORAGE : undefined),
    validValues: 'false',
    doc: 'Tiered storage for this topic; kafkalite has none, so only false is accepted.',
  },
  {
    name: 'local.retention.ms', type: 'long', default: -2, range: { min: -2 }, scope: 'topic',
    check: (v: number) => (v === -2 ? undefined : NO_TIERED_STORAGE),
    validValues: '-2',
    doc: 'How long segments stay on local disk before only the remote copy remains; a tiered-storage setting and kafkalite has none, so only -2 (follow retention.ms) is accepted.',
  },
  {
    name: 'local.retention.bytes', type: 'long', default: -2, range: { min: -2 }, scope: 'topic',
    check: (v: number) => (v === -2 ? undefined : NO_TIERED_STORAGE),
    validValues: '-2',
    doc: 'Local size kept before only the remote copy remains; a tiered-storage setting and kafkalite has none, so only -2 (follow retention.bytes) is accepted.',
  },
  {
    name: 'remote.log.copy.disable', type: 'boolean', default: false, scope: 'topic',
    check: (v: boolean) => (v ? NO_TIERED_STORAGE : undefined),
    validValues: 'false',
    doc: 'Stops copying segments to remote storage; kafkalite has no tiered storage, so only false is accepted.',
  },
  {
    name: 'remote.log.delete.on.disable', type: 'boolean', default: false, scope: 'topic',
    check: (v: boolean) => (v ? NO_TIERED_STORAGE : undefined),
    validValues: 'false',
    doc: 'Deletes the remote copy when tiered storage is turned off; kafkalite has no tiered storage, so only false is accepted.',
  },
  {
    name: 'preallocate', type: 'boolean', default: false, scope: 'topic',
    check: (v: boolean) => (v ? 'kafkalite does not preallocate segment files' : undefined),
    validValues: 'false',
    doc: 'Preallocate a new segment file at its full size; kafkalite grows segment files as it appends, so only false is accepted.',
  },
  {
    name: 'unclean.leader.election.enable', type: 'boolean', default: false, scope: 'both',
    doc: 'Whether an out-of-sync replica may become leader; every kafkalite partition has one replica, always its leader and in sync, so there is never an out-of-sync replica to elect and both values behave alike.',
  },
  {
    name: 'leader.replication.throttled.replicas', type: 'list', default: [], scope: 'topic',
    check: (v: readonly string[]) => (v.length === 0 ? undefined : NO_REPLICATION),
    validValues: '',
    doc: 'Replicas whose replication the leader throttles; kafkalite partitions have one replica and no replication, so only the empty list is accepted.',
  },
  {
    name: 'follower.replication.throttled.replicas', type: 'list', default: [], scope: 'topic',
    check: (v: readonly string[]) => (v.length === 0 ? undefined : NO_REPLICATION),
    validValues: '',
    doc: 'Replicas whose fetching from the leader is throttled; kafkalite partitions have one replica and no replication, so only the empty list is accepted.',
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
  {
    name: 'group.consumer.migration.policy', type: 'string', default: 'bidirectional',
    oneOf: ['disabled', 'downgrade', 'upgrade', 'bidirectional'], caseInsensitive: true, scope: 'broker',
    kafkaDefault: 'disabled',
    doc: 'Online conversion of a non-empty group: upgrade (classic to consumer when a consumer-protocol member joins), downgrade (back when the last one leaves), both, or neither. Kafka 3.9 defaults to disabled; kafkalite to bidirectional, the default of Kafka 4.0, where the protocol is generally available.',
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
    name: 'transaction.state.log.replication.factor', type: 'short', default: 1, range: { min: 1, max: 1 }, scope: 'broker',
    kafkaDefault: '3',
    doc: 'Replication factor of __transaction_state; kafkalite keeps one copy of every partition, so only 1 is accepted.',
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
