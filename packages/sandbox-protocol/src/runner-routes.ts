/** The runner's HTTP routes: GET for health, POST with a JSON body for every tool. */
export const RUNNER_ROUTES = {
  health: '/healthz',
  exec: '/v1/exec',
  read: '/v1/read',
  write: '/v1/write',
  edit: '/v1/edit',
  glob: '/v1/glob',
  grep: '/v1/grep',
  fetch: '/v1/fetch',
} as const;

/** The path of one of the runner's routes. */
export type RunnerRoute = (typeof RUNNER_ROUTES)[keyof typeof RUNNER_ROUTES];
