/**
 * vawatch-agent.exe as a file: a Windows x64 program, Node's SEA fuse flipped (the blob is what runs), and no
 * Authenticode signature: node.exe's own (the OpenJS Foundation's) was removed before the injection would break it,
 * so the organisation signs the result itself (agent/README.md, Deploy on Windows).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsRuntime } from '../../agent/packaging/build.js';
import { buildNeeds, finishBuilds, missingTools, packagedAgent, tools } from '../support/packaging-build.js';

const skip = missingTools(buildNeeds);
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function verify(file: string): { status: number; output: string } {
  const r = spawnSync(tools.osslsigncode ?? 'osslsigncode', ['verify', '-in', file], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(skip)(`vawatch-agent.exe${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let exe: Buffer;
  let exePath = '';
  beforeAll(async () => {
    exePath = (await packagedAgent({ exeOnly: true })).exe;
    exe = readFileSync(exePath);
  }, 300_000);
  afterAll(() => finishBuilds(), 300_000);

  it('is a Windows x64 console program', () => {
    expect(exe.subarray(0, 2).toString('latin1')).toBe('MZ');
    const pe = exe.readUInt32LE(0x3c);
    expect(exe.subarray(pe, pe + 4).toString('latin1')).toBe('PE\0\0');
    expect(exe.readUInt16LE(pe + 4)).toBe(0x8664); // IMAGE_FILE_MACHINE_AMD64
    expect(exe.readUInt16LE(pe + 24 + 68)).toBe(3); // IMAGE_SUBSYSTEM_WINDOWS_CUI
  });

  it("has its SEA fuse flipped and the agent's bundle inside", () => {
    expect(exe.includes(`${FUSE}:1`)).toBe(true);
    expect(exe.includes(`${FUSE}:0`)).toBe(false);
    expect(exe.includes('configure: wrote ')).toBe(true);
  });

  it("carries no signature, where node.exe carried the OpenJS Foundation's", async () => {
    const agent = verify(exePath);
    expect(agent.status).not.toBe(0);
    expect(agent.output).toContain('No signature found');
    const node = verify((await windowsRuntime(() => {})).nodeExe);
    expect(node.output).toContain('OpenJS Foundation');
  });
});
