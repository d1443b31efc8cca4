// Every RefusalCause of the proxy contract, for tests that try each one.
import type { RefusalCause } from '../../src/proxy/protocol.ts';

export const REFUSAL_CAUSES: readonly RefusalCause[] = [
  'malformed',
  'unknown-service',
  'forbidden',
  'backend-unavailable',
  'backend-timeout',
  'first-message-timeout',
  'too-large',
];
