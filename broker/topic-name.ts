// Kafka's topic name rules (org.apache.kafka.common.internals.Topic): the broker's admin checks (CreateTopics, Metadata auto-creation).

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why a name is not a legal topic name, or null when it is. */
export function invalidTopicNameReason(name: string | null): string | null {
  if (name === null || name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** '.' and '_' collide in metric names, so Kafka refuses a topic whose name differs from another's only there. */
export function unifyCollisionChars(name: string): string {
  return name.replace(/\./g, '_');
}
