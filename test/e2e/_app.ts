// The manifests the fleet tests sync: the example app's shape (manifests/)
// made quick to converge — readiness probed every second, short grace
// periods — and knobs for what each test changes.

export interface AppOptions {
  /** web Deployment replicas (default 3) */
  web?: number
  /** the web container's command (a change rolls the Deployment) */
  webCommand?: string[]
  maxSurge?: number | string
  maxUnavailable?: number | string
  /** include the db StatefulSet (1 replica, a claim) */
  db?: boolean
  /** include the node-agent DaemonSet */
  agent?: boolean
  /** include the migrate Job */
  job?: boolean
  /** an extra bare ConfigMap (pruning tests delete it) */
  extraConfig?: boolean
}

export const defaultWebCommand = ['httpd', '-f', '-p', '8080', '-h', '/srv/www']

/** path → YAML of the app (Nodes come from the fleet). */
export function appFiles(o: AppOptions = {}): Record<string, string | null> {
  const files: Record<string, string | null> = {
    'manifests/config.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-content
data:
  index.html: |
    <p>tsctl e2e</p>
  healthz: |
    ok
---
apiVersion: v1
kind: Secret
metadata:
  name: web-credentials
type: Opaque
stringData:
  db-password: e2e-only
`,
    'manifests/web.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${o.web ?? 3}
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: ${JSON.stringify(o.maxSurge ?? 1)}
      maxUnavailable: ${JSON.stringify(o.maxUnavailable ?? 0)}
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: httpd
          image: oci:images/busybox
          command: ${JSON.stringify(o.webCommand ?? defaultWebCommand)}
          ports:
            - name: http
              containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 16Mi
          volumeMounts:
            - name: content
              mountPath: /srv/www
              readOnly: true
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 1
      volumes:
        - name: content
          configMap:
            name: web-content
`,
    'manifests/db.yaml': o.db === false ? null : `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: db
          image: oci:images/busybox
          command: ["sh", "-c", "while true; do date >> /data/log; sleep 5; done"]
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: web-credentials
                  key: db-password
          volumeMounts:
            - name: data
              mountPath: /data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 10Mi
`,
    'manifests/agent.yaml': o.agent === false ? null : `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  selector:
    matchLabels:
      app: node-agent
  template:
    metadata:
      labels:
        app: node-agent
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: agent
          image: oci:images/busybox
          command: ["sh", "-c", "while true; do cat /proc/loadavg; sleep 30; done"]
`,
    'manifests/job.yaml': o.job === false ? null : `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 2
  template:
    metadata:
      labels:
        app: migrate
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: oci:images/busybox
          command: ["sh", "-c", "echo migrating; echo done"]
`,
    'manifests/extra.yaml': o.extraConfig ? `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  a: b
` : null,
  }
  return files
}

/** A tiny app for fault trials: one Deployment of N pods that start fast (no probe). */
export function tinyApp(replicas: number, tag = 'v1'): Record<string, string | null> {
  return {
    'manifests/app.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: tiny
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: tiny
  template:
    metadata:
      labels:
        app: tiny
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: oci:images/busybox
          command: ["sh", "-c", "echo ${tag}; exec sleep 100000"]
`,
  }
}
