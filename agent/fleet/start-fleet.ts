export interface FleetOptions {
  /** A scenario name of the simulator (enterprise, kms-outage, …). */
  scenario: string;
  /** The collector's base URL, e.g. http://127.0.0.1:8080 */
  collectorUrl: string;
  /** The collector's enrolment secret. */
  enrolmentSecret: string;
  /** Where the agents keep their state (one sub-folder per machine); a restart continues from it. */
  stateDir: string;
  /** Simulated seconds per real second once the history is caught up (default 1). */
  speed?: number;
  /** Days of simulated history fast-forwarded before live (default 30). */
  historyDays?: number;
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
  /** Scenario seed (default 1). */
  seed?: number;
}

export interface FleetStats {
  machines: number;
  simulatedNow: string;
  phase: 'fast-forward' | 'live' | 'stopped';
  reportsQueued: number;
  reportsAcked: number;
}

export interface Fleet {
  /** Resolves when the history is caught up and the fleet runs live. */
  readonly caughtUp: Promise<void>;
  stats(): FleetStats;
  stop(): Promise<void>;
}

/** Placeholder until the simulator lands: logs and does nothing. Replaced by the real runner. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  opts.log?.(`fleet: scenario ${opts.scenario} not started (fleet runner not ready yet)`);
  let phase: FleetStats['phase'] = 'live';
  return {
    caughtUp: Promise.resolve(),
    stats: () => ({ machines: 0, simulatedNow: new Date().toISOString(), phase, reportsQueued: 0, reportsAcked: 0 }),
    stop: async () => {
      phase = 'stopped';
    },
  };
}
