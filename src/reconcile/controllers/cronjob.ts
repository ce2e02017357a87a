/**
 * CronJob (pkg/controller/cronjob, cronjob_controllerv2.go), with `now` as
 * an input so every decision is reproducible:
 *
 * - The most recent scheduled time in (lastScheduleTime or creation, now]
 *   is the one to run; earlier missed times are skipped (Kubernetes runs at
 *   most one per sync). With startingDeadlineSeconds, times older than
 *   now − deadline are not considered, and a most-recent time past its
 *   window is reported (MissedSchedule) and not run.
 * - The Job is named `<cronjob>-<scheduled time in minutes since the epoch>`,
 *   so a re-run pass finds it instead of making a second one.
 * - concurrencyPolicy: Allow runs alongside active Jobs; Forbid skips the
 *   time while one is active (and it is not recorded as scheduled, so it is
 *   a missed time later); Replace deletes the active Jobs and their pods first.
 * - suspend: nothing new runs.
 * - successfulJobsHistoryLimit (3) and failedJobsHistoryLimit (1): older
 *   finished Jobs are deleted with their pods.
 * - Schedules are read in spec.timeZone (IANA name), UTC by default.
 */
import type {CronJobSpec, JobSpec, JobTemplateSpec} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {keyOf, objectKey} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {nextAfter, parseCron, validTimeZone} from '../cron.js'
import {stableUid} from '../hash.js'
import type {CronJobObject, CronJobStatus, JobObject} from '../status.js'
import {ann, clone, isoAt, msOf, ownerRefTo} from '../util.js'
import {pinHolder} from '../image-pins.js'
import {jobFinished} from './job.js'

/** Beyond this many missed times Kubernetes gives up listing them (TooManyMissedTimes). */
const MISSED_LIMIT = 100

/** A private copy of the CronJob and what both halves of its sync read. */
function open(ctx: Ctx, c0: KubeObject) {
  const cj = clone(c0) as CronJobObject
  const spec: Partial<CronJobSpec> = cj.spec ?? {}
  const status: CronJobStatus = {...(cj.status ?? {})}
  const jobs = () => ctx.ownedBy(cj.metadata.uid as string, 'Job')
  return {cj, key: keyOf(c0), uid: cj.metadata.uid as string, ns: cj.metadata.namespace as string, spec, status, jobs}
}

export function syncCronJob(ctx: Ctx, c0: KubeObject): void {
  if (ann(c0, A.orphaned)) return
  const {cj, key, uid, ns, spec, status, jobs} = open(ctx, c0)

  const parsed = parseCron(spec.schedule ?? '')
  const tz: string | undefined = spec.timeZone
  if (!parsed.ok) {
    ctx.eventOnce('Warning', 'UnparseableSchedule', key, `unparseable schedule "${spec.schedule}": ${parsed.error}`)
  } else if (tz && !validTimeZone(tz)) {
    ctx.eventOnce('Warning', 'UnknownTimeZone', key, `invalid timeZone "${tz}": not an IANA time zone name`)
  } else if (!spec.suspend) {
    const deadline: number | undefined = spec.startingDeadlineSeconds
    let earliest = msOf(status.lastScheduleTime) ?? msOf(cj.metadata.creationTimestamp) ?? ctx.now
    if (deadline !== undefined) earliest = Math.max(earliest, ctx.now - deadline * 1000)
    let latest: number | null = null
    let missed = 0
    for (let t = nextAfter(parsed.schedule, earliest, tz); t !== null && t <= ctx.now; t = nextAfter(parsed.schedule, t, tz)) {
      latest = t
      if (++missed > 100_000) break
    }
    if (missed > MISSED_LIMIT) {
      ctx.eventOnce('Warning', 'TooManyMissedTimes', key,
        `too many missed start times (> ${MISSED_LIMIT}); set or decrease .spec.startingDeadlineSeconds or check clock skew`)
    }
    if (latest !== null) {
      const name = `${cj.metadata.name}-${Math.floor(latest / 60_000)}`
      const jobKey = objectKey('Job', ns, name)
      const active = jobs().filter((j) => !jobFinished(j))
      if (ctx.get(jobKey)) {
        // already made by an earlier (possibly interrupted) pass
        status.lastScheduleTime = isoAt(latest)
      } else if (deadline !== undefined && latest + deadline * 1000 < ctx.now) {
        ctx.eventOnce('Warning', 'MissedSchedule', key, `Missed scheduled time to start a job: ${isoAt(latest)}`)
      } else if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
        ctx.eventOnce('Normal', 'JobAlreadyActive', key, `Not starting job for ${isoAt(latest)}: prior execution ${active[0].metadata.name} is still running`)
      } else {
        if (spec.concurrencyPolicy === 'Replace') {
          for (const j of active) {
            ctx.deleteObject(j, `CronJob ${cj.metadata.name} replaces it`)
            ctx.event('Normal', 'SuccessfulDelete', key, `Deleted job ${j.metadata.name}`)
          }
        }
        const t: Partial<JobTemplateSpec> = spec.jobTemplate ?? {}
        const job: JobObject = {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            namespace: ns,
            uid: stableUid(uid, 'Job', latest),
            creationTimestamp: ctx.nowIso,
            generation: 1,
            labels: {...(t.metadata?.labels ?? {})},
            annotations: {...(t.metadata?.annotations ?? {}), 'batch.kubernetes.io/cronjob-scheduled-timestamp': isoAt(latest)},
            ownerReferences: [ownerRefTo(cj)],
          },
          // a valid jobTemplate has a spec with a pod template
          spec: clone(t.spec ?? {}) as JobSpec,
        }
        pinHolder(ctx, job, job.spec.template)
        ctx.put(job)
        status.lastScheduleTime = isoAt(latest)
        ctx.event('Normal', 'SuccessfulCreate', key, `Created job ${name}`)
      }
    }
  }
  cj.status = status
  ctx.put(cj)
}

/**
 * After the Job controller ran (so Jobs finished in this pass count): record
 * the last success, trim the history, list the active Jobs.
 */
export function finishCronJob(ctx: Ctx, c0: KubeObject): void {
  if (ann(c0, A.orphaned)) return
  const {cj, key, ns, spec, status, jobs} = open(ctx, c0)
  // finished jobs: record success, then trim history
  for (const j of jobs()) {
    if (jobFinished(j) === 'Complete') {
      const t = (j as JobObject).status?.completionTime
      if (t && (!status.lastSuccessfulTime || t > status.lastSuccessfulTime)) status.lastSuccessfulTime = t
    }
  }
  const byTime = (a: KubeObject, b: KubeObject) => (a.metadata.name < b.metadata.name ? -1 : 1)
  const trim = (state: 'Complete' | 'Failed', limit: number) => {
    const done = jobs().filter((j) => jobFinished(j) === state).sort(byTime)
    for (const j of done.slice(0, Math.max(0, done.length - limit))) {
      ctx.deleteObject(j, `CronJob ${cj.metadata.name} history limit`)
      ctx.event('Normal', 'SawCompletedJob', key, `Deleted job ${j.metadata.name} beyond the ${state === 'Complete' ? 'successful' : 'failed'} jobs history limit`)
    }
  }
  trim('Complete', spec.successfulJobsHistoryLimit ?? 3)
  trim('Failed', spec.failedJobsHistoryLimit ?? 1)

  status.active = jobs()
    .filter((j) => !jobFinished(j))
    .map((j) => ({kind: 'Job', namespace: ns, name: j.metadata.name, uid: j.metadata.uid}))
  if (status.active.length === 0) delete status.active
  cj.status = status
  ctx.put(cj)
}
