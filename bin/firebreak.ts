import { corpusCommand } from './commands/corpus';
import { drillCommand } from './commands/drill';
import { incidentsCommand } from './commands/incidents';
import { processIo, type CliIo } from './commands/io';
import { postmortemCommand } from './commands/postmortem';
import { reviewCommand } from './commands/review';
import { sloCommand } from './commands/slo';
import { upCommand } from './commands/up';

const USAGE = `usage: firebreak <command>

  up [--port N] [--data-dir DIR]   run the embedded target (npm start)
  incidents [show ID]              list incidents of a running Firebreak, or print one with its timeline
  slo check [--file PATH]          validate runbooks/slos.yaml
  drill <scenario> [--json]        rehearse an incident end to end on this machine
                                   (jailbreak-spike, latency-regression, never-event)
  corpus add --from FILE           harvest evidence into regression cases (redacted, classified, deduplicated)
  corpus stats [--json]            what the adversarial corpus holds
  corpus export --format promptfoo|garak [--out FILE]
  corpus replay --target URL [--model M] [--concurrency N] [--junit FILE]
                                   replay every active case against an OpenAI-compatible endpoint (release gate)
  postmortem draft ID [--url URL]  draft the incident's blameless postmortem on a running Firebreak
  postmortem lint FILE...          flag blaming language (exit 1 when found)
  review weekly [--week YYYY-Www]  prepare the weekly postmortem review on a running Firebreak
`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'up':
      return upCommand(args, io);
    case 'incidents':
      return incidentsCommand(args, io);
    case 'drill':
      return drillCommand(args, io);
    case 'corpus':
      return corpusCommand(args, io);
    case 'postmortem':
      return postmortemCommand(args, io);
    case 'review':
      return reviewCommand(args, io);
    case 'slo':
      // sloCommand writes whole lines without their newline.
      return sloCommand(args, { stdout: (line) => io.stdout(`${line}\n`), stderr: (line) => io.stderr(`${line}\n`) });
    case undefined:
    case 'help':
    case '--help':
      io.stdout(USAGE);
      return 0;
    default:
      io.stderr(`firebreak: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

/** Runs the CLI as a process: exits with the command's code; an unexpected error exits 1 with its message. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`firebreak: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exit(1);
    },
  );
}
