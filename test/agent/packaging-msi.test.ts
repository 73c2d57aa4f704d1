/**
 * The agent's MSI, read back with msitools' msiinfo as Windows Installer would read it: the files, the service
 * (WinSW as vawatch-agent, LocalSystem, automatic start, restart actions), the configure step, the public properties
 * and the major upgrade. A second build with a higher version keeps the UpgradeCode and gets a new ProductCode.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAgentMsi, MSI_PUBLIC_PROPERTIES, SERVICE_NAME } from '../../agent/packaging/build.js';
import { buildNeeds, missingTools, packagedAgent, tools, type PackagedAgent } from '../support/packaging-build.js';

const skip = missingTools(buildNeeds);

/** msiinfo export: column names, types, table name and keys, then one row per line, tab-separated. */
function table(msi: string, name: string): Array<Record<string, string>> {
  const r = spawnSync(tools.msiinfo ?? 'msiinfo', ['export', msi, name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`msiinfo export ${name}: ${r.stderr}`);
  const [header, , , ...rows] = r.stdout.split(/\r?\n/).filter((l) => l !== '');
  const cols = header!.split('\t');
  return rows.map((row) => Object.fromEntries(row.split('\t').map((v, i) => [cols[i], v])));
}

function properties(msi: string): Record<string, string> {
  return Object.fromEntries(table(msi, 'Property').map((r) => [r.Property!, r.Value!]));
}

// ServiceInstall / ServiceControl / CustomAction codes (Windows Installer's table reference).
const SERVICE_WIN32_OWN_PROCESS = 0x10;
const SERVICE_AUTO_START = 2;
const MSI_INSTALL_START_STOP = 0x1 | 0x2;
const MSI_UNINSTALL_STOP_DELETE = 0x20 | 0x80;
const CA_EXE_FROM_FILE = 18;
const CA_EXE_FROM_PROPERTY = 50;
const CA_DEFERRED_AS_SYSTEM = 0x400 | 0x800;
const CA_HIDE_TARGET = 0x2000;

describe.skipIf(skip)(`the agent's MSI${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let built: PackagedAgent;
  beforeAll(async () => {
    built = await packagedAgent();
  }, 300_000);

  it('is named after the package version and lists the tables of a service install', () => {
    expect(built.msi).toMatch(new RegExp(`vawatch-agent-${built.version.replace(/\./g, '\\.')}-x64\\.msi$`));
    const r = spawnSync(tools.msiinfo ?? 'msiinfo', ['tables', built.msi], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const names = r.stdout.split(/\r?\n/);
    for (const t of ['File', 'Component', 'Directory', 'ServiceInstall', 'ServiceControl', 'CustomAction', 'Property', 'Upgrade', 'CreateFolder']) {
      expect(names).toContain(t);
    }
  });

  it('installs the agent and WinSW with its XML in ProgramFiles64Folder\\vawatch, and creates %ProgramData%\\vawatch\\logs', () => {
    const files = table(built.msi, 'File');
    expect(files.map((f) => f.FileName).sort()).toEqual(['vawatch-agent-service.exe', 'vawatch-agent-service.exe.config', 'vawatch-agent-service.xml', 'vawatch-agent.exe']);
    const agent = files.find((f) => f.FileName === 'vawatch-agent.exe')!;
    expect(Number(agent.FileSize)).toBeGreaterThan(30 * 1024 * 1024); // node.exe and the blob: not a stub
    const dirs = Object.fromEntries(table(built.msi, 'Directory').map((d) => [d.Directory!, d]));
    const components = table(built.msi, 'Component');
    for (const c of components.filter((c) => c.Component !== 'LogsFolder')) {
      expect(c.Directory_).toBe('INSTALLDIR');
      expect(Number(c.Attributes) & 0x100).toBe(0x100); // msidbComponentAttributes64bit
    }
    expect(dirs.INSTALLDIR).toMatchObject({ Directory_Parent: 'ProgramFiles64Folder', DefaultDir: 'vawatch' });
    expect(dirs.LOGSDIR).toMatchObject({ Directory_Parent: 'DATADIR', DefaultDir: 'logs' });
    expect(dirs.DATADIR).toMatchObject({ Directory_Parent: 'CommonAppDataFolder', DefaultDir: 'vawatch' });
    expect(table(built.msi, 'CreateFolder')).toEqual([{ Directory_: 'LOGSDIR', Component_: 'LogsFolder' }]);
    // Stable component GUIDs: an upgrade replaces the same components.
    expect(components.every((c) => /^\{[0-9A-F-]{36}\}$/.test(c.ComponentId!))).toBe(true);
  });

  it('registers the vawatch-agent service: WinSW as its binary, LocalSystem, automatic start, started on install, stopped and removed on uninstall', () => {
    const [svc, ...more] = table(built.msi, 'ServiceInstall');
    expect(more).toEqual([]);
    expect(svc).toMatchObject({ Name: SERVICE_NAME, StartName: 'LocalSystem', Component_: 'AgentService' });
    expect(Number(svc!.ServiceType)).toBe(SERVICE_WIN32_OWN_PROCESS);
    expect(Number(svc!.StartType)).toBe(SERVICE_AUTO_START);
    // The service's binary is the key file of its component: WinSW, which reads the XML beside it.
    const comp = table(built.msi, 'Component').find((c) => c.Component === svc!.Component_)!;
    expect(table(built.msi, 'File').find((f) => f.File === comp.KeyPath)!.FileName).toBe('vawatch-agent-service.exe');
    const [ctl] = table(built.msi, 'ServiceControl');
    expect(ctl).toMatchObject({ Name: SERVICE_NAME, Wait: '1', Component_: 'AgentService' });
    expect(Number(ctl!.Event)).toBe(MSI_INSTALL_START_STOP | MSI_UNINSTALL_STOP_DELETE);
  });

  it('configures the agent (as SYSTEM, secret kept out of logs) after the files and sets restart-on-failure before the service starts', () => {
    const actions = Object.fromEntries(table(built.msi, 'CustomAction').map((a) => [a.Action!, a]));
    const configure = actions.ConfigureAgent!;
    expect(Number(configure.Type)).toBe(CA_EXE_FROM_FILE | CA_DEFERRED_AS_SYSTEM | CA_HIDE_TARGET);
    expect(configure.Source).toBe('AgentExe');
    expect(configure.Target).toBe(
      'configure --file "[DATADIR]agent.json" --collector "[COLLECTOR]" --secret "[ENROLMENT_SECRET]" --group "[GROUP]" --powershell "[POWERSHELL]" --heartbeat-seconds "[HEARTBEAT_SECONDS]"',
    );
    expect(Number(actions.ServiceRecovery!.Type)).toBe(CA_EXE_FROM_PROPERTY | CA_DEFERRED_AS_SYSTEM);
    expect(actions.ServiceRecovery!.Target).toMatch(new RegExp(`^failure ${SERVICE_NAME} reset= 86400 actions= restart/\\d+/restart/\\d+/restart/\\d+$`));
    expect(actions.PurgeState!.Target).toBe('/c rmdir /s /q "[DATADIR]"');

    const seq = Object.fromEntries(table(built.msi, 'InstallExecuteSequence').map((s) => [s.Action!, s]));
    const at = (a: string) => Number(seq[a]!.Sequence);
    expect(at('InstallFiles')).toBeLessThan(at('ConfigureAgent'));
    expect(at('ConfigureAgent')).toBeLessThan(at('StartServices'));
    expect(at('InstallServices')).toBeLessThan(at('ServiceRecovery'));
    expect(at('ServiceRecovery')).toBeLessThan(at('StartServices'));
    expect(at('SetScExe')).toBeLessThan(at('InstallInitialize')); // immediate, so the deferred one sees the path
    expect(at('DeleteServices')).toBeLessThan(at('PurgeState'));
    expect(at('PurgeState')).toBeLessThan(at('RemoveFiles'));
    for (const a of ['ConfigureAgent', 'ServiceRecovery', 'PurgeState']) expect(at(a)).toBeLessThan(at('InstallFinalize'));
    expect(seq.ConfigureAgent!.Condition).toBe('NOT REMOVE~="ALL"');
    // The state is kept on uninstall and on the old version's removal during an upgrade, unless PURGE=1.
    expect(seq.PurgeState!.Condition).toBe('REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE');
    // The old version goes before anything is installed, so its uninstall cannot delete the new service.
    expect(at('InstallValidate')).toBeLessThan(at('RemoveExistingProducts'));
    expect(at('RemoveExistingProducts')).toBeLessThan(at('InstallInitialize'));
  });

  it('takes COLLECTOR, ENROLMENT_SECRET, GROUP, POWERSHELL, HEARTBEAT_SECONDS and PURGE from the msiexec line, and hides the secret', () => {
    const p = properties(built.msi);
    expect(p.ProductVersion).toBe(built.version);
    expect(p.ProductName).toBe('vawatch agent');
    expect(p.ALLUSERS).toBe('1');
    expect(p.PURGE).toBe('0');
    expect(p.MsiHiddenProperties).toBe('ENROLMENT_SECRET');
    const secure = p.SecureCustomProperties!.split(';');
    for (const name of MSI_PUBLIC_PROPERTIES) expect(secure).toContain(name);
    // No defaults for the agent's settings: one not given keeps what agent.json says (an upgrade without properties).
    for (const name of ['COLLECTOR', 'ENROLMENT_SECRET', 'GROUP']) expect(p[name]).toBeUndefined();
  });

  it('a second build with a higher version keeps the UpgradeCode, gets a new ProductCode, and upgrades the first', async () => {
    const first = properties(built.msi);
    const [major, minor, patch] = built.version.split('.').map(Number);
    const next = `${major}.${minor}.${patch! + 1}`;
    // The same .wxs and build step; a small stand-in for the 70 MB exe, whose compression would only cost time here.
    const standIn = join(built.dir, 'next', 'stand-in.exe');
    await mkdir(dirname(standIn), { recursive: true });
    await writeFile(standIn, 'MZ stand-in for vawatch-agent.exe');
    const msi2 = await buildAgentMsi({ exe: standIn, version: next, outDir: join(built.dir, 'next') });
    try {
      const second = properties(msi2);
      expect(second.ProductVersion).toBe(next);
      expect(second.UpgradeCode).toBe(first.UpgradeCode);
      expect(second.ProductCode).not.toBe(first.ProductCode);
      expect(second.ProductCode).toMatch(/^\{[0-9A-F-]{36}\}$/);
      // The Upgrade table finds every earlier version of the same UpgradeCode (WIX_UPGRADE_DETECTED; the first
      // build's version is below the exclusive maximum) and refuses a downgrade.
      const upgrade = table(msi2, 'Upgrade');
      const detect = upgrade.find((u) => u.ActionProperty === 'WIX_UPGRADE_DETECTED')!;
      expect(detect).toMatchObject({ UpgradeCode: first.UpgradeCode, VersionMin: '', VersionMax: next });
      expect(Number(detect.Attributes) & 0x4).toBe(0); // msidbUpgradeAttributesVersionMaxInclusive off: the same version is not an upgrade
      expect(upgrade.find((u) => u.ActionProperty === 'WIX_DOWNGRADE_DETECTED')).toMatchObject({ UpgradeCode: first.UpgradeCode, VersionMin: next });
      expect(table(msi2, 'LaunchCondition').map((l) => l.Condition)).toContain('NOT WIX_DOWNGRADE_DETECTED');
    } finally {
      await rm(join(built.dir, 'next'), { recursive: true, force: true });
    }
  }, 180_000);
});
