import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EVENT_PROXY_CONFIG_VAR,
  EVENT_PROXY_ENV,
  eventProxySettingsFromEnv,
  GatewaySchema,
  validateGatewayConfig,
} from '@switchyard/config';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// deploy/kubernetes/ checked without a cluster: every object against the Kubernetes API's JSON schemas
// (kubernetes-models), then what a schema cannot see: references between objects, probes on real ports
// and paths, environment variables the code reads, and the gateway file in the ConfigMap as the gateway
// would load it.

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are read as plain YAML and checked below.
  spec?: any;
  data?: Record<string, string>;
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
};

function load(): { files: string[]; objects: K8sObject[] } {
  const kustomization = parseAllDocuments(
    readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
  )[0]?.toJS() as {
    resources: string[];
  };
  const objects: K8sObject[] = [];
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      objects.push(doc.toJS() as K8sObject);
    }
  }
  return { files: kustomization.resources, objects };
}

const { files, objects } = load();
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const deployments = byKind('Deployment');
const gateway = deployments.find((d) => d.metadata.name === 'switchyard-gateway') as K8sObject;
const podSpec = gateway?.spec.template.spec;
// biome-ignore lint/suspicious/noExplicitAny: see K8sObject.
const container = (name: string): any => podSpec.containers.find((c: { name: string }) => c.name === name);
const configMap = (name: string) => byKind('ConfigMap').find((c) => c.metadata.name === name);

