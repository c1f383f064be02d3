// Every served API, one handler file each; the registry is built from this list.
import type { Handler } from '../registry.js';
import { metadataHandler } from './03-metadata.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';

export const HANDLERS: readonly Handler[] = [metadataHandler, apiVersionsHandler, createTopicsHandler, deleteTopicsHandler];
