// The layering of src/ (docs/architecture.md, "Layers"), enforced with dependency-cruiser and the
// rules in .dependency-cruiser.cjs: a violation fails here with the rule's name and the import.
// Also: no cycle between the folders of src/ (a folder is one room of the house), type-only
// imports included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rules: IConfiguration = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs'));
const test = suite('layers of src/');

/** Cruises `dirs` under `baseDir` with the project's rules; the output as dependency-cruiser gives it. */
async function cruiseWithRules(dirs: string[], baseDir: string): Promise<ICruiseResult> {
  const result = await cruise(dirs, { ...rules.options, ruleSet: { forbidden: rules.forbidden }, baseDir, validate: true, tsConfig: undefined });
  return result.output as ICruiseResult;
}

const describe = (result: ICruiseResult) => result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);

let cruised: ICruiseResult;

test.before(async () => {
  cruised = await cruiseWithRules(['src'], root);
});

test('every import in src/ keeps the rules (domain pure, db over domain only, thin routes, no file cycles)', () => {
  // nothing was missed: the cruise saw the whole tree
  assert.ok(cruised.modules.filter((module) => module.source.startsWith('src/')).length > 100);
  // and broke no rule
  assert.equal(describe(cruised), []);
});

/**
 * The folders of src/ that import each other, directly or around a loop (each listed with the folders
 * of its cycle it imports). Type-only imports count: a folder that needs another's types for its own
 * shape sits above it as much as one that calls it.
 */
function folderCycles(result: ICruiseResult): string[][] {
  const folderOf = (source: string) => (source.startsWith('src/') ? source.split('/').slice(0, source.split('/').length > 2 ? 2 : 1).join('/') : undefined);
  const edges = new Map<string, Set<string>>();
  for (const module of result.modules) {
    const from = folderOf(module.source);
    if (!from || from === 'src') continue;
    for (const dependency of module.dependencies) {
      const to = folderOf(dependency.resolved);
      if (!to || to === 'src' || to === from) continue;
      edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  // Tarjan's strongly connected components: a component of two or more folders is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const tangled: string[][] = [];
  const connect = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) tangled.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) connect(node);
  const importsOf = (folder: string, others: string[]) => `${folder} → ${[...(edges.get(folder) ?? [])].filter((to) => others.includes(to)).join(', ')}`;
  return tangled.map((component) => component.map((folder) => importsOf(folder, component)));
}

test('no two folders of src/ import each other, directly or around a loop (type-only imports included)', () => {
  assert.equal(folderCycles(cruised), []);
});

/** Cruises a scratch tree of these files (path → text) with the project's rules, then removes it. */
async function cruiseScratch(files: Record<string, string>): Promise<ICruiseResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-layers-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
      fs.writeFileSync(path.join(scratch, file), text);
    }
    return await cruiseWithRules(['src'], scratch);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

test('a wrong import in a scratch tree is reported with the rule it breaks', async () => {
  const result = await cruiseScratch({
    'src/db/rows.ts': "import { rule } from '../domain/rule.ts';\nexport const rows = () => rule;\n",
    'src/domain/rule.ts': "import { rows } from '../db/rows.ts';\nexport const rule = () => rows;\n",
    'src/bots/bot-routes.ts': "import { rows } from '../db/rows.ts';\nexport const route = rows;\n",
  });
  const broken = describe(result).join('\n');
  // the domain importing db, a route querying db and the loop they make are each named
  assert.match(broken, 'domain-is-pure: src/domain/rule.ts → src/db/rows.ts');
  assert.match(broken, 'routes-do-not-query: src/bots/bot-routes.ts → src/db/rows.ts');
  assert.match(broken, 'no-cycles:');
  // and the two folders that import each other are named
  assert.equal(folderCycles(result), [['src/db → src/domain', 'src/domain → src/db']]);
});

test('a loop made only of type imports is still a file cycle and a folder cycle', async () => {
  const result = await cruiseScratch({
    'src/alerts/sweep.ts': "import type { Routed } from '../channels/routing.ts';\nexport interface Item { routed?: Routed }\n",
    'src/channels/routing.ts': "import type { Item } from '../alerts/sweep.ts';\nexport interface Routed { item?: Item }\n",
  });
  assert.match(describe(result).join('\n'), 'no-cycles: src/alerts/sweep.ts → src/channels/routing.ts');
  assert.equal(folderCycles(result), [['src/alerts → src/channels', 'src/channels → src/alerts']]);
});

test.run();
