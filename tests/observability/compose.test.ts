import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { ROOT } from '../helpers/service-process.ts';

// No Docker engine runs here: the compose file is checked by reading it.
const test = suite('docker-compose stack');

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  environment?: Record<string, string> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: unknown;
}
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const readYaml = <T>(file: string) => parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;

const environment = (service: Service): Record<string, string> =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]))
    : Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** Every variable loadConfig reads, found by handing it an environment that records each read. */
function variablesTheServiceReads(): Set<string> {
  const seen = new Set<string>();
  loadConfig(new Proxy({} as Record<string, string | undefined>, { get: (_target, key) => (seen.add(String(key)), undefined) }));
  return seen;
}

test('brings PostgreSQL, the service, Prometheus, Grafana, Mailpit and Jaeger', () => {
  // the six services of the stack
  assert.equal(Object.keys(compose.services).sort(), ['agentdesk', 'grafana', 'jaeger', 'mailpit', 'postgres', 'prometheus']);
  // the service is built from this repository's Dockerfile and waits for a healthy database
  assert.is(compose.services.agentdesk!.build, '.');
  assert.equal((compose.services.agentdesk!.depends_on as Record<string, { condition: string }>).postgres, { condition: 'service_healthy' });
});

test('every file or directory it mounts exists in the repository', () => {
  let mounts = 0;
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0]!;
      if (!source.startsWith('.') && !source.startsWith('/')) {
        // a named volume is declared at the top level
        assert.ok(compose.volumes && source in compose.volumes, `${name}: undeclared volume ${source}`);
        continue;
      }
      mounts++;
      // a bind mount of a missing path would start the container with an empty directory
      assert.ok(fs.existsSync(path.join(ROOT, source)), `${name}: ${source} does not exist`);
    }
  }
  assert.ok(mounts >= 4);
});

test('every variable it sets for the service is one the service reads, or a standard OTEL_ one', () => {
  const reads = variablesTheServiceReads();
  const env = environment(compose.services.agentdesk!);
  for (const name of Object.keys(env)) {
    // a misspelt variable would be silently ignored
    assert.ok(reads.has(name) || /^OTEL_[A-Z_]+$/.test(name), `${name} is not read by src/config.ts`);
  }
  // and the values are valid: the configuration loads without error
  const config = loadConfig(env);
  assert.is(config.host, '0.0.0.0');
  assert.ok(config.databaseUrl?.includes('@postgres:5432/'));
  // traces go to the Jaeger service
  assert.is(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318');
});

test('Prometheus scrapes the service and loads the alert rules beside its config', () => {
  const prometheus = compose.services.prometheus!;
  const config = readYaml<{ rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] }>('prometheus.yml');
  const port = environment(compose.services.agentdesk!).PORT;
  // the scrape target is the compose service on its port
  assert.ok(config.scrape_configs.some((c) => c.static_configs.some((s) => s.targets.includes(`agentdesk:${port}`))));
  // each rule file is mounted from the repository at the same path relative to prometheus.yml
  for (const file of config.rule_files) {
    assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} does not exist`);
    assert.ok(prometheus.volumes!.some((v) => v === `./${file}:/etc/prometheus/${file}:ro`), `${file} is not mounted`);
  }
  // and prometheus.yml itself from the top level
  assert.ok(prometheus.volumes!.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
});

test('Grafana is provisioned with the Prometheus datasource and the generated dashboards', () => {
  const grafana = compose.services.grafana!;
  const mountOf = (source: string) => grafana.volumes!.find((v) => v.split(':')[0] === source)?.split(':')[1];
  const providers = readYaml<{ providers: { options: { path: string } }[] }>('grafana/provisioning/dashboards/agentdesk.yml');
  const datasources = readYaml<{ datasources: { url: string }[] }>('grafana/provisioning/datasources/prometheus.yml');
  // provisioning in Grafana's directory, dashboards where the provider looks for them
  assert.is(mountOf('./grafana/provisioning'), '/etc/grafana/provisioning');
  assert.is(mountOf('./grafana/dashboards'), providers.providers[0]!.options.path);
  // the datasource points at the compose Prometheus
  assert.is(datasources.datasources[0]!.url, 'http://prometheus:9090');
});

test('the service image is multi-stage, runs as a non-root user, has a healthcheck and loads telemetry first', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  // two or more stages
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2);
  // a USER line that is not root
  assert.match(dockerfile, /^USER (?!root\b)\w+/m);
  // a healthcheck on readiness
  assert.match(dockerfile, /^HEALTHCHECK .*\n?.*\/readyz/m);
  // the same start command as npm start, telemetry imported before the app
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  assert.is((JSON.parse(cmd!) as string[]).join(' '), start);
  // and .dockerignore keeps local data and dependencies out of the image
  const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
  assert.ok(ignored.includes('node_modules') && ignored.includes('data'));
  // but never what the service reads at run time (COPY . . takes everything else)
  for (const runtime of ['src', 'sql', 'views', 'public', 'wordpress-plugin', 'package.json']) {
    assert.not.ok(ignored.includes(runtime), `.dockerignore must not exclude ${runtime}`);
  }
});

test.run();
