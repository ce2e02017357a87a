/**
 * True while a process PID exists on this machine (EPERM: it exists but is
 * another user's). For locks and sockets that name their owner's pid.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
