// The deploy checks (ctest label `deploy`): the chart and the Kustomize overlays rendered with a
// real helm and kubectl, and every rendered object validated against the Kubernetes schemas with
// unknown fields refused.
//
//   node deploy_test.mjs --tools DIR --source DIR lint
//   node deploy_test.mjs --tools DIR --source DIR template VALUES_FILE   (relative to the chart)
//   node deploy_test.mjs --tools DIR --source DIR refuses
//   node deploy_test.mjs --tools DIR --source DIR kustomize OVERLAY
//
// DIR (tools) is where `make deploy-deps` put the npm packages (node_modules) and helm and kubectl
// (bin/). Exits 77 (skipped) when they are not there, 1 on any failure.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  if (at < 0 || at + 1 >= args.length) throw new Error(`${name} is required`);
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const tools = resolve(option("--tools"));
const source = resolve(option("--source"));
const [mode, target] = args;
const modules = join(tools, "node_modules");
const helm = join(tools, "bin", "helm");
const kubectl = join(tools, "bin", "kubectl");
const chart = join(source, "charts", "jaring");

if (![helm, kubectl, join(modules, "kubernetes-models")].every(existsSync)) {
  console.log(`skipped: helm, kubectl and kubernetes-models are not in ${tools} (make deploy-deps installs them)`);
  process.exit(77);
}

const YAML = createRequire(join(modules, "noop.js"))("yaml");
const failures = [];
const fail = (message) => failures.push(message);

const run = (program, argv) => execFileSync(program, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const runFailing = (program, argv) => {
  try {
    run(program, argv);
    return null;
  } catch (e) {
    return String(e.stderr || e.message);
  }
};

// Where each apiVersion's models live.
const modelPackages = {
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
function modelPath(apiVersion) {
  if (modelPackages[apiVersion]) return modelPackages[apiVersion];
  return apiVersion.includes("/") ? `kubernetes-models/${apiVersion}` : `kubernetes-models/${apiVersion}`;
}

// Strimzi publishes no npm models: the KafkaTopic's few fields are checked here, from its CRD
// (kafka.strimzi.io/v1beta2: spec.partitions, replicas, config, topicName).
function checkKafkaTopic(object, where) {
  const spec = object.spec || {};
  for (const key of Object.keys(spec)) {
    if (!["partitions", "replicas", "config", "topicName"].includes(key)) fail(`${where}: unknown field spec.${key}`);
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) fail(`${where}: spec.partitions is not a positive integer`);
  if (spec.replicas !== undefined && !Number.isInteger(spec.replicas)) fail(`${where}: spec.replicas is not an integer`);
  if (!object.metadata?.labels?.["strimzi.io/cluster"]) fail(`${where}: no strimzi.io/cluster label`);
}

// The compiled schema validators read every property their schema knows (`data.x !== undefined`)
// and the keys of maps, so a field of an object none of them read is one the schema does not
// know. An object none of whose keys were read has a free-form schema and is left alone.
function tracked(value, reads) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") {
        if (!reads.has(target)) reads.set(target, new Set());
        reads.get(target).add(key);
      }
      return tracked(Reflect.get(target, key, receiver), reads);
    },
    ownKeys(target) {
      if (!reads.has(target)) reads.set(target, new Set());
      for (const key of Reflect.ownKeys(target)) if (typeof key === "string") reads.get(target).add(key);
      return Reflect.ownKeys(target);
    },
  });
}
function unknownFields(value, reads, path, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, reads, `${path}[${i}]`, out));
    return;
  }
  const read = reads.get(value);
  if (!read) return;
  for (const [key, child] of Object.entries(value)) {
    if (!read.has(key)) out.push(`${path}.${key}`);
    else unknownFields(child, reads, `${path}.${key}`, out);
  }
}
const topLevel = new Set(["apiVersion", "kind", "metadata", "spec", "data", "stringData", "binaryData", "type",
  "immutable", "automountServiceAccountToken", "imagePullSecrets", "secrets", "rules", "roleRef", "subjects"]);

