import {shellQuote} from './shell-quote.js'

/** What `tsctl hook install` bakes into the post-receive hook. */
export interface HookConfig {
  /** absolute path of node */
  node: string
  /** absolute path of tsctl's bin/run.js */
  tsctl: string
  /** absolute path of the bare repository */
  repo: string
  /** the branch to roll out, e.g. main */
  branch: string
  /**
   * absolute path of the state file; absent: `hook run` resolves the state as
   * every command does (flags, TSCTL_STATE_*, tsctl.yaml's `state:`, then
   * REPO/.tsctl/state.json), so a team's etcd or git backend is used
   */
  state?: string
  /** extra environment for tsctl (e.g. TSCTL_ROOT) */
  env?: Record<string, string>
}

/** Marks a hook as ours, so install can replace it and refuses to clobber someone else's. */
export const HOOK_MARKER = '# tsctl post-receive hook (written by `tsctl hook install`)'

/**
 * The post-receive hook: POSIX sh, every constant single-quoted, pushed
 * data (old sha, new sha, ref name on stdin) only compared with `=` and
 * `case`, never evaluated or spliced into a command line. The hook trusts
 * no ref name: it looks for the exact tracked ref and a new value that is a
 * full hex sha (a deletion, all zeros, rolls nothing out). It runs
 * `tsctl hook run`, whose progress lines git relays to the pusher as
 * `remote:` lines, and exits with tsctl's status (git prints the hook's
 * output; the push itself has already happened).
 */
export function hookScript(c: HookConfig): string {
  const env = Object.entries(c.env ?? {})
    .filter(([k]) => /^[A-Z_][A-Z0-9_]*$/.test(k))
    .map(([k, v]) => `${k}=${shellQuote(v)}\nexport ${k}\n`)
    .join('')
  return `#!/bin/sh
${HOOK_MARKER}
# Reads "<old> <new> <ref>" lines from git; rolls out the tracked branch only.
set -u
TSCTL_NODE=${shellQuote(c.node)}
TSCTL_BIN=${shellQuote(c.tsctl)}
TSCTL_REPO=${shellQuote(c.repo)}
TSCTL_BRANCH=${shellQuote(c.branch)}
${c.state !== undefined ? `TSCTL_STATE=${shellQuote(c.state)}
` : ''}${env}# git sets these for the hook; tsctl names the repository itself
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX
want="refs/heads/$TSCTL_BRANCH"
sha=""
while read -r old new ref; do
  if [ "$ref" = "$want" ]; then
    sha=$new
  fi
done
[ -n "$sha" ] || exit 0
case $sha in
  *[!0-9a-f]*) echo "tsctl: ignoring a non-hex sha for $want" >&2; exit 0 ;;
esac
case \${#sha} in
  40|64) ;;
  *) echo "tsctl: ignoring a malformed sha for $want" >&2; exit 0 ;;
esac
case $sha in
  *[!0]*) ;;
  *) echo "tsctl: $want was deleted; nothing rolled out" >&2; exit 0 ;;
esac
"$TSCTL_NODE" "$TSCTL_BIN" hook run --repo "$TSCTL_REPO" --branch "$TSCTL_BRANCH"${c.state !== undefined ? ' --state "$TSCTL_STATE"' : ''} --sha "$sha"
status=$?
if [ "$status" -ne 0 ]; then
  echo "tsctl: rollout of $sha FAILED (exit $status); the push itself was accepted" >&2
fi
exit "$status"
`
}
