{{/*
Shared helpers. Per-service templates range over "jaring.services" and pass a context
  (dict "root" $ "name" <service name> "svc" <merged service values>)
to the helpers below that take one.
*/}}

{{- define "jaring.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide prefix of every object name: the release name, with the chart name when the
release name does not contain it. */}}
{{- define "jaring.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "jaring.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The enabled services as YAML (name -> values): each entry deep-merged over serviceDefaults and
checked. Templates read it with `include "jaring.services" . | fromYaml`.
*/}}
{{- define "jaring.services" -}}
{{- include "jaring.checkAuth" . }}
{{- include "jaring.checkSecrets" . }}
{{- $out := dict }}
{{- range $name, $entry := .Values.services }}
{{- $svc := mergeOverwrite (deepCopy $.Values.serviceDefaults) (deepCopy ($entry | default dict)) }}
{{- if $svc.enabled }}
{{- if not (regexMatch "^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$" $name) }}
{{- fail (printf "services.%s: the name must be lower-case letters, digits and dashes" $name) }}
{{- end }}
{{- if not (and $svc.ports.grpc $svc.ports.admin) }}
{{- fail (printf "services.%s.ports: grpc and admin are required" $name) }}
{{- end }}
{{- if and $svc.persistence.enabled (gt (int $svc.replicas) 1) }}
{{- fail (printf "services.%s: keeps its SQLite store on a volume (persistence.enabled), so replicas must be 1, not %v" $name $svc.replicas) }}
{{- end }}
{{- if $svc.ingress.enabled }}
{{- if not (hasKey $svc.ports $svc.ingress.port) }}
{{- fail (printf "services.%s.ingress.port: %q is not one of its ports" $name $svc.ingress.port) }}
{{- end }}
{{- if not $svc.ingress.hosts }}
{{- fail (printf "services.%s.ingress.hosts: at least one host is required" $name) }}
{{- end }}
{{- end }}
{{- range $svc.uses }}
{{- if not (has . (list "kafka" "redis" "dataKeys")) }}
{{- fail (printf "services.%s.uses: %q is not kafka, redis or dataKeys" $name .) }}
{{- end }}
{{- end }}
{{- $_ := set $out $name $svc }}
{{- end }}
{{- end }}
{{- /* calls: only to enabled services of this release, and never to itself. */}}
{{- range $name, $svc := $out }}
{{- range $svc.calls }}
{{- if or (eq . $name) (not (hasKey $out .)) }}
{{- fail (printf "services.%s.calls: %q is not another enabled service of this release" $name .) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The release-wide auth values: fails early, whatever template renders first. */}}
{{- define "jaring.checkAuth" -}}
{{- $auth := .Values.auth | default dict }}
{{- $_ := required "auth.issuer is required: the exact `iss` of the identity provider's tokens, e.g. --set auth.issuer=https://sso.example.go.id/realms/jaring (docs/deploy.md, \"Identity: JWKS and service tokens\")" $auth.issuer }}
{{- if and $auth.jwks.existingConfigMap $auth.jwks.existingSecret }}
{{- fail "auth.jwks: give existingConfigMap or existingSecret, not both" }}
{{- end }}
{{- if not $auth.jwks.key }}
{{- fail "auth.jwks.key: the key of the JWKS document in its ConfigMap or Secret is required" }}
{{- end }}
{{- if not (hasPrefix "/" (toString $auth.mountPath)) }}
{{- fail (printf "auth.mountPath: %q is not an absolute path" (toString $auth.mountPath)) }}
{{- end }}
{{- end }}