async function validate(objects, origin) {
  for (const object of objects) {
    const where = `${origin}: ${object.kind} ${object.metadata?.name}`;
    for (const key of Object.keys(object)) if (!topLevel.has(key)) fail(`${where}: unknown field ${key}`);
    if (object.kind === "KafkaTopic" && object.apiVersion === "kafka.strimzi.io/v1beta2") {
      checkKafkaTopic(object, where);
      continue;
    }
    let Model;
    try {
      const loaded = await import(pathToFileURL(join(modules, `${modelPath(object.apiVersion)}/${object.kind}.js`)).href);
      Model = loaded[object.kind];
    } catch {
      fail(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    const reads = new Map();
    try {
      Model.prototype.validate.call(tracked(object, reads));
    } catch (e) {
      fail(`${where}: ${e.message}`);
      continue;
    }
    const unknown = [];
    unknownFields(object, reads, "", unknown);
    for (const field of unknown) fail(`${where}: unknown field ${field.slice(1)}`);
  }
}

function parse(text) {
  return YAML.parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o);
}

// What every full rendering must hold: the four stores as StatefulSets of one replica with claim
// templates, a headless Service and a PodDisruptionBudget each; coverage a Deployment; the
// default-deny NetworkPolicy and one policy per service; no double scraping.
function checkShape(objects, origin, { networkPolicies = true } = {}) {
  const of = (kind) => objects.filter((o) => o.kind === kind);
  const statefulSets = of("StatefulSet");
  const stores = ["registration", "contribution", "claims", "csr-donor"];
  for (const store of stores) {
    const set = statefulSets.find((s) => s.metadata.name.endsWith(`-${store}`));
    if (!set) {
      fail(`${origin}: no StatefulSet for ${store}`);
      continue;
    }
    if (set.spec.replicas !== 1) fail(`${origin}: StatefulSet ${set.metadata.name} has ${set.spec.replicas} replicas`);
    if (!set.spec.volumeClaimTemplates?.length) fail(`${origin}: StatefulSet ${set.metadata.name} has no volumeClaimTemplates`);
    const headless = of("Service").find((s) => s.metadata.name === set.spec.serviceName);
    if (headless?.spec.clusterIP !== "None") fail(`${origin}: StatefulSet ${set.metadata.name} has no headless Service`);
    const grace = set.spec.template.spec.terminationGracePeriodSeconds;
    if (!(grace > 10)) fail(`${origin}: StatefulSet ${set.metadata.name} terminationGracePeriodSeconds ${grace} <= 10`);
    const labels = set.spec.selector.matchLabels;
    const matches = (selector) => Object.entries(selector || {}).every(([k, v]) => labels[k] === v);
    if (!of("PodDisruptionBudget").some((p) => matches(p.spec.selector.matchLabels)))
      fail(`${origin}: no PodDisruptionBudget for ${set.metadata.name}`);
  }
  if (!of("Deployment").some((d) => d.metadata.name.endsWith("-coverage"))) fail(`${origin}: coverage is not a Deployment`);
  for (const claim of of("PersistentVolumeClaim").filter((c) => c.metadata.name.endsWith("-data")))
    fail(`${origin}: a standalone store claim ${claim.metadata.name} (the StatefulSets have claim templates)`);
  if (networkPolicies) {
    const policies = of("NetworkPolicy");
    // Everything, or everything of the release (chart: app.kubernetes.io/instance; Kustomize:
    // app.kubernetes.io/part-of).
    const deny = policies.find((p) => !p.spec.ingress && !p.spec.egress &&
      Object.keys(p.spec.podSelector?.matchLabels || {}).every((k) =>
        ["app.kubernetes.io/instance", "app.kubernetes.io/part-of"].includes(k)) &&
      !p.spec.podSelector?.matchExpressions);
    if (!deny || !["Ingress", "Egress"].every((t) => deny.spec.policyTypes?.includes(t)))
      fail(`${origin}: no default-deny NetworkPolicy`);
    for (const workload of [...statefulSets, ...of("Deployment")]) {
      const labels = workload.spec.template.metadata.labels;
      const selected = policies.filter(
        (p) => p !== deny && Object.entries(p.spec.podSelector?.matchLabels || {}).every(([k, v]) => labels[k] === v) &&
          Object.keys(p.spec.podSelector?.matchLabels || {}).length);
      if (!selected.length) fail(`${origin}: no NetworkPolicy selects ${workload.metadata.name}`);
    }
  }
  // A ServiceMonitor that also selected a headless Service would scrape those pods twice.
  for (const monitor of of("ServiceMonitor")) {
    const want = monitor.spec.selector.matchLabels || {};
    const absent = (monitor.spec.selector.matchExpressions || []).filter((e) => e.operator === "DoesNotExist").map((e) => e.key);
    for (const service of of("Service").filter((s) => s.spec.clusterIP === "None")) {
      const labels = service.metadata.labels || {};
      if (Object.entries(want).every(([k, v]) => labels[k] === v) && !absent.some((k) => k in labels))
        fail(`${origin}: ServiceMonitor ${monitor.metadata.name} selects the headless Service ${service.metadata.name}`);
    }
  }
  if (of("ServiceMonitor").length) {
    for (const workload of [...statefulSets, ...of("Deployment")]) {
      if (workload.spec.template.metadata.annotations?.["prometheus.io/scrape"])
        fail(`${origin}: ${workload.metadata.name} has scrape annotations beside a ServiceMonitor`);
    }
  }
}

// The init container that puts the Kafka SASL password from its Secret into the config file
// (kafka.sasl.existingSecret), run here with sh and awk on the rendered ConfigMap and a password
// with quotes and backslashes: the file must parse and hold exactly that password.
function checkSaslConfig(objects, origin) {
  const password = 'p@ss"w\\rd\'&|$x';
  for (const set of objects.filter((o) => o.kind === "StatefulSet" || o.kind === "Deployment")) {
    const init = (set.spec.template.spec.initContainers || []).find((c) => c.name === "config");
    if (!init) continue;
    const source = set.spec.template.spec.volumes.find((v) => v.name === "config-template");
    const name = source.configMap?.name || source.secret?.secretName;
    const holder = objects.find((o) => (o.kind === "ConfigMap" || o.kind === "Secret") && o.metadata.name === name);
    const dir = mkdtempSync(join(tmpdir(), "jaring-sasl-"));
    try {
      for (const sub of ["config-template", "config", "kafka-sasl"]) mkdirSync(join(dir, sub));
      writeFileSync(join(dir, "config-template", "config.yaml"), (holder.data || holder.stringData)["config.yaml"]);
      writeFileSync(join(dir, "kafka-sasl", "password"), `${password}\n`);
      execFileSync("sh", ["-c", init.command[2].replaceAll("/etc/jaring/", `${dir}/`)]);
      const config = YAML.parse(readFileSync(join(dir, "config", "config.yaml"), "utf8"));
      if (config.kafka?.properties?.["sasl.password"] !== password)
        fail(`${origin}: ${set.metadata.name}: the config init container wrote sasl.password ${config.kafka?.properties?.["sasl.password"]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// The script each backup CronJob runs in its service's container (kubectl exec ... sh -c), run
// here twice on a scratch directory with a stand-in jaring-<service> that writes what --to names:
// each run leaves a complete <service>-<time>.db (no .partial), a backup older than the retention
// is deleted and a recent one kept (volume), or only the newest and latest.db remain (s3).
function checkBackupScripts(objects, origin) {
  for (const job of objects.filter((o) => o.kind === "CronJob")) {
    const spec = job.spec.jobTemplate.spec.template.spec;
    const exec = [...(spec.initContainers || []), ...spec.containers].find((c) => c.command?.[1] === "exec");
    const at = exec.command.indexOf("--container");
    const service = exec.command[at + 1];
    const script = exec.command[exec.command.length - 1];
    const mount = /cd (\S+);/.exec(script)[1];
    const s3 = script.includes("latest.db");
    const dir = mkdtempSync(join(tmpdir(), "jaring-backup-"));
    try {
      const bin = join(dir, "bin");
      const store = join(dir, "backup");
      mkdirSync(bin);
      mkdirSync(store);
      const fake = join(bin, `jaring-${service}`);
      writeFileSync(fake, '#!/bin/sh\n[ "$1" = backup ] && [ "$4" = --to ] || exit 2\necho store > "$5"\n');
      chmodSync(fake, 0o755);
      const old = join(store, `${service}-20200101T000000Z.db`);
      const recent = join(store, `${service}-20200102T000000Z.db`);
      writeFileSync(old, "old");
      writeFileSync(recent, "recent");
      const year = new Date(Date.now() - 365 * 86400e3);
      utimesSync(old, year, year);
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
      execFileSync("sh", ["-c", script.replaceAll(mount, store)], { env });
      execFileSync("sleep", ["1"]);
      execFileSync("sh", ["-c", script.replaceAll(mount, store)], { env });
      const files = readdirSync(store).sort();
      const made = files.filter((f) => /^.+-\d{8}T\d{6}Z\.db$/.test(f) && f !== `${service}-20200102T000000Z.db` && f !== `${service}-20200101T000000Z.db`);
      const problems = [];
      if (files.some((f) => f.endsWith(".partial"))) problems.push("a .partial file is left");
      if (s3) {
        if (made.length !== 1 || !files.includes("latest.db") || files.length !== 2) problems.push("s3: not only the newest and latest.db");
      } else {
        if (made.length !== 2) problems.push(`${made.length} new backups, not 2`);
        if (files.includes(`${service}-20200101T000000Z.db`)) problems.push("the backup older than the retention is kept");
        if (!files.includes(`${service}-20200102T000000Z.db`)) problems.push("a backup within the retention is deleted");
      }
      if (problems.length) fail(`${origin}: ${job.metadata.name}: ${problems.join("; ")} (${files.join(" ")})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// Every file a service's config file names (auth.jwks_file, tls.*_file, redis.password_file,
// crypto.key_file, ...) must be under one of its container's mounts, and its store (store.path)
// under a writable one: a path with nothing behind it stops the service at start.
function checkConfigFiles(objects, origin) {
  for (const workload of objects.filter((o) => o.kind === "StatefulSet" || o.kind === "Deployment")) {
    const pod = workload.spec.template.spec;
    const container = pod.containers[0];
    const source = pod.volumes.find((v) => v.name === "config-template") || pod.volumes.find((v) => v.name === "config");
    const name = source.configMap?.name || source.secret?.secretName;
    const holder = objects.find((o) => (o.kind === "ConfigMap" || o.kind === "Secret") && o.metadata.name === name);
    if (!holder) {
      fail(`${origin}: ${workload.metadata.name}: no ConfigMap or Secret ${name}`);
      continue;
    }
    const config = YAML.parse((holder.data || holder.stringData)["config.yaml"]);
    const under = (path, writable) => (container.volumeMounts || []).some(
      (m) => path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`) && (!writable || !m.readOnly));
    const walk = (node, prefix) => {
      for (const [key, value] of Object.entries(node || {})) {
        if (value && typeof value === "object") walk(value, `${prefix}${key}.`);
        else if (key.endsWith("_file") && typeof value === "string" && !under(value, false))
          fail(`${origin}: ${workload.metadata.name}: ${prefix}${key} ${value} is on no volume`);
      }
    };
    walk(config, "");
    if (config.store?.path && !under(config.store.path, true))
      fail(`${origin}: ${workload.metadata.name}: store.path ${config.store.path} is on no writable volume`);
  }
}

const release = ["template", "jaring", chart, "--namespace", "jaring"];
switch (mode) {
  case "lint": {
    for (const values of ["ci/default-values.yaml", "ci/production-values.yaml", "ci/development-values.yaml"]) {
      const error = runFailing(helm, ["lint", "--strict", chart, "-f", join(chart, values)]);
      if (error) fail(`helm lint --strict -f ${values}: ${error}`);
    }
    break;
  }
  case "template": {
    const text = run(helm, [...release, "-f", resolve(chart, target)]);
    const objects = parse(text);
    await validate(objects, target);
    checkShape(objects, target);
    checkSaslConfig(objects, target);
    checkBackupScripts(objects, target);
    checkConfigFiles(objects, target);
    console.log(`${target}: ${objects.length} objects`);
    break;
  }
  case "refuses": {
    // Each must stop `helm template`: the values schema refuses unknown keys and wrong types.
    const cases = [
      ["services.registration.replica=3", "--set"],
      ["services.coverage.replicas=abc", "--set"],
      ["services.registration.persistence.acessModes={ReadWriteOnce}", "--set"],
      ["kafka.bootstrapServer=x:9092", "--set"],
      ["metrics.podAnnotations=maybe", "--set-string"],
      ["backup.schedule=", "--set"],
      ["networkPolicy.enabled=1", "--set"],
      ["services.claims.persistence.accessModes={ReadWriteMany}", "--set"],
    ];
    for (const [value, flag] of cases) {
      const error = runFailing(helm, [...release, "-f", join(chart, "ci/default-values.yaml"), flag, value]);
      if (error === null) fail(`helm template ${flag} ${value}: rendered, but must be refused`);
      else console.log(`refused as it must be: ${value}: ${error.trim().split("\n").slice(-1)[0].slice(0, 200)}`);
    }
    break;
  }
  case "kustomize": {
    const text = run(kubectl, ["kustomize", join(source, "deploy", "kustomize", "overlays", target)]);
    const objects = parse(text);
    await validate(objects, `overlay ${target}`);
    checkShape(objects, `overlay ${target}`);
    checkConfigFiles(objects, `overlay ${target}`);
    console.log(`overlay ${target}: ${objects.length} objects`);
    break;
  }
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}

for (const f of failures) console.error(`FAILED ${f}`);
process.exit(failures.length ? 1 : 0);
