/**
 * Windows: restricts a folder (and what it will hold) to SYSTEM and the Administrators group. ProgramData lets every
 * user read by default, and the agent's folder holds the enrolment secret and the token. The well-known SIDs are used
 * because the group names are translated on non-English Windows.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** LocalSystem, BUILTIN\Administrators and OWNER RIGHTS (whoever owns the folder: its creator). */
const SYSTEM_SID = '*S-1-5-18';
const ADMINISTRATORS_SID = '*S-1-5-32-544';
const OWNER_RIGHTS_SID = '*S-1-3-4';

/**
 * The icacls arguments: no inherited entries, full control for SYSTEM and Administrators (and, with keepOwner, the
 * folder's owner, so an agent run by hand as an ordinary user keeps its own state), inherited by everything inside.
 */
export function restrictArgs(dir: string, keepOwner = false): string[] {
  const grants = [`${SYSTEM_SID}:(OI)(CI)F`, `${ADMINISTRATORS_SID}:(OI)(CI)F`, ...(keepOwner ? [`${OWNER_RIGHTS_SID}:(OI)(CI)F`] : [])];
  return [dir, '/inheritance:r', '/grant:r', ...grants, '/q'];
}

export async function restrictToAdministrators(dir: string, opts: { keepOwner?: boolean } = {}): Promise<void> {
  if (process.platform !== 'win32') return;
  const icacls = join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'icacls.exe');
  try {
    await run(icacls, restrictArgs(dir, opts.keepOwner), { windowsHide: true });
  } catch (e) {
    const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`.trim();
    throw new Error(`cannot restrict ${dir} to SYSTEM and Administrators (icacls: ${out || (e as Error).message})`);
  }
}
