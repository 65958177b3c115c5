{{- define "stratus.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{/* Labels of every object of a component; the worker and egress-proxy ones are what the sandbox NetworkPolicies select. */}}
{{- define "stratus.selectorLabels" -}}
app.kubernetes.io/name: stratus
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stratus.labels" -}}
{{ include "stratus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "stratus.image" -}}
{{ printf "%s/%s:%s" .root.Values.global.imageRegistry .name (default .root.Chart.AppVersion .root.Values.global.imageTag) }}
{{- end -}}

{{- define "stratus.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "stratus.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "stratus.egressSecretName" -}}
{{ default (printf "%s-egress" (include "stratus.fullname" .)) .Values.egressProxy.existingSecret }}
{{- end -}}

{{/* What every server process reads: PostgreSQL, Redis, the encryption key. */}}
{{- define "stratus.serverEnv" -}}
- name: DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ .Values.database.existingSecret }}, key: {{ .Values.database.key }} } }
- name: REDIS_URL
  valueFrom: { secretKeyRef: { name: {{ .Values.redis.existingSecret }}, key: {{ .Values.redis.key }} } }
- name: STRATUS_ENCRYPTION_KEY
  valueFrom: { secretKeyRef: { name: {{ .Values.encryption.existingSecret }}, key: {{ .Values.encryption.key }} } }
- name: NODE_ENV
  value: production
- name: LOG_LEVEL
  value: {{ .Values.global.logLevel | quote }}
- name: MIGRATE_ON_START
  value: "false"
- name: REDIS_KEY_PREFIX
  value: {{ .Values.redis.keyPrefix | quote }}
{{- end -}}

{{- define "stratus.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Placement of a component's pods (ctx: root, component): node selection plus the spread and
anti-affinity of scheduling.*, with the component's own pods as the label selector. */}}
{{- define "stratus.scheduling" -}}
{{- $scheduling := .root.Values.scheduling }}
{{- with $scheduling.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $scheduling.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $scheduling.topologySpread }}
topologySpreadConstraints:
{{- range $scheduling.topologySpread }}
  - topologyKey: {{ .topologyKey }}
    maxSkew: {{ .maxSkew | default 1 }}
    whenUnsatisfiable: {{ .whenUnsatisfiable | default "ScheduleAnyway" }}
    labelSelector:
      matchLabels:
        {{- include "stratus.selectorLabels" $ | nindent 8 }}
{{- end }}
{{- end }}
{{- if eq $scheduling.podAntiAffinity "soft" }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "stratus.selectorLabels" . | nindent 14 }}
{{- else if eq $scheduling.podAntiAffinity "hard" }}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "stratus.selectorLabels" . | nindent 12 }}
{{- else if $scheduling.podAntiAffinity }}
{{- fail "scheduling.podAntiAffinity must be \"\", \"soft\" or \"hard\"" }}
{{- end }}
{{- end -}}

{{/* Startup, liveness and readiness probes of a server on its `http` port (ctx: the component's
probes values). Liveness is /healthz (the process answers); readiness is /readyz (PostgreSQL and
Redis reachable, not draining). */}}
{{- define "stratus.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: {{ .startup.periodSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: {{ .liveness.periodSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet: { path: /readyz, port: http }
  periodSeconds: {{ .readiness.periodSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end -}}

{{/* The internal metrics port of a component (ctx: its values): a named container port and the
OpenTelemetry Prometheus exporter's standard variable. */}}
{{- define "stratus.metricsPort" -}}
- name: metrics
  containerPort: {{ .metrics.port }}
{{- end -}}
{{- define "stratus.metricsEnv" -}}
- name: STRATUS_METRICS_PORT
  value: {{ .metrics.port | quote }}
{{- end -}}
