// Shared helpers of the manifests tests: run the pure pipeline on inline
// files and find a diagnostic by where it must point.
import * as assert from 'uvu/assert'
import {formatDiagnostic, UserError, type Diagnostic} from '../../../src/errors.js'
import type {CommitInfo, Desired} from '../../../src/manifests/desired.js'
import {desiredFromFiles} from '../../../src/manifests/load.js'

export const commit: CommitInfo = {sha: 'a'.repeat(40), subject: 'test', author: 'T <t@example.com>', date: '2026-01-01T00:00:00Z'}

/** Every diagnostic of the files, whether the load failed or not. */
export function diagnose(files: Record<string, string>): {desired?: Desired; diagnostics: Diagnostic[]; error?: UserError} {
  try {
    const desired = desiredFromFiles(Object.entries(files).map(([path, text]) => ({path, text})), commit)
    return {desired, diagnostics: desired.warnings}
  } catch (e) {
    if (!(e instanceof UserError)) throw e
    return {diagnostics: e.diagnostics, error: e}
  }
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
export function loc(text: string, needle: string, nth = 0): {line: number; col: number} {
  let i = -1
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1)
    if (i < 0) throw new Error(`fixture has no ${JSON.stringify(needle)}`)
  }
  const before = text.slice(0, i).split('\n')
  return {line: before.length, col: before[before.length - 1].length + 1}
}

/**
 * Asserts that one diagnostic points at `needle` in `file` (so file:line:col
 * is exact), names `field`, and says `message`. Returns it.
 */
export function expectDiag(
  ds: Diagnostic[],
  want: {file: string; text: string; needle: string; nth?: number; field?: string; message: RegExp; severity?: 'error' | 'warning'},
): Diagnostic {
  const at = loc(want.text, want.needle, want.nth)
  const hit = ds.find((d) => want.message.test(d.message) && (want.field === undefined || d.field === want.field))
  assert.ok(hit, `no diagnostic ${want.message} (field ${want.field}) among:\n${ds.map(formatDiagnostic).join('\n')}`)
  assert.equal({file: hit!.file, line: hit!.line, col: hit!.col, severity: hit!.severity}, {file: want.file, ...at, severity: want.severity ?? 'error'}, formatDiagnostic(hit!))
  return hit!
}

/** A valid Deployment (with a ConfigMap and Secret it uses) to break one field at a time. */
export const webYaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: oci:images/busybox
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: TOKEN
              valueFrom:
                secretKeyRef:
                  name: creds
                  key: token
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
          volumeMounts:
            - name: conf
              mountPath: /etc/app
          readinessProbe:
            httpGet:
              path: /
              port: http
      volumes:
        - name: conf
          configMap:
            name: app-config
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  app.conf: "x=1"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  token: dG9rZW4=
`
