// The house's boundaries as a lint rule (docs/ARCHITECTURE.md, "The rooms and their order"):
// every relative import is resolved to the file it names and checked against where the importer
// lives. The renderer reaches only the contract and itself; only src-main/electron imports
// electron; the agent imports nothing outside remote-agent/ and the app imports only the agent's
// protocol; a room of src-main never imports a room above it. Tests are exempt: they reach into
// what they test.
import { dirname, relative, resolve } from 'node:path';

/** src-main's rooms from the bottom up: a room may import the rooms before it, never after. */
export const ROOMS = [
  'contract',
  'shared',
  'files',
  'store',
  'model',
  'planner',
  'inventory',
  'ssh',
  'power',
  'reports',
  'farm',
  'provision',
  'runtime',
  'scenarios',
  'core',
  'server',
  'cli',
  'electron',
];

/** What the app may import of the agent: its protocol, and the GC setting a frame streamer makes. */
const AGENT_SURFACE = ['remote-agent/src/protocol/index', 'remote-agent/src/protocol/heap'];

const root = process.cwd();

/** src-main's files directly under it (log.ts, version.ts) sit with the shared lower types. */
function roomOf(file) {
  const parts = file.split('/');
  if (parts[0] !== 'src-main') return null;
  return parts.length === 2 ? 'shared' : parts[1];
}

function withoutExtension(file) {
  return file.replace(/\.(ts|js|mjs|vue|json)$/, '');
}

/** Why `file` may not import `target` (both relative to the repository), or null when it may. */
export function refusal(file, target) {
  const inside = (dir) => target === dir || target.startsWith(`${dir}/`);
  if (file.startsWith('src-renderer/')) {
    if (inside('src-renderer') || inside('src-main/contract')) return null;
    return `the renderer imports only src-main/contract and itself, not ${target}: add what it needs to the contract`;
  }
  if (file.startsWith('remote-agent/')) {
    if (inside('remote-agent')) return null;
    return `the agent is a package of its own and imports nothing outside remote-agent/, not ${target}: move what it needs into remote-agent/src/protocol`;
  }
  if (inside('remote-agent') && !AGENT_SURFACE.includes(withoutExtension(target))) {
    return `import the agent through remote-agent/src/protocol/index, not ${target}: export what you need there`;
  }
  const from = roomOf(file);
  if (from === null) return null;
  if (inside('src-renderer')) return `src-main does not import the renderer (${target})`;
  const to = roomOf(target);
  if (to === null || to === from) return null;
  const [a, b] = [ROOMS.indexOf(from), ROOMS.indexOf(to)];
  if (a < 0 || b < 0) {
    return `src-main/${a < 0 ? from : to} is not in the rooms' order: add it to ROOMS in scripts/eslint-rooms.mjs and to docs/ARCHITECTURE.md`;
  }
  if (b > a) {
    return `src-main/${from} sits below src-main/${to} and may not import it (${target}): move the shared part down, or invert the call`;
  }
  return null;
}

const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'keeps imports within the rooms and their order' },
    schema: [],
  },
  create(context) {
    const file = relative(root, context.filename);
    if (file.startsWith('test/') || file.startsWith('remote-agent/test/')) return {};
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (
        (source === 'electron' || source.startsWith('electron/')) &&
        !file.startsWith('src-main/electron/')
      ) {
        context.report({
          node,
          message: 'only src-main/electron imports electron: the core runs without it (CLI, serve)',
        });
        return;
      }
      if (!source.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source));
      const why = refusal(file, target);
      if (why) context.report({ node, message: why });
    };
    const fromSource = (node) => node.source && check(node, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export const rooms = { rules: { layering } };
