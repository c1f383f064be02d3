// DeleteAcls (key 31), versions 0-3.
// kafkalite has no authorizer yet, so every filter is answered as Kafka answers it
// without one (authorizer.class.name unset): SECURITY_DISABLED, "No Authorizer is
// configured.", nothing matched. Not done: ACLs, their store and an authorizer.
import { DeleteAclsApi } from '../../protocol/messages/31-delete-acls.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const deleteAclsHandler = defineHandler({
  api: DeleteAclsApi,
  minVersion: 0,
  maxVersion: 3,
  handle(_ctx, req) {
    return {
      filterResults: req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', matchingAcls: [] })),
    };
  },
});
