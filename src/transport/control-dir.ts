/**
 * Where SSH control sockets (and a Node's pinned known_hosts) live: one
 * per-user directory, `$TSCTL_SSH_CONTROL_DIR`, else `/tmp/tsctl-<uid>`
 * (under /tmp, not $TMPDIR or /run/user: a socket path must stay under ~100
 * bytes), mode 0700, owned by the user — refused otherwise, since a socket
 * there is a logged-in session to a host. Each transport takes a
 * subdirectory `<pid>-<random>` and removes it when it closes; the
 * subdirectories of processes that died without closing (kill -9) are swept
 * by the next tsctl run of that user. A master of a dead run ends on its
 * own after ControlPersist (60 s by default).
 *
 * Shared masters (ssh.ts, `TSCTL_SSH_PERSIST`) live in `m-<key>`, one per
 * connection setting, so that the next run of that user finds them; their
 * empty directories (the master ended after ControlPersist) are swept.
 */
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {pidAlive} from '../pid-alive.js'

export function controlRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSCTL_SSH_CONTROL_DIR || `/tmp/tsctl-${process.getuid?.() ?? 'user'}`
}


let swept = ''

/** Removes the subdirectories of dead processes; once per root per process. */
export function sweepControlRoot(root: string): string[] {
  const gone: string[] = []
  let names: string[] = []
  try {
    names = readdirSync(root)
  } catch {
    return gone
  }
  for (const n of names) {
    if (/^m-[0-9a-f]{16}$/.test(n)) {
      if (staleShared(join(root, n))) {
        rmSync(join(root, n), {recursive: true, force: true})
        gone.push(n)
      }
      continue
    }
    const pid = Number(/^(\d+)-/.exec(n)?.[1])
    if (!pid || pid === process.pid || pidAlive(pid)) continue
    rmSync(join(root, n), {recursive: true, force: true})
    gone.push(n)
  }
  return gone
}

// A shared master's directory with no socket and untouched for 10 minutes:
// its master ended (ControlPersist) and no run has used it since.
function staleShared(dir: string): boolean {
  try {
    return !existsSync(join(dir, 'cm')) && Date.now() - statSync(dir).mtimeMs > 10 * 60_000
  } catch {
    return false
  }
}

/** A fresh private directory for one transport, under the checked per-user root. */
export function newControlDir(env: NodeJS.ProcessEnv = process.env): string {
  return mkdtempSync(join(checkedControlRoot(env), `${process.pid}-`))
}

/** The shared directory of one connection setting (`m-` + 16 hex digits of KEY), under the checked per-user root. */
export function sharedControlDir(key: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[0-9a-f]{16}$/.test(key)) throw new TypeError(`bad shared control key ${key}`)
  const dir = join(checkedControlRoot(env), `m-${key}`)
  mkdirSync(dir, {mode: 0o700, recursive: true})
  return dir
}

function checkedControlRoot(env: NodeJS.ProcessEnv): string {
  const root = controlRoot(env)
  try {
    mkdirSync(root, {mode: 0o700})
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`cannot create the SSH control directory ${root}: ${(e as Error).message}`, undefined, [], 'set TSCTL_SSH_CONTROL_DIR to a directory of your own')
  }
  const st = lstatSync(root)
  const uid = process.getuid?.()
  if (!st.isDirectory() || st.isSymbolicLink() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new UserError(
      `refusing the SSH control directory ${root}: it must be a directory (not a symlink) owned by you with mode 0700; it is ${st.isSymbolicLink() ? 'a symlink' : `owned by uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)}`}`,
      undefined,
      [],
      `remove it if it is not yours to keep, or set TSCTL_SSH_CONTROL_DIR`,
    )
  }
  if (swept !== root) {
    swept = root
    sweepControlRoot(root)
  }
  return root
}