describe('deploy/kubernetes manifests', () => {
  it('lists only files that exist, each object valid against the Kubernetes schemas', () => {
    for (const f of files) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(objects.length).toBeGreaterThanOrEqual(5);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion} ${o.kind}`];
      expect(Model, `${o.kind} ${o.metadata.name}: no schema for ${o.apiVersion}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(o as never).validate()).not.toThrow();
    }
  });

  it('catches a broken object (the schema check can fail)', () => {
    const broken = structuredClone(gateway);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it('selectors match their pods; every Service reaches a named port of the pods it selects', () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels as Record<string, string>;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels as Record<string, string>))
        expect(labels[k], `${d.metadata.name} selector ${k}`).toBe(v);
    }
    for (const s of byKind('Service')) {
      const selected = deployments.filter((d) =>
        Object.entries(s.spec.selector as Record<string, string>).every(
          ([k, v]) => d.spec.template.metadata.labels[k] === v,
        ),
      );
      expect(selected, `Service ${s.metadata.name} selects no Deployment`).toHaveLength(1);
      const ports = (selected[0] as K8sObject).spec.template.spec.containers.flatMap(
        (c: { ports?: { name: string; containerPort: number }[] }) => c.ports ?? [],
      );
      for (const p of s.spec.ports)
        expect(
          ports.some(
            (cp: { name: string; containerPort: number }) =>
              cp.name === p.targetPort || cp.containerPort === p.targetPort,
          ),
          `Service ${s.metadata.name} targetPort ${p.targetPort}`,
        ).toBe(true);
    }
  });

  it('mounts only volumes the pod declares, and ConfigMaps that exist', () => {
    for (const d of deployments) {
      const spec = d.spec.template.spec;
      const volumes = new Map<string, { configMap?: { name: string } }>(
        (spec.volumes ?? []).map((v: { name: string }) => [v.name, v]),
      );
      for (const c of spec.containers)
        for (const m of c.volumeMounts ?? [])
          expect(volumes.has(m.name), `${c.name} mounts ${m.name}`).toBe(true);
      for (const [name, v] of volumes)
        if (v.configMap) expect(configMap(v.configMap.name), `volume ${name}`).toBeDefined();
    }
  });

  it('the gateway runs the ConfigMap file from its mounted directory (no subPath, so edits reload it)', () => {
    const gw = container('gateway');
    const file = gw.args[gw.args.indexOf('-c') + 1] as string;
    const mount = gw.volumeMounts.find((m: { mountPath: string }) => posix.dirname(file) === m.mountPath);
    expect(mount, `no mount holds ${file}`).toBeDefined();
    expect(mount.subPath).toBeUndefined();
    const volume = podSpec.volumes.find((v: { name: string }) => v.name === mount.name);
    const data = configMap(volume.configMap.name)?.data ?? {};
    expect(Object.keys(data)).toContain(posix.basename(file));
    expect(gw.env.find((e: { name: string }) => e.name === 'SWITCHYARD_CONFIG')?.value).toBe(file);
  });

  const gatewayFile = () => {
    const text = configMap('switchyard-gateway-config')?.data?.['krakend.json'] as string;
    return validateGatewayConfig(JSON.parse(text), { source: text, file: 'configmap.yaml krakend.json' });
  };

  it('the ConfigMap holds a gateway file the gateway loads without an error or a warning', () => {
    expect(gatewayFile().warnings ?? []).toEqual([]);
  });

  it("probes hit the gateway's real port and health path; the proxy is probed from inside its container", () => {
    const gw = container('gateway');
    const { config } = gatewayFile();
    const http = gw.ports.find((p: { name: string }) => p.name === 'http');
    expect(http.containerPort).toBe(config.port);
    for (const probe of [gw.readinessProbe, gw.livenessProbe]) {
      expect(probe.httpGet.path).toBe('/__health');
      expect(probe.httpGet.port).toBe('http');
    }
    // The proxy's listener binds loopback, which kubelet's httpGet cannot reach: the image's check runs inside.
    const proxy = container('event-proxy');
    expect(proxy.readinessProbe.exec.command).toEqual(['node', '/app/healthcheck.mjs']);
    expect(
      existsSync(
        fileURLToPath(new URL('../../packages/event-proxy/docker/healthcheck.mjs', import.meta.url)),
      ),
    ).toBe(true);
  });

  it('the sidecar reads env variables the proxy knows, valid as a whole, pointed at the gateway admin listener', () => {
    const proxy = container('event-proxy');
    const env: Record<string, string> = Object.fromEntries(
      proxy.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    const known = new Set([...EVENT_PROXY_ENV.map((v) => v.name), EVENT_PROXY_CONFIG_VAR]);
    for (const name of Object.keys(env))
      expect(known.has(name), `${name} is not read by the event proxy`).toBe(true);
    const settings = eventProxySettingsFromEnv(env);
    expect(settings).toBeDefined();
    const admin = gatewayFile().config.extra_config?.admin as { listen: string };
    expect(new URL(env.GATEWAY_ADMIN_URL as string).host).toBe(admin.listen);
    // Spool and dead letters on the pod's persistent volume.
    const spool = proxy.volumeMounts.find((m: { name: string }) => m.name === 'spool');
    for (const path of [env.EVENT_SPOOL_DIR, env.EVENT_DEAD_LETTER_PATH])
      expect(path?.startsWith(`${spool.mountPath}/`), path).toBe(true);
    const volume = podSpec.volumes.find((v: { name: string }) => v.name === 'spool');
    expect(volume.ephemeral.volumeClaimTemplate.spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  it("the gateway's SWITCHYARD_* variables are ones it reads", () => {
    const overridable = Object.keys(GatewaySchema.properties as object).map(
      (k) => `SWITCHYARD_${k.toUpperCase()}`,
    );
    for (const e of container('gateway').env as { name: string }[])
      expect(['SWITCHYARD_CONFIG', ...overridable], e.name).toContain(e.name);
  });

  it('the Redis pool of the gateway file is a Service of the manifests', () => {
    const redis = gatewayFile().config.extra_config?.redis as { connection_pools: { address: string }[] };
    for (const pool of redis.connection_pools) {
      const [host, port] = pool.address.split(':');
      const service = byKind('Service').find((s) => s.metadata.name === host);
      expect(service, `no Service ${host}`).toBeDefined();
      expect(service?.spec.ports.map((p: { port: number }) => p.port)).toContain(Number(port));
    }
  });
});
