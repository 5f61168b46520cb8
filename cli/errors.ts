// What can go wrong, one class per kind, each with the exit code scripts test for
// (listed in `lumen --help` and docs/CLI.md).

export const EXIT_CODES = {
  ok: 0,
  usage: 2,
  auth: 3,
  refused: 4,
  failed: 5,
  /** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
  interrupted: 130,
} as const;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
}

/** Bad arguments or options: nothing was sent. */
export class UsageError extends CliError {
  readonly exitCode = EXIT_CODES.usage;
}

/** No API key, or the server refused the key (401, or too many failed attempts). */
export class AuthError extends CliError {
  readonly exitCode = EXIT_CODES.auth;
}

/** The server said no: moderation, a bad request (4xx) or a rate limit (429). */
export class RefusedError extends CliError {
  readonly exitCode = EXIT_CODES.refused;
}

/** The work did not happen: the job failed or was cancelled elsewhere, a 5xx, or the server could not be reached. */
export class FailedError extends CliError {
  readonly exitCode = EXIT_CODES.failed;
}

/** Ctrl-C: the job was cancelled on the server (when there was one). */
export class InterruptedError extends CliError {
  readonly exitCode = EXIT_CODES.interrupted;
}
