{{/*
A ClusterIP (or other type) Service for a component, selecting its pods by the common selector labels.
Takes (dict "context" $ "component" "ui" "port" 5005) plus optional "type", "portName", "targetPort".
*/}}
{{- define "common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.componentName" . }}
  labels:
    {{- include "common.labels" . | nindent 4 }}
spec:
  type: {{ .type | default "ClusterIP" }}
  selector:
    {{- include "common.selectorLabels" . | nindent 4 }}
  ports:
    - name: {{ .portName | default "http" }}
      port: {{ .port }}
      targetPort: {{ .targetPort | default "http" }}
      protocol: TCP
{{- end -}}
