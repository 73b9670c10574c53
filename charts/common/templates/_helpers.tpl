{{/*
Named templates shared by the TinyOlly charts. Most take a dict:
  (dict "context" $ "component" "ui")
where "context" is the calling chart's root context and "component" names the workload.
*/}}

{{/* The chart name, or .Values.nameOverride. Takes the root context. */}}
{{- define "common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release-qualified name: .Values.fullnameOverride, else the release name if it already contains
the chart name, else "<release>-<chart>". Takes the root context.
*/}}
{{- define "common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", the name of a component's workload and Service. */}}
{{- define "common.componentName" -}}
{{- printf "%s-%s" (include "common.fullname" .context) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select a component's pods (stable across upgrades). */}}
{{- define "common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "common.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The full set of recommended labels for a component's objects. */}}
{{- define "common.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "common.selectorLabels" . }}
app.kubernetes.io/part-of: tinyolly
{{- with .context.Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end -}}

{{/*
An image reference from either form found in values:
  image: "tinyolly/webui:latest"                      (a string, used as is)
  image: {registry: docker.io, repository: tinyolly/receiver, tag: "0.1.0", digest: "sha256:..."}
With the map form, registry defaults to .Values.global.imageRegistry (if any), tag to the chart's
appVersion, and a digest wins over the tag. A string without a registry host also gets
.Values.global.imageRegistry. Takes (dict "image" <value> "context" $).
*/}}
{{- define "common.image" -}}
{{- $ctx := .context -}}
{{- $globalRegistry := "" -}}
{{- with $ctx.Values.global -}}
{{- $globalRegistry = .imageRegistry | default "" -}}
{{- end -}}
{{- if kindIs "string" .image -}}
{{- $first := first (splitList "/" .image) -}}
{{- $hasRegistry := and (contains "/" .image) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- if and $globalRegistry (not $hasRegistry) -}}
{{- printf "%s/%s" (trimSuffix "/" $globalRegistry) .image -}}
{{- else -}}
{{- .image -}}
{{- end -}}
{{- else -}}
{{- $repository := required "image.repository is required" .image.repository -}}
{{- $registry := .image.registry | default $globalRegistry -}}
{{- $name := ternary $repository (printf "%s/%s" (trimSuffix "/" $registry) $repository) (empty $registry) -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $name .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (toString (.image.tag | default $ctx.Chart.AppVersion | default "latest")) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pull policy of an image value (map form), default IfNotPresent. Takes the image value. */}}
{{- define "common.imagePullPolicy" -}}
{{- if kindIs "map" . -}}
{{- .pullPolicy | default "IfNotPresent" -}}
{{- else -}}
IfNotPresent
{{- end -}}
{{- end -}}
