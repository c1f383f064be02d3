import { vitestGlobalSetup } from '../../testing/index.js';

export default vitestGlobalSetup();
