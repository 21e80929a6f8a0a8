// Types of webhook-inbox.mjs, for the TypeScript test harness.
export interface InboxDelivery {
  id: string;
  verified: boolean;
  type: string;
  data: Record<string, unknown>;
}
export interface RunningInbox {
  url: string;
  port: number;
  received: InboxDelivery[];
  stop(): Promise<void>;
}
export declare function verifySignature(
  secrets: string[],
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now?: number,
): boolean;
export declare function startWebhookInbox(opts?: {
  port?: number;
  secrets?: () => string[];
  log?: (line: string) => void;
}): Promise<RunningInbox>;
