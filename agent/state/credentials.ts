/**
 * The agent's identity with the collector: its agent id and token, and the heartbeat interval the collector set, kept
 * in `<state>/credentials.json` (mode 0600).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, readTextIfExists, writeFileAtomic } from './atomic-file.js';

export const Credentials = z.object({
  agentId: z.string().min(1),
  token: z.string().min(1),
  machineId: z.string().min(1),
  /** The heartbeat interval the collector set last (absent until a collector that sets it answered). */
  heartbeatSeconds: z.number().positive().optional(),
});
export type Credentials = z.infer<typeof Credentials>;

export interface CredentialStore {
  load(): Promise<Credentials | undefined>;
  save(c: Credentials): Promise<void>;
}

export class FileCredentialStore implements CredentialStore {
  readonly #path: string;
  readonly #dir: string;
  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#path = join(stateDir, 'credentials.json');
  }
  async load(): Promise<Credentials | undefined> {
    const text = await readTextIfExists(this.#path);
    if (text === undefined) return undefined;
    try {
      return Credentials.parse(JSON.parse(text));
    } catch {
      return undefined; // unreadable: enrol again (the collector accepts the previous token only if we have it)
    }
  }
  async save(c: Credentials): Promise<void> {
    await ensurePrivateDir(this.#dir);
    await writeFileAtomic(this.#path, JSON.stringify(c));
  }
}

export class MemoryCredentialStore implements CredentialStore {
  #c: Credentials | undefined;
  constructor(initial?: Credentials) {
    this.#c = initial;
  }
  async load(): Promise<Credentials | undefined> {
    return this.#c;
  }
  async save(c: Credentials): Promise<void> {
    this.#c = c;
  }
}
