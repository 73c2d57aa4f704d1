import type { OutboxEntry, OutboxProgress } from './outbox.js';
import { DEFAULT_OUTBOX_MAX_BYTES, OutboxCore } from './outbox-core.js';

/** An outbox that lives only in memory: for tests and for agents whose state need not survive the process. */
export class MemoryOutbox extends OutboxCore {
  constructor(opts: { epoch: number; maxBytes?: number; log?: (line: string) => void }) {
    super({ epoch: opts.epoch, seq: 0, bookmarks: {} }, { maxBytes: opts.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES }, opts.log ?? (() => {}));
  }
  protected async persistEntry(_entry: OutboxEntry): Promise<void> {}
  protected async removeEntry(_entry: OutboxEntry): Promise<void> {}
  protected async persistProgress(_progress: OutboxProgress): Promise<void> {}
}
