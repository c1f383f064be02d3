// JoinGroup (key 11), versions 0-9.
// Translates the request for the group coordinator (broker/groups/) and its
// answer back; the answer of a member that must wait for the others is a parked
// promise that a later step of the coordinator (another member's JoinGroup, or
// the rebalance / initial-delay timer) resolves. A parked JoinGroup no longer
// counts against queued.max.requests (ctx.parked), as in Kafka's purgatory: a
// group larger than that budget would otherwise wait for members never read. Version facts, as Kafka:
// - v0 has no rebalance timeout: the session timeout is used for both;
// - v4+: a member without an id gets MEMBER_ID_REQUIRED and an id to rejoin with;
// - v5+: group.instance.id (static membership);
// - protocolName: below v7 it is not nullable and an unknown protocol is sent as
//   ''; from v7 an empty name is sent as null, and protocolType is answered;
// - v8+: the client's reason is logged with the rebalance;
// - v9: skipAssignment tells a static leader that rejoined a Stable group to keep
//   the current assignment.
// A consumer group (KIP-848) with members takes a member of protocol type
// "consumer" as a classic member (its assignment computed by the broker, the
// answer immediate, no leader; broker/groups/consumer-classic-members.ts), else
// INCONSISTENT_GROUP_PROTOCOL; an empty one is converted to a classic group on a
// join without member id, as Kafka does.
// Member clientId is the request header's client id, clientHost "/<address>".
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { JoinGroupApi } from '../../protocol/messages/11-join-group.js';
import { joinError } from '../groups/classic-group.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { asBuffer, clientHostOf } from '../group-service.js';

export const joinGroupHandler = defineHandler({
  api: JoinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const shard = await authorizedGroupShard(ctx, AclOperation.READ, req.groupId);
    const answer = !shard.coordinator ? joinError(req.memberId, shard.errorCode) : shard.coordinator.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      reason: req.reason,
      apiVersion: v,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.remote),
    });
    // The coordinator has taken it; a parked answer waits for the rest of the group, out of the request budget.
    ctx.parked();
    const res = await answer;
    let protocolName = res.protocolName;
    if (v < 7 && protocolName === null) protocolName = '';
    if (v >= 7 && protocolName === '') protocolName = null;
    return {
      errorCode: res.errorCode,
      generationId: res.generationId,
      protocolType: v >= 7 ? res.protocolType : null,
      protocolName,
      leader: res.leader,
      skipAssignment: v >= 9 ? res.skipAssignment : false,
      memberId: res.memberId,
      members: res.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: asBuffer(m.metadata),
      })),
    };
  },
});
