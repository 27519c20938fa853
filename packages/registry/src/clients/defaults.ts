/** Options every client receives from `createRegistry`, validated and with defaults filled in. */
export interface ClientDefaults {
  url: string;
  name: string;
  username?: string | undefined;
  token?: string | undefined;
  timeoutMs: number;
  concurrency: number;
  pageSize: number;
  maxPages: number;
  userAgent: string;
}
