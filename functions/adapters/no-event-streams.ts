/**
 * Bundles replace `@smithy/core/event-streams` with this module (esbuild alias, see IncidentFunction). The SDK
 * reaches it only through `HttpProtocol.loadEventStreamCapability` (a dynamic import), for operations whose input
 * or output is an event stream; no client these functions use (DynamoDB, Step Functions, SES v2, SSM, End User
 * Messaging SMS and Voice) has one, and it is about 15 KB of each bundle. A call that reaches it says so.
 */
const unsupported = (): never => {
  throw new Error('event streams are not bundled (functions/adapters/no-event-streams.ts)');
};

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

export const eventStreamSerdeProvider = unsupported;
