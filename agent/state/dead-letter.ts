/** Reports the collector refused for good (a 4xx other than 401/429), kept with its message for a person to read. */
import { join } from 'node:path';
import type { Report } from '../../shared/protocol.js';
import { appendLineDurably, ensurePrivateDir } from './atomic-file.js';

export interface DeadLetter {
  at: string;
  status: number;
  code: string;
  message: string;
  report: Report;
}

export type DeadLetterSink = (letter: DeadLetter) => Promise<void>;

export const DEAD_LETTER_FILE = 'dead-letter.jsonl';

/** Appends one JSON line per refused report to `<state>/dead-letter.jsonl`. */
export function fileDeadLetterSink(stateDir: string): DeadLetterSink {
  return async (letter) => {
    await ensurePrivateDir(stateDir);
    await appendLineDurably(join(stateDir, DEAD_LETTER_FILE), JSON.stringify(letter));
  };
}
