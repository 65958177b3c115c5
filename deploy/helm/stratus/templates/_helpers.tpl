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
{{- end -}}

{{- define "stratus.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
