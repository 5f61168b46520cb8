export { freePort, seedTenant, startGateway, startOrigin, type ManagedProcess, type StackSecrets } from '../../scripts/local-stack.js';
export { newSecret as newSecretForTests } from '../../protocol/api-key.js';