{{/* The release-wide TLS, Redis password and personal data key values: fails early. */}}
{{- define "jaring.checkSecrets" -}}
{{- $tls := .Values.tls | default dict }}
{{- $paths := list "/etc/jaring/config" (toString .Values.auth.mountPath) }}
{{- if $tls.enabled }}
{{- $paths = append $paths (toString $tls.mountPath) }}
{{- $refresh := int $tls.refreshSeconds }}
{{- if or (lt $refresh 1) (gt $refresh 86400) }}
{{- fail (printf "tls.refreshSeconds: %v is not from 1 to 86400" $tls.refreshSeconds) }}
{{- end }}
{{- range $tls.httpsPorts }}
{{- if eq . "grpc" }}
{{- fail "tls.httpsPorts: grpc is served with TLS whenever tls.enabled is true; list only HTTP ports (admin, dashboard)" }}
{{- end }}
{{- end }}
{{- $cm := $tls.certManager | default dict }}
{{- if and $cm.enabled $cm.selfSignedCA ($cm.issuerRef | default dict).name }}
{{- fail "tls.certManager.selfSignedCA makes the CA of the chart's own Issuer: leave tls.certManager.issuerRef.name empty with it" }}
{{- end }}
{{- else if $tls.httpsPorts }}
{{- fail "tls.httpsPorts: HTTPS uses the services' certificates, so it needs tls.enabled" }}
{{- end }}
{{- $redis := (.Values.redis | default dict).auth | default dict }}
{{- if $redis.enabled }}
{{- $paths = append $paths (toString $redis.mountPath) }}
{{- if not $redis.passwordKey }}
{{- fail "redis.auth.passwordKey: the key of the password in its Secret is required" }}
{{- end }}
{{- end }}
{{- $keys := .Values.dataKeys | default dict }}
{{- $paths = append $paths (toString $keys.mountPath) }}
{{- if not $keys.key }}
{{- fail "dataKeys.key: the key of keys.yaml in its Secret is required" }}
{{- end }}
{{- if .Values.kafka.tls.existingSecret }}
{{- $paths = append $paths (toString .Values.kafka.tls.mountPath) }}
{{- end }}
{{- if and .Values.kafka.sasl.existingSecret (hasKey (.Values.kafka.secretProperties | default dict) "sasl.password") }}
{{- fail "kafka.sasl.existingSecret and kafka.secretProperties.sasl.password: give the password one way" }}
{{- end }}
{{- range $paths }}
{{- if not (hasPrefix "/" .) }}
{{- fail (printf "%q is not an absolute path (tls.mountPath, redis.auth.mountPath, dataKeys.mountPath, kafka.tls.mountPath)" .) }}
{{- end }}
{{- end }}
{{- if ne (len $paths) (len (uniq $paths)) }}
{{- fail (printf "two volumes would be mounted at the same path: %s (auth.mountPath, tls.mountPath, redis.auth.mountPath, dataKeys.mountPath, kafka.tls.mountPath must differ, and differ from /etc/jaring/config)" (join ", " $paths)) }}
{{- end }}
{{- end }}

{{/* Labels of the release-wide objects (the cert-manager Issuers and the CA). */}}
{{- define "jaring.releaseLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: {{ include "jaring.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "jaring.chart" . }}
{{- end }}

