/**
 * Job (pkg/controller/job): run pods until `completions` succeed
 * (default 1; with only `parallelism` set, until one succeeds and the rest
 * finish), at most `parallelism` at once (default 1).
 *
 * - Failures (job_controller.go, current release): the Job fails with
 *   BackoffLimitExceeded, its active pods stopped, when more pods have
 *   failed than `backoffLimit` (default 6), or — restartPolicy OnFailure,
 *   where the kubelet restarts containers in place — when the container
 *   restarts of its running and pending pods reach `backoffLimit` (any
 *   restart when it is 0): pastBackoffLimitOnFailure.
 * - `activeDeadlineSeconds` from status.startTime: DeadlineExceeded.
 * - Finished pods stay in the state (and on their host) as a record until
 *   the Job is deleted (by git or a CronJob's history limit).
 * - Pod names are `<job>-<hash(job uid, attempt)>`; attempt numbers are
 *   never reused while the Job lives.
 * - A new pod after failed pods waits 10 s × 2^(n−1), at most 10 min
 *   (DefaultJobPodFailureBackOff, MaxJobPodFailureBackOff), from the last
 *   failure's finish time, where n counts the pods that failed after the
 *   last one that succeeded (backoff_utils.go: a success resets it; in-place
 *   restarts of OnFailure pods are the kubelet's back-off, not this one); a
 *   pass in that window plans nothing for the Job. Older releases capped
 *   the wait at 6 min.
 * - Not yet: podFailurePolicy, indexed completion mode.
 */
import type {JobSpec} from '../../manifests/generated/index.js'
import type {KubeObject} from '../../manifests/object.js'
import {keyOf} from '../../manifests/object.js'
import {A} from '../../manifests/annotations.js'
import {type Ctx} from '../context.js'
import {nameSuffix, stableUid} from '../hash.js'
import type {JobObject, JobStatus, PodObject} from '../status.js'
import {ann, clone, isActive, msOf, podPhase, restartCount, setCondition} from '../util.js'
import {podFromTemplate} from './pod-from-template.js'

const BACKOFF_BASE_MS = 10_000
const BACKOFF_MAX_MS = 600_000

/** When a failed pod's last container finished (0 when nobody said). */
function finishedAt(p: KubeObject): number {
  const times = ((p as PodObject).status?.containerStatuses ?? []).map((c) => msOf(c.state?.terminated?.finishedAt) ?? 0)
  return Math.max(0, ...times)
}

export function jobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  for (const c of (job as JobObject).status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type
  }
  return undefined
}

export function syncJob(ctx: Ctx, j0: KubeObject): void {
  if (ann(j0, A.orphaned)) return
  const job = clone(j0) as JobObject
  const key = keyOf(j0)
  const uid = job.metadata.uid as string
  const spec: Partial<JobSpec> = job.spec ?? {}
  const parallelism: number = spec.parallelism ?? 1
  const completions: number | null = spec.completions ?? (spec.parallelism === undefined ? 1 : null)
  const backoffLimit: number = spec.backoffLimit ?? 6
  const status: JobStatus = {...(job.status ?? {})}
  const pods = () => ctx.ownedBy(uid, 'Pod')
  const onFailure = (spec.template?.spec?.restartPolicy ?? 'Never') === 'OnFailure'
  const stopActive = (why: string) => {
    for (const p of pods()) if (isActive(p)) ctx.deletePod(p, why)
  }

  const finished = jobFinished(job)
  if (!finished && !spec.suspend) {
    status.startTime ??= ctx.nowIso
    const all = pods()
    const succeeded = all.filter((p) => podPhase(p) === 'Succeeded').length
    const failedPods = all.filter((p) => podPhase(p) === 'Failed').length
    const active = all.filter(isActive)
    const restarts = onFailure ? active.reduce((a, p) => a + restartCount(p), 0) : 0
    const pastOnFailure = onFailure && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit)
    const deadline = spec.activeDeadlineSeconds
    const start = msOf(status.startTime) ?? ctx.now
    let fail: {reason: string; message: string} | undefined
    if (failedPods > backoffLimit || pastOnFailure) fail = {reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit'}
    else if (deadline !== undefined && ctx.now >= start + deadline * 1000)
      fail = {reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline'}
    const complete = completions !== null ? succeeded >= completions : succeeded > 0 && active.length === 0
    if (fail) {
      stopActive(`Job ${job.metadata.name} failed: ${fail.reason}`)
      status.conditions = setCondition(status.conditions ?? [], {type: 'Failed', status: 'True', ...fail}, ctx.nowIso)
      ctx.event('Warning', fail.reason, key, fail.message)
    } else if (complete) {
      status.conditions = setCondition(status.conditions ?? [], {type: 'Complete', status: 'True'}, ctx.nowIso)
      status.completionTime = ctx.nowIso
      ctx.event('Normal', 'Completed', key, 'Job completed')
    } else {
      const wantActive = completions === null ? (succeeded > 0 ? 0 : parallelism) : Math.min(parallelism, completions - succeeded)
      const lastSuccess = Math.max(0, ...all.filter((p) => podPhase(p) === 'Succeeded').map(finishedAt))
      const failedSince = all.filter((p) => podPhase(p) === 'Failed' && finishedAt(p) >= lastSuccess)
      const lastFailure = Math.max(0, ...failedSince.map(finishedAt))
      const failures = failedSince.length
      const delay = failures > 0 ? Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) : 0
      if (active.length < wantActive && lastFailure > 0 && ctx.now < lastFailure + delay) {
        ctx.eventOnce('Normal', 'BackoffWait', key, `waiting ${delay / 1000}s after ${failures} failure(s) before the next pod`)
      } else if (active.length < wantActive) {
        const used = new Set(all.map((p) => Number(ann(p, A.slot))))
        let attempt = 0
        for (let n = active.length; n < wantActive; n++) {
          while (used.has(attempt)) attempt++
          used.add(attempt)
          const name = `${job.metadata.name}-${nameSuffix(uid, attempt)}`
          const pod = podFromTemplate(ctx, job, spec.template, name, stableUid(uid, 'pod', attempt), {
            labels: {
              'batch.kubernetes.io/controller-uid': uid,
              'batch.kubernetes.io/job-name': job.metadata.name,
              'controller-uid': uid,
              'job-name': job.metadata.name,
            },
            annotations: {[A.slot]: String(attempt)},
          })
          ctx.put(pod)
          ctx.event('Normal', 'SuccessfulCreate', key, `Created pod: ${name}`)
        }
      } else if (active.length > wantActive) {
        const extra = [...active].sort((a, b) => (a.metadata.name < b.metadata.name ? 1 : -1)).slice(0, active.length - wantActive)
        for (const p of extra) ctx.deletePod(p, `Job ${job.metadata.name} needs only ${wantActive} active pods`)
      }
    }
  } else if (finished === 'Failed') {
    stopActive(`Job ${job.metadata.name} failed`)
  } else if (spec.suspend) {
    stopActive(`Job ${job.metadata.name} suspended`)
  }
  const all = pods()
  status.active = all.filter(isActive).length
  status.succeeded = all.filter((p) => podPhase(p) === 'Succeeded').length
  status.failed = all.filter((p) => podPhase(p) === 'Failed').length
  job.status = status
  ctx.put(job)
}
