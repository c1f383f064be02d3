// Consumer group administration: ListGroups (every broker lists the groups it
// coordinates), DescribeGroups and DeleteGroups (at each group's coordinator).
import { ListGroupsApi } from '../protocol/messages/16-list-groups.js';
import { DescribeGroupsApi } from '../protocol/messages/15-describe-groups.js';
import { DeleteGroupsApi } from '../protocol/messages/42-delete-groups.js';
import { ProtocolError, throwIfError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';
import { coordinatorCall, type TopicPartition } from './offsets.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from './consumer-protocol.js';

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  /** '' when the broker does not say (ListGroups before v4). */
  readonly state: string;
}

export async function listGroups(client: KafkaClient): Promise<ListedGroup[]> {
  const brokers = await client.brokers();
  const lists = await Promise.all(
    brokers.map(async (b) => {
      const res = await (await client.node(b.nodeId)).request(ListGroupsApi, {});
      throwIfError(res.errorCode, `list groups on broker ${b.nodeId}`);
      return res.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState }));
    }),
  );
  return lists.flat().sort((a, b) => a.groupId.localeCompare(b.groupId));
}

export interface GroupMemberInfo {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Decoded for consumer groups; empty otherwise. */
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: readonly GroupMemberInfo[];
}

export async function describeGroup(client: KafkaClient, groupId: string): Promise<GroupDescription> {
  return coordinatorCall(client, groupId, async (conn) => {
    const res = await conn.request(DescribeGroupsApi, { groups: [groupId] });
    const g = res.groups[0];
    if (g === undefined) throw new ProtocolError(`DescribeGroups did not answer group "${groupId}"`);
    throwIfError(g.errorCode, `describe group "${groupId}"`);
    return {
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: g.protocolType === CONSUMER_PROTOCOL_TYPE ? decodeAssignment(m.memberAssignment) : [],
      })),
    };
  });
}

export async function deleteGroup(client: KafkaClient, groupId: string): Promise<void> {
  await coordinatorCall(client, groupId, async (conn) => {
    const res = await conn.request(DeleteGroupsApi, { groupsNames: [groupId] });
    const r = res.results.find((x) => x.groupId === groupId);
    if (r === undefined) throw new ProtocolError(`DeleteGroups did not answer group "${groupId}"`);
    throwIfError(r.errorCode, `delete group "${groupId}"`);
  });
}
