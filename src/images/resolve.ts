import {resolve as resolvePath} from 'node:path'
import {UserError} from '../errors.js'
import {parseImageRef, type ImageRef, type RefContext} from './reference.js'
import {resolveOciLayout, type ResolvedImage} from './oci-layout.js'

/**
 * Resolves a container's `image:` to exact, verified content. `oci:PATH`
 * refs are read from `<repoRoot>/PATH` (the manifests repo's working tree
 * on disk). Registry references parse (so validation can check them) but do
 * not resolve yet: they throw a UserError (exit 2) saying so. CTX (file,
 * line, field of the `image:` value) is copied into every diagnostic.
 */
export async function resolveImage(
  ref: string | ImageRef,
  opts: {repoRoot: string; ctx?: RefContext; platform?: {os: string; architecture: string; variant?: string}},
): Promise<ResolvedImage> {
  const ctx = opts.ctx ?? {}
  const parsed = typeof ref === 'string' ? parseImageRef(ref, ctx) : ref
  if (parsed.kind === 'registry') {
    const msg = `image ${JSON.stringify(parsed.original)} (${parsed.canonical}): registry pulls not supported yet; use oci:PATH`
    const hint = 'build or copy an OCI layout into the repo (skopeo copy docker://IMAGE oci:images/NAME:TAG) and write image: oci:images/NAME:TAG'
    throw new UserError(msg, undefined, [{severity: 'error', ...ctx, message: msg, hint}], hint)
  }
  try {
    return await resolveOciLayout(resolvePath(opts.repoRoot, parsed.path), {
      ...(parsed.tag !== undefined ? {tag: parsed.tag} : {}),
      ...(parsed.digest !== undefined ? {digest: parsed.digest} : {}),
      ...(opts.platform ? {platform: opts.platform} : {}),
      root: opts.repoRoot,
      ref: parsed.canonical,
    })
  } catch (e) {
    // Layout errors know the blob but not the manifest position; add it.
    if (e instanceof UserError && e.diagnostics.length === 0) {
      throw new UserError(e.message, e.exitCode, [{severity: 'error', ...ctx, message: e.message, ...(e.hint ? {hint: e.hint} : {})}], e.hint)
    }
    throw e
  }
}
