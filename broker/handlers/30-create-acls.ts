// CreateAcls (key 30), versions 0-3.
// kafkalite has no authorizer yet, so every creation is answered as Kafka answers
// it without one (authorizer.class.name unset): SECURITY_DISABLED, "No Authorizer is
// configured.". Not done: ACLs, their store and an authorizer.
import { CreateAclsApi } from '../../protocol/messages/30-create-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const createAclsHandler = defineHandler({
  api: CreateAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(_ctx, req) {
    return { results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' })) };
  },
});
