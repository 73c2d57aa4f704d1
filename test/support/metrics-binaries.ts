/** Locates the Prometheus tools the tests run (Debian's packages: prometheus, prometheus-alertmanager, docker-compose). */
import { spawnSync } from 'node:child_process';

export function findBinary(...names: string[]): string | undefined {
  for (const name of names) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    if (r.status === 0 && path) return path;
  }
  // Under CI the packages are installed by .ci/run: a missing tool must fail the tests, not skip them quietly.
  return process.env.CI ? names[0] : undefined;
}

export const binaries = {
  promtool: findBinary('promtool'),
  prometheus: findBinary('prometheus'),
  alertmanager: findBinary('prometheus-alertmanager', 'alertmanager'),
  amtool: findBinary('amtool'),
  dockerCompose: findBinary('docker-compose'),
};

/** A test title that says why it was skipped when the binary is missing (CI installs them, so there it runs). */
export function needs(binary: keyof typeof binaries, title: string): string {
  return binaries[binary] ? title : `${title} (skipped: ${binary} is not installed; apt-get install prometheus prometheus-alertmanager docker-compose)`;
}

/** Runs a tool; returns its exit status and combined output. */
export function run(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}): { status: number; output: string } {
  const r = spawnSync(cmd, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
