/**
 * The house's rules, checked on the import graph of the app's TypeScript (every import, `export … from`,
 * `import()` and `import('…').T`, type-only ones included):
 * - no import circles, type-only ones included: a circle means two modules cannot be understood (or
 *   moved) one without the other, and a value circle makes load order decide what is undefined;
 * - keap/ is a Keap client and nothing else: it imports only itself, node built-ins and npm packages,
 *   never Temporal;
 * - deterministic workflow code (workflows/** and every domain's workflow/ folder) is bundled into
 *   Temporal's sandbox: its value imports come only from workflow code, common/, the workflow-safe
 *   domain files and @temporalio/workflow / @temporalio/common; type imports may come from anywhere;
 * - the doors to the workflows are `<domain>/client.ts` (OrderClient, CheckoutClient, AccountClient),
 *   and they know a workflow by its definitions module, never by its code.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import type { AccountWorkflow } from '../accounts/workflow/definitions';
import type { accountWorkflow } from '../accounts/workflow/account-workflow';
import type { CheckoutResyncWorkflow, CheckoutSyncWorkflow } from '../checkouts/workflow/definitions';
import type { checkoutResyncWorkflow } from '../checkouts/workflow/checkout-resync-workflow';
import type { checkoutSyncWorkflow } from '../checkouts/workflow/checkout-sync-workflow';
import type { OrderWorkflow } from '../orders/workflow/definitions';
import type { orderWorkflow } from '../orders/workflow/order-workflow';

/**
 * The doors (`<domain>/client.ts`) type their calls with the workflow signatures in the definitions
 * modules, never `typeof` the workflow itself: importing a workflow file would close a circle through
 * the activity proxies whenever an activity uses a door. tsc checks here that each signature is its
 * workflow's own (both ways, so neither can drift).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const workflowSignatures: [
  Same<typeof orderWorkflow, OrderWorkflow>,
  Same<typeof checkoutSyncWorkflow, CheckoutSyncWorkflow>,
  Same<typeof checkoutResyncWorkflow, CheckoutResyncWorkflow>,
  Same<typeof accountWorkflow, AccountWorkflow>,
] = [true, true, true, true];

const ROOT = path.resolve(__dirname, '..');
const APP_DIRS = [
  'api',
  'activities',
  'accounts',
  'checkouts',
  'common',
  'orders',
  'platform',
  'keap',
  'keap-sandbox',
  'workflows',
  'workers',
  'scripts',
];

/** Domain files that are deterministic and import no I/O, so workflow code may import their values. */
const WORKFLOW_SAFE_DOMAIN_FILES = ['orders/order.ts', 'orders/order-events.ts', 'checkouts/checkout.ts'];
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