{{/* <fullname>-<service>: the name of every object of one service. */}}
{{- define "jaring.serviceFullname" -}}
{{- printf "%s-%s" (include "jaring.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "jaring.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{- define "jaring.labels" -}}
{{ include "jaring.selectorLabels" . }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/part-of: {{ include "jaring.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "jaring.chart" .root }}
{{- end }}

{{- define "jaring.image" -}}
{{- $registry := trimSuffix "/" (toString .root.Values.image.registry) }}
{{- $repository := .svc.image.repository | default (ternary (printf "%s/jaring-%s" $registry .name) (printf "jaring-%s" .name) (not (empty $registry))) }}
{{- $tag := .svc.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{- define "jaring.serviceAccountName" -}}
{{- if .svc.serviceAccount.create }}
{{- include "jaring.serviceFullname" . }}
{{- else }}
{{- .svc.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{/* Kubernetes port name of a ports key: admin is "metrics", others keep their key. */}}
{{- define "jaring.portName" -}}
{{- if eq . "admin" }}metrics{{ else }}{{ . | trunc 15 }}{{ end }}
{{- end }}

{{/* Whether the config file holds secrets (kafka.secretProperties) and so is a Secret. */}}
{{- define "jaring.configIsSecret" -}}
{{- if and (has "kafka" .svc.uses) (not (empty .root.Values.kafka.secretProperties)) }}true{{ end }}
{{- end }}

{{/* The Secret holding the service's own token, when it needs one (it calls other services,
or auth.tokenSecret.existingSecret is set); empty otherwise. */}}
{{- define "jaring.tokenSecret" -}}
{{- $token := (.svc.auth | default dict).tokenSecret | default dict }}
{{- if or .svc.calls $token.existingSecret }}
{{- $token.existingSecret | default (printf "%s-token" (include "jaring.serviceFullname" .)) }}
{{- end }}
{{- end }}

{{/* The projected volume with the JWKS (jwks.json) and, for a caller, its token (token). */}}
{{- define "jaring.authVolume" -}}
{{- $jwks := .root.Values.auth.jwks }}
{{- $token := (.svc.auth | default dict).tokenSecret | default dict }}
projected:
  defaultMode: 288  # 0440: owner and group (fsGroup 10001) read
  sources:
    {{- if $jwks.existingSecret }}
    - secret:
        name: {{ $jwks.existingSecret }}
        items:
          - {key: {{ $jwks.key | quote }}, path: jwks.json}
    {{- else }}
    - configMap:
        name: {{ $jwks.existingConfigMap | default (printf "%s-jwks" (include "jaring.fullname" .root)) }}
        items:
          - {key: {{ $jwks.key | quote }}, path: jwks.json}
    {{- end }}
    {{- with include "jaring.tokenSecret" . }}
    - secret:
        name: {{ . }}
        items:
          - {key: {{ $token.key | default "token" | quote }}, path: token}
    {{- end }}
{{- end }}

{{/* The Secret with the service's gRPC certificate (tls.crt, tls.key, ca.crt), when tls.enabled;
empty otherwise. */}}
{{- define "jaring.tlsSecret" -}}
{{- if .root.Values.tls.enabled }}
{{- ((.svc.tls | default dict).existingSecret) | default (printf "%s-tls" (include "jaring.serviceFullname" .)) }}
{{- end }}
{{- end }}

{{/* Whether the chart's cert-manager Certificate writes the service's TLS Secret. */}}
{{- define "jaring.certificate" -}}
{{- if and .root.Values.tls.enabled .root.Values.tls.certManager.enabled (not (.svc.tls | default dict).existingSecret) }}true{{ end }}
{{- end }}

{{/* Whether the port with this key (.key) serves HTTPS with the service's certificate. */}}
{{- define "jaring.https" -}}
{{- if and .root.Values.tls.enabled (has .key (.root.Values.tls.httpsPorts | default list)) }}true{{ end }}
{{- end }}

{{/* The Secret with Redis's password, for a service that uses redis while redis.auth.enabled;
empty otherwise. */}}
{{- define "jaring.redisSecret" -}}
{{- $auth := .root.Values.redis.auth | default dict }}
{{- if and (has "redis" .svc.uses) $auth.enabled }}
{{- $auth.existingSecret | default (printf "%s-redis" (include "jaring.fullname" .root)) }}
{{- end }}
{{- end }}

{{/* The init container that writes the config file with the Kafka SASL password from
kafka.sasl.existingSecret (mounted at /etc/jaring/kafka-sasl in it alone) into the in-memory
config volume: the password's first line, as a YAML double-quoted string, in place of the token
the chart put in the ConfigMap. Needs only sh and awk (the service's image has both). */}}
{{- define "jaring.kafkaSaslScript" -}}
umask 077
awk 'BEGIN {
  getline pw < "/etc/jaring/kafka-sasl/password"
  out = ""
  for (i = 1; i <= length(pw); i++) {
    c = substr(pw, i, 1)
    if (c == "\\" || c == "\"") out = out "\\"
    out = out c
  }
  token = "JARING_KAFKA_SASL_PASSWORD_FROM_SECRET"
}
{
  at = index($0, token)
  if (at) $0 = substr($0, 1, at - 1) "\"" out "\"" substr($0, at + length(token))
  print
}' /etc/jaring/config-template/config.yaml > /etc/jaring/config/config.yaml
{{- end }}

{{/* The Secret with the personal data keys, for a service that uses dataKeys; empty otherwise. */}}
{{- define "jaring.dataKeysSecret" -}}
{{- if has "dataKeys" .svc.uses }}
{{- .root.Values.dataKeys.existingSecret | default (printf "%s-data-keys" (include "jaring.fullname" .root)) }}
{{- end }}
{{- end }}

{{- define "jaring.configName" -}}
{{- printf "%s-config" (include "jaring.serviceFullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The service's config file: listen addresses from its ports (0.0.0.0, so that probes, Services
and Prometheus reach them; <key>.tls.* for the ports in tls.httpsPorts), the token checks
(auth.*: the mounted JWKS, the issuer, and for a caller its mounted token), gRPC TLS (tls.*: the
mounted certificate, client certificates required, and for a caller the CA it checks the callees
against), the external dependencies it uses (with Redis's mounted password and the mounted
personal data keys), <callee>.address for each service it calls (the callee's Service in this
release), its store path, then its own `config:` merged over all of that.
*/}}
{{- define "jaring.config" -}}
{{- $root := .root }}
{{- $svc := .svc }}
{{- $cfg := dict "log" (dict "level" $root.Values.logLevel) }}
{{- $mount := trimSuffix "/" $root.Values.auth.mountPath }}
{{- $auth := dict "jwks_file" (printf "%s/jwks.json" $mount) "issuer" $root.Values.auth.issuer "audience" (required "auth.audience is required (jaring)" $root.Values.auth.audience) "leeway_seconds" (int $root.Values.auth.leewaySeconds) }}
{{- if include "jaring.tokenSecret" . }}
{{- $_ := set $auth "token_file" (printf "%s/token" $mount) }}
{{- end }}
{{- $_ := set $cfg "auth" $auth }}
{{- $tlsMount := trimSuffix "/" (toString $root.Values.tls.mountPath) }}
{{- if $root.Values.tls.enabled }}
{{- $tls := dict "cert_file" (printf "%s/tls.crt" $tlsMount) "key_file" (printf "%s/tls.key" $tlsMount) "client_ca_file" (printf "%s/ca.crt" $tlsMount) "refresh_seconds" (int $root.Values.tls.refreshSeconds) }}
{{- if $svc.calls }}
{{- $_ := set $tls "ca_file" (printf "%s/ca.crt" $tlsMount) }}
{{- end }}
{{- $_ := set $cfg "tls" $tls }}
{{- end }}
{{- range $key, $port := $svc.ports }}
{{- $listen := dict "listen" (printf "0.0.0.0:%d" (int $port)) }}
{{- if include "jaring.https" (dict "root" $root "key" $key) }}
{{- $_ := set $listen "tls" (dict "cert_file" (printf "%s/tls.crt" $tlsMount) "key_file" (printf "%s/tls.key" $tlsMount)) }}
{{- end }}
{{- $_ := set $cfg $key $listen }}
{{- end }}
{{- if has "kafka" $svc.uses }}
{{- $kafka := dict "bootstrap_servers" (required "kafka.bootstrapServers is required" $root.Values.kafka.bootstrapServers) }}
{{- $properties := mergeOverwrite (deepCopy ($root.Values.kafka.properties | default dict)) (deepCopy ($root.Values.kafka.secretProperties | default dict)) }}
{{- if $properties }}
{{- $_ := set $kafka "properties" $properties }}
{{- end }}
{{- if $root.Values.kafka.sasl.existingSecret }}
{{- /* The init container of the pod replaces it with the password from the Secret. */}}
{{- $properties := mergeOverwrite ($kafka.properties | default dict) (dict "sasl.password" "JARING_KAFKA_SASL_PASSWORD_FROM_SECRET") }}
{{- $_ := set $kafka "properties" $properties }}
{{- end }}
{{- $_ := set $cfg "kafka" $kafka }}
{{- end }}
{{- if has "redis" $svc.uses }}
{{- $redis := dict "address" (required "redis.address is required" $root.Values.redis.address) }}
{{- if include "jaring.redisSecret" . }}
{{- $_ := set $redis "password_file" (printf "%s/password" (trimSuffix "/" (toString $root.Values.redis.auth.mountPath))) }}
{{- end }}
{{- $_ := set $cfg "redis" $redis }}
{{- end }}
{{- if include "jaring.dataKeysSecret" . }}
{{- $_ := set $cfg "crypto" (dict "key_file" (printf "%s/keys.yaml" (trimSuffix "/" (toString $root.Values.dataKeys.mountPath)))) }}
{{- end }}
{{- if $svc.calls }}
{{- $services := include "jaring.services" $root | fromYaml }}
{{- range $svc.calls }}
{{- $callee := dict "root" $root "name" . "svc" (get $services .) }}
{{- $_ := set $cfg . (dict "address" (printf "%s:%d" (include "jaring.serviceFullname" $callee) (int $callee.svc.ports.grpc))) }}
{{- end }}
{{- end }}
{{- if $svc.persistence.enabled }}
{{- $_ := set $cfg "store" (dict "path" (printf "%s/%s.db" (trimSuffix "/" $svc.persistence.mountPath) .name)) }}
{{- end }}
{{- if hasKey ($svc.config | default dict) "clock" }}
{{- fail (printf "services.%s.config.clock: the test clock (clock.test_file, clock.allow_test) is for local stacks and tests, never a deployment" .name) }}
{{- end }}
{{- toYaml (mergeOverwrite $cfg (deepCopy ($svc.config | default dict))) }}
{{- end }}

{{/* A topic's extra settings as kafka-topics.sh arguments: " --config k=v" for each, sorted. */}}
{{- define "jaring.topicConfigArgs" -}}
{{- range $key, $value := .config }} --config {{ $key }}={{ $value }}{{- end }}
{{- end }}
