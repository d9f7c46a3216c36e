/**
 * The part of the Workers KV API the stores use. A KVNamespace binding satisfies it; so does
 * the CLI's adapter over `wrangler kv`, which lets the CLI run the same store code.
 */
export interface KvPutOptions {
  expiration?: number;
  expirationTtl?: number;
  metadata?: unknown;
}

export interface KvListResult<M> {
  keys: { name: string; expiration?: number; metadata?: M }[];
  list_complete: boolean;
  cursor?: string;
}

export interface Kv {
  get(key: string): Promise<string | null>;
  get(key: string, type: "text"): Promise<string | null>;
  get<T>(key: string, type: "json"): Promise<T | null>;
  get(keys: string[], type: "text"): Promise<Map<string, string | null>>;
  get<T>(keys: string[], type: "json"): Promise<Map<string, T | null>>;
  put(key: string, value: string, options?: KvPutOptions): Promise<void>;
  delete(key: string): Promise<void>;
  list<M = unknown>(options?: { prefix?: string; cursor?: string | null; limit?: number }): Promise<KvListResult<M>>;
}