interface Import {
  /** Repository-relative path of the importing file. */
  from: string;
  specifier: string;
  /** Repository-relative path of the imported file; undefined for a package or built-in. */
  to?: string;
  typeOnly: boolean;
  line: number;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`, `${base}.d.ts`]) {
    const abs = path.join(ROOT, candidate);
    try {
      if (statSync(abs).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // `import './x'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  if (!bindings || !ts.isNamedImports(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return (
    !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
  );
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  const add = (literal: ts.Expression, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const specifier = literal.text;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    const local = specifier.startsWith('.');
    found.push({ from: file, specifier, to: local ? resolveLocal(file, specifier) : undefined, typeOnly, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, isTypeOnlyExport(node));
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isCallExpression(node) && node.arguments[0]) {
      const dynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const requireCall = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (dynamicImport || requireCall) add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = APP_DIRS.flatMap(tsFiles).sort();
const imports = files.flatMap(importsOf);
const localImports = imports.filter((i) => i.to !== undefined);
const where = (i: Import) => `${i.from}:${i.line} imports${i.typeOnly ? ' type' : ''} '${i.specifier}'`;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Every import circle: the strongly connected components of the graph, each with its shortest circles. */
function circles(): string[] {
  const edges = new Map<string, Set<string>>(files.map((f) => [f, new Set<string>()]));
  for (const i of localImports) edges.get(i.from)?.add(i.to!);

  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) components.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) connect(f);

  // Within each component, the shortest circle through each file (breadth-first), each printed once.
  const report: string[] = [];
  for (const component of components) {
    const members = new Set(component);
    const seen = new Set<string>();
    const cycles: string[] = [];
    for (const start of component) {
      const previous = new Map<string, string>();
      const queue = [start];
      let closing: string | undefined;
      while (queue.length > 0 && closing === undefined) {
        const v = queue.shift()!;
        for (const w of edges.get(v) ?? []) {
          if (!members.has(w)) continue;
          if (w === start) {
            closing = v;
            break;
          }
          if (!previous.has(w)) {
            previous.set(w, v);
            queue.push(w);
          }
        }
      }
      if (closing === undefined) continue;
      const cycle = [closing];
      while (cycle[0] !== start) cycle.unshift(previous.get(cycle[0]!)!);
      const smallest = cycle.indexOf([...cycle].sort()[0]!);
      const key = [...cycle.slice(smallest), ...cycle.slice(0, smallest)].join(' → ');
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(`    ${key} → ${cycle[smallest]}`);
    }
    report.push(`  circle among ${component.length} files: ${component.join(', ')}\n${cycles.join('\n')}`);
  }
  return report;
}

const isWorkflowCode = (file: string) => file.startsWith('workflows/') || /^[^/]+\/workflow\//.test(file);
const workflowMayImport = (file: string) =>
  isWorkflowCode(file) || file.startsWith('common/') || WORKFLOW_SAFE_DOMAIN_FILES.includes(file);

describe('architecture (the import graph of the app)', () => {
  it('types the doors with the workflows’ own signatures (checked by tsc)', () => {
    assert.deepEqual(workflowSignatures, [true, true, true, true]);
  });

  it('covers every folder tsconfig.json compiles, but the tests and the benchmark', () => {
    const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file));
    const include = (config.config as { include: string[] }).include;
    assert.deepEqual(
      include.filter((dir) => !APP_DIRS.includes(dir) && !['test', 'bench'].includes(dir)),
      [],
      'app folders this test does not check: add them to APP_DIRS',
    );
  });

  it('finds the files and their imports', () => {
    assert.ok(files.length > 50, `only ${files.length} files found under ${APP_DIRS.join(', ')}`);
    const unresolved = imports.filter((i) => i.specifier.startsWith('.') && i.to === undefined);
    assert.deepEqual(unresolved.map(where), [], 'relative imports that resolve to no file');
  });

  it('has no import circles, type-only ones included', () => {
    const found = circles();
    assert.ok(found.length === 0, `${found.length} import circle(s):\n${found.join('\n')}`);
  });

  it('lets the doors (<domain>/client.ts) reach their workflows through the definitions modules only (and the search attributes)', () => {
    const doors = files.filter((f) => /^[^/]+\/client\.ts$/.test(f) && !f.startsWith('keap/'));
    assert.deepEqual(doors, ['accounts/client.ts', 'checkouts/client.ts', 'orders/client.ts']);
    const shared = (file: string) =>
      file.endsWith('/workflow/definitions.ts') || file === 'workflows/support/search-attributes.ts';
    const bad = localImports.filter((i) => doors.includes(i.from) && isWorkflowCode(i.to!) && !shared(i.to!));
    assert.ok(
      bad.length === 0,
      `a door imports workflow code other than its definitions (use the workflow signature type there):\n${bad.map((i) => `  ${where(i)}`).join('\n')}`,
    );
  });

  it('keeps keap/ a plain Keap client: it imports only keap/, node built-ins and npm packages, never Temporal', () => {
    const outside = imports.filter((i) => {
      if (!i.from.startsWith('keap/')) return false;
      if (i.to !== undefined) return !i.to.startsWith('keap/');
      if (i.specifier.startsWith('.')) return true; // unresolved, reported above
      return packageName(i.specifier).startsWith('@temporalio/');
    });
    assert.ok(outside.length === 0, `keap/ reaches outside itself:\n${outside.map((i) => `  ${where(i)}`).join('\n')}`);
  });

  it('gives deterministic workflow code values only from workflow code, common/, workflow-safe domain files and the workflow SDK', () => {
    const bad = imports.filter((i) => {
      if (!isWorkflowCode(i.from) || i.typeOnly) return false;
      if (i.to !== undefined) return !workflowMayImport(i.to);
      return !WORKFLOW_PACKAGES.includes(packageName(i.specifier));
    });
    assert.ok(
      bad.length === 0,
      `workflow code imports values it must not (use \`import type\`, or move the value into workflow code or a workflow-safe domain file):\n${bad.map((i) => `  ${where(i)}`).join('\n')}`,
    );
  });

  it('keeps everything workflow code loads (its value imports, transitively) free of I/O packages', () => {
    const valueEdges = new Map<string, Import[]>();
    for (const i of imports.filter((i) => !i.typeOnly)) valueEdges.set(i.from, [...(valueEdges.get(i.from) ?? []), i]);
    const loaded = new Set(files.filter(isWorkflowCode));
    const queue = [...loaded];
    const bad: string[] = [];
    while (queue.length > 0) {
      for (const i of valueEdges.get(queue.shift()!) ?? []) {
        if (i.to === undefined) {
          const name = packageName(i.specifier);
          if (isBuiltin(i.specifier) || !WORKFLOW_PACKAGES.includes(name)) bad.push(`  ${where(i)}`);
        } else if (!loaded.has(i.to)) {
          loaded.add(i.to);
          queue.push(i.to);
        }
      }
    }
    assert.ok(bad.length === 0, `the workflow bundle would load:\n${bad.join('\n')}`);
  });
});
