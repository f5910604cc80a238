/** A failure that stops start-up with one line for the operator: no stack trace, exit code 1. */
export class StartupError extends Error {}
