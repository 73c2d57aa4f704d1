/**
 * Builds the fixture store (scale-store.ts) in its own process, forked by load-client.ts: the build holds the event
 * loop for seconds per transaction, and the bench's process must stay free to answer Ctrl-C (tsx kills a child that
 * does not acknowledge a signal within 30 ms).
 */
import { FleetSnapshots, type FleetShape, type FleetTemplates } from './fleet-fixture.js';
import { buildScaleStore } from './scale-store.js';

export type StoreBuilderMessage = { type: 'build'; dataDir: string; shape: FleetShape; templates: FleetTemplates };

if (process.send) {
  process.once('message', (m: StoreBuilderMessage) => {
    buildScaleStore(m.dataDir, new FleetSnapshots(m.shape, m.templates), (fraction) => process.send!({ type: 'progress', fraction })).then(
      (result) => process.send!({ type: 'built', result }, () => process.exit(0)),
      (e: unknown) => process.send!({ type: 'error', message: e instanceof Error ? e.stack : String(e) }, () => process.exit(1)),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
