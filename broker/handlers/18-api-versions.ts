// ApiVersions (key 18), versions 0-4.
// Lists exactly what the registry serves. An unsupported ApiVersions version is
// answered by the connection (UNSUPPORTED_VERSION, v0 body), as Kafka does.
// v3+ checks the client software name and version (INVALID_REQUEST otherwise).
// Not done: feature flags (SupportedFeatures/FinalizedFeatures stay empty).
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler = defineHandler({
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const apiKeys = ctx.broker.registry.served();
    if (
      ctx.apiVersion >= 3 &&
      (!SOFTWARE_NAME_OR_VERSION.test(req.clientSoftwareName) || !SOFTWARE_NAME_OR_VERSION.test(req.clientSoftwareVersion))
    ) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys };
    }
    return { errorCode: ErrorCode.NONE, apiKeys };
  },
});
