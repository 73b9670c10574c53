{{/* The store URL shared by the receiver and the UI: the bundled Redis, or per-process memory. */}}
{{- define "tinyolly.storeUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s:%d/0" (include "common.componentName" (dict "context" . "component" "redis")) (int .Values.redis.port) -}}
{{- else -}}
memory://
{{- end -}}
{{- end -}}
