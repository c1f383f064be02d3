// A consumer-group member in its own process, so that a test can kill it
// (SIGKILL: no LeaveGroup, sockets dropped by the OS) the way a crashed
// application dies. MEMBER_LIBRARY picks the client: kafkajs or platformatic;
// MEMBER_GROUP_PROTOCOL=consumer makes the platformatic one a KIP-848 member.
// Configured by environment; reports on stdout, one JSON object per line:
//   {"event":"join","memberId":...,"assignment":{topic:[partitions]}}
//   {"event":"message","partition":n,"offset":"n","value":"..."}
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const brokers = env('MEMBER_BROKERS');
const groupId = env('MEMBER_GROUP');
const topic = env('MEMBER_TOPIC');
const clientId = env('MEMBER_CLIENT_ID');
const sessionTimeout = Number(env('MEMBER_SESSION_MS'));
const heartbeatInterval = Number(process.env.MEMBER_HEARTBEAT_MS ?? '100');

if (env('MEMBER_LIBRARY') === 'kafkajs') {
  const kafka = new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, sessionTimeout, heartbeatInterval, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => say({ event: 'join', memberId: e.payload.memberId, assignment: e.payload.memberAssignment }));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      say({ event: 'message', partition, offset: message.offset, value: message.value?.toString() ?? null });
    },
  });
} else {
  const group =
    process.env.MEMBER_GROUP_PROTOCOL === 'consumer' ? { groupProtocol: 'consumer' as const } : { sessionTimeout, heartbeatInterval };
  const consumer = new Consumer({
    groupId,
    clientId,
    bootstrapBrokers: [brokers],
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    ...group,
  });
  consumer.on('consumer:group:join', (p) =>
    say({ event: 'join', memberId: p.memberId, assignment: Object.fromEntries((p.assignments ?? []).map((a) => [a.topic, a.partitions])) }),
  );
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 100 });
  stream.on('data', (m) => say({ event: 'message', partition: m.partition, offset: String(m.offset), value: m.value }));
}
