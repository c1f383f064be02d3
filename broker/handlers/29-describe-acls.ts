// DescribeAcls (key 29), versions 0-3.
// kafkalite has no authorizer yet, so this answers as Kafka does without one
// (authorizer.class.name unset): SECURITY_DISABLED, "No Authorizer is configured on
// the broker". Not done: ACLs, their store and an authorizer.
import { DescribeAclsApi } from '../../protocol/messages/29-describe-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const describeAclsHandler = defineHandler({
  api: DescribeAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle() {
    return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker', resources: [] };
  },
});
