import type {CommitInfo} from '../manifests/desired.js'
import type {Action} from '../reconcile/plan.js'

/** An action as progress output shows it (no pod body: events are small and JSON-safe). */
export interface ActionRef {
  type: Action['type']
  node: string
  /** objectKey of the pod or claim */
  target: string
  reason: string
}

export function actionRef(a: Action): ActionRef {
  return {type: a.type, node: a.node, target: a.target, reason: a.reason}
}

/**
 * Progress of a sync, in order. `time` is epoch ms from the sync's clock.
 * The renderers (src/render/progress*.ts) and `watch -o json` consume it;
 * every member is plain JSON.
 */
export type SyncEvent =
  /** the lock is held, the commit loaded */
  | {type: 'sync-started'; time: number; commit: CommitInfo; nodes: string[]; dryRun: boolean}
  /** waiting for another holder of the lock (--lock-timeout) */
  | {type: 'lock-waiting'; time: number; holder: string}
  /** a round observed the hosts */
  | {type: 'observed'; time: number; pass: number; nodes: {name: string; reachable: boolean; pods: number; ready: number; error?: string}[]}
  /** a node could not be observed this round (not fatal: its pods are left as they were) */
  | {type: 'node-unreachable'; time: number; pass: number; node: string; error: string}
  /** a round planned ACTIONS actions (0: waiting for the hosts) */
  | {type: 'pass-started'; time: number; pass: number; actions: number; perNode: Record<string, number>}
  | {type: 'action-started'; time: number; pass: number; action: ActionRef}
  | {type: 'action-done'; time: number; pass: number; action: ActionRef; result: 'started' | 'unchanged' | 'done'; ms: number}
  | {type: 'action-failed'; time: number; pass: number; action: ActionRef; error: string; ms: number}
  | {type: 'action-skipped'; time: number; pass: number; action: ActionRef; why: string}
  /** a registry layer downloaded into the CLI's image cache (once per run and machine, whatever the number of hosts) */
  | {type: 'image-pulled'; time: number; image: string; layer: string; bytes: number; ms: number}
  /** image GC on a node after a sync that changed something (only when it removed something, or failed) */
  | {type: 'images-collected'; time: number; node: string; images: number; layers: number; kb: number; storeKb: number; error?: string}
  /** a layer streamed to a node that lacked it (BYTES: the sanitized tar sent) */
  | {type: 'layer-sent'; time: number; pass: number; node: string; image: string; layer: string; bytes: number; ms: number}
  /** nothing to do this round: waiting for readiness (rollouts in kubectl's words) */
  | {type: 'waiting'; time: number; pass: number; waitingFor: string[]}
  | {type: 'converged'; time: number; passes: number}
  /** settled with nodes unreachable or failed: the others are applied (exit 4) */
  | {type: 'settled'; time: number; passes: number; failedNodes: string[]}
  /** a Deployment passed its progressDeadlineSeconds (exit 5) */
  | {type: 'rollout-failed'; time: number; pass: number; workload: string; message: string}
  /** --timeout passed (exit 5) */
  | {type: 'timed-out'; time: number; passes: number; waitingFor: string[]}
  /** shouldStop said so (a newer commit, SIGTERM): stopped after the current step */
  | {type: 'stopped'; time: number; passes: number}
  /** the plan a dry run would execute first */
  | {type: 'dry-run-plan'; time: number; actions: ActionRef[]}
