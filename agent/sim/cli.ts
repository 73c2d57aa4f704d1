/** `npm run sim -- …`: see `--help`. */
import { runSimCommand } from './sim-command.js';

process.exitCode = runSimCommand(
  process.argv.slice(2),
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
);
