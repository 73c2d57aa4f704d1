/**
 * A fake PowerShell for the persistent session (agent/sources/powershell-session.ts): a Node process speaking the same
 * contract as the host script on a real one. It waits for the host script line, prints the ready line, then answers
 * each `<nonce> <base64 command>` line with a frame, from a replay folder (fake-powershell-answers.ts). Like Windows
 * PowerShell 5.1 it ends lines with CRLF and puts a BOM before its first line.
 *
 * Run: node --import tsx test/support/fake-powershell.ts (fake-powershell-spawn.ts bundles it first), with
 * - FAKE_PS_REPLAY: the replay folder answered from;
 * - FAKE_PS_CONTROL (optional): a JSON file, re-read before every command, that makes it misbehave:
 *   `hang` (a regex: a matching command is never answered, nor anything after it), `die` (a matching command prints
 *   half a frame and the process exits), `garbage` (a matching command gets a frame whose body does not match its
 *   length), `junk` (true: banners, prompts, foreign frames and warnings around and inside every frame),
 *   `workingSetMb` (the working set it reports; default 80), `exitAfter` (exits after answering this many commands).
 */
import { readFileSync } from 'node:fs';
import { answerCommand, FAKE_MACHINE_GUID } from './fake-powershell-answers.js';

interface Control {
  hang?: string;
  die?: string;
  garbage?: string;
  junk?: boolean;
  workingSetMb?: number;
  exitAfter?: number;
}

const replayDir = process.env.FAKE_PS_REPLAY ?? '';
const controlFile = process.env.FAKE_PS_CONTROL;

function control(): Control {
  if (!controlFile) return {};
  try {
    return JSON.parse(readFileSync(controlFile, 'utf8')) as Control;
  } catch {
    return {};
  }
}

const write = (lines: string[]) => process.stdout.write(lines.map((l) => `${l}\r\n`).join(''));
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

let ready = false;
let hung = false;
let answered = 0;
let chain: Promise<void> = Promise.resolve();
let partial = '';

process.stdout.write('\uFEFF');

async function handle(line: string): Promise<void> {
  if (hung) return;
  if (!ready) {
    // The host script arrives first; anything else before it is what a console would run and print nothing for.
    if (line.includes('@@vawatch-ready')) {
      ready = true;
      if (control().junk) write(['Windows PowerShell', 'Copyright (C) Microsoft Corporation. All rights reserved.', '']);
      write(['@@vawatch-ready']);
    }
    return;
  }
  const parts = line.trim().split(' ');
  if (parts.length !== 2) return;
  const [nonce, body] = parts as [string, string];
  const command = Buffer.from(body, 'base64').toString('utf8');
  const c = control();
  const matches = (re: string | undefined) => re !== undefined && new RegExp(re).test(command);
  if (matches(c.hang)) {
    hung = true;
    setInterval(() => {}, 1 << 30); // busy in the command: stays up after stdin closes
    return;
  }
  if (matches(c.die)) {
    write([`@@vawatch-begin ${nonce}`, '@@status ok']);
    process.exit(3);
  }
  const a = await answerCommand(command, replayDir, process.env.FAKE_PS_MACHINE_GUID ?? FAKE_MACHINE_GUID);
  const out = Buffer.from(a.stdout, 'utf8');
  const junk = c.junk === true;
  if (junk) {
    write(['PS C:\\Windows\\system32> ', `@@vawatch-begin ${'0'.repeat(24)}`, '@@status ok', `@@out-bytes 2`, `@@out ${b64('[]')}`, '@@err ', `@@vawatch-end ${'0'.repeat(24)}`]);
  }
  write([
    `@@vawatch-begin ${nonce}`,
    ...(junk ? ['WARNING: a module printed this to the host'] : []),
    `@@status ${a.ok ? 'ok' : 'error'}`,
    `@@ws ${Math.round((c.workingSetMb ?? 80) * 1048576)}`,
    `@@out-bytes ${out.length + (matches(c.garbage) ? 7 : 0)}`,
    `@@out ${matches(c.garbage) ? `${out.toString('base64').slice(0, 10)}` : out.toString('base64')}`,
    ...(junk ? ['', 'VERBOSE: more host output'] : []),
    `@@err ${b64(a.stderr)}`,
    `@@vawatch-end ${nonce}`,
  ]);
  answered++;
  if (c.exitAfter !== undefined && answered >= c.exitAfter) process.exit(0);
}

process.stdin.on('data', (chunk: Buffer) => {
  partial += chunk.toString('utf8');
  let nl: number;
  while ((nl = partial.indexOf('\n')) >= 0) {
    const line = partial.slice(0, nl).replace(/\r$/, '');
    partial = partial.slice(nl + 1);
    chain = chain.then(() => handle(line));
  }
});
// The host script ends when stdin closes, after the command it runs; a hung one never gets there.
process.stdin.on('end', () => {
  void chain.then(() => {
    if (!hung) process.exit(0);
  });
});
