/**
 * The CLI's clock: the one place `now` is read (reconcile takes it as an
 * input). TSCTL_NOW (an ISO time) pins it, so tests and golden files of
 * ages and CronJob schedules are reproducible.
 */
export function now(env: NodeJS.ProcessEnv = process.env): number {
  if (env.TSCTL_NOW) {
    const t = Date.parse(env.TSCTL_NOW)
    if (!Number.isNaN(t)) return t
  }
  return Date.now()
}
