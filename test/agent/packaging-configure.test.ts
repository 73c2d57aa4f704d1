/**
 * `vawatch-agent configure`, what the MSI runs with its properties: empty values keep the file's, given ones are
 * validated like `run` validates them, no collector at all fails the install; and the ACL it asks icacls for.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigureError, mergeAgentFile, parseConfigureArgs } from '../../agent/configure.js';
import { restrictArgs } from '../../agent/state/windows-acl.js';
import { runAgentCli } from '../support/agent-process.js';

// What the MSI's ConfigureAgent custom action passes when only COLLECTOR and GROUP were on the msiexec line.
const MSI_ARGS = (collector: string, secret: string, group: string) => [
  '--file', 'C:\\ProgramData\\vawatch\\agent.json',
  '--collector', collector, '--secret', secret, '--group', group, '--powershell', '', '--heartbeat-seconds', '',
];

describe('configure', () => {
  it('an empty MSI property is not a value', () => {
    expect(parseConfigureArgs(MSI_ARGS('https://vawatch.contoso.com', '', 'hq'))).toEqual({
      file: 'C:\\ProgramData\\vawatch\\agent.json',
      values: { collector: 'https://vawatch.contoso.com', group: 'hq' },
    });
  });

  it('a first install writes what it is given; an upgrade without properties keeps every setting', () => {
    const first = mergeAgentFile(undefined, parseConfigureArgs(MSI_ARGS('https://vawatch.contoso.com', 's3cret', 'hq')).values, 'agent.json');
    expect(first).toEqual({ collector: 'https://vawatch.contoso.com', enrolmentSecret: 's3cret', group: 'hq' });
    const upgrade = mergeAgentFile(JSON.stringify(first), parseConfigureArgs(MSI_ARGS('', '', '')).values, 'agent.json');
    expect(upgrade).toEqual(first);
    // A key an administrator added by hand survives too; a given value replaces only its own key.
    const edited = mergeAgentFile(JSON.stringify({ ...first, licensingSchedule: '7 * * * *' }), { group: 'branch-12' }, 'agent.json');
    expect(edited).toEqual({ ...first, group: 'branch-12', licensingSchedule: '7 * * * *' });
  });

  it.each([
    [{ collector: 'vawatch.contoso.com' }, /^--collector: expected an http\(s\) URL/],
    [{ collector: 'https://c', heartbeatSeconds: '-5' }, /^--heartbeat-seconds: expected a positive number of seconds/],
    [{ group: 'hq' }, /has no collector: give --collector URL \(the MSI property COLLECTOR\)/],
  ])('refuses %j (the install fails instead of a service that cannot start)', (values, message) => {
    expect(() => mergeAgentFile(undefined, values, 'agent.json')).toThrow(message);
  });

  it('refuses a file that is not a JSON object, and an unknown flag', () => {
    expect(() => mergeAgentFile('[1]', { collector: 'https://c' }, 'agent.json')).toThrow(ConfigureError);
    expect(() => parseConfigureArgs(['--state', 'x'])).toThrow('unknown option --state for "configure"');
    expect(() => parseConfigureArgs(['--group'])).toThrow('--group needs a value');
  });

  it('restricts the folder to SYSTEM and Administrators by SID (names are translated), the owner only for a state folder', () => {
    expect(restrictArgs('C:\\ProgramData\\vawatch')).toEqual(['C:\\ProgramData\\vawatch', '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F', '/q']);
    expect(restrictArgs('D:\\state', true)).toContain('*S-1-3-4:(OI)(CI)F');
  });
});

describe('configure from the command line', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('merges into the file and prints what it holds, never the secret', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vawatch-configure-'));
    const file = join(dir, 'agent.json');
    writeFileSync(file, JSON.stringify({ collector: 'https://old.contoso.com', group: 'hq' }));
    const r = await runAgentCli(['configure', '--file', file, '--collector', 'https://vawatch.contoso.com', '--secret', 's3cret', '--group', '']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^configure: wrote .*agent\.json \(collector, group, enrolmentSecret\)\n$/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ collector: 'https://vawatch.contoso.com', group: 'hq', enrolmentSecret: 's3cret' });
    const bad = await runAgentCli(['configure', '--file', file, '--collector', 'ftp://x']);
    expect(bad.code).toBe(2);
    expect(bad.output.trim()).toMatch(/^agent: --collector: expected an http\(s\) URL/);
    // An installer shows neither: the outcomes are in configure.log beside the file.
    const log = readFileSync(join(dir, 'configure.log'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^\S+Z configure: wrote .*agent\.json \(collector, group, enrolmentSecret\)$/);
    expect(log[1]).toMatch(/^\S+Z configure: refused: --collector: expected an http\(s\) URL/);
    expect(JSON.parse(readFileSync(file, 'utf8')).collector).toBe('https://vawatch.contoso.com');
  });
});
