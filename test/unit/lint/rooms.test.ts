// The boundaries lint keeps (scripts/eslint-rooms.mjs), on imports a careless edit would write:
// each must be refused with a line that says what to do, and the house's own imports pass.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the lint rule is plain JavaScript, loaded by eslint.config.js as it is
import { rooms } from '../../../scripts/eslint-rooms.mjs';

const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: { plugins: { rooms }, rules: { 'rooms/layering': 'error' } },
});

/** The messages rooms/layering gives `code` written in `file` (plain JS, resolved from the repo). */
async function lint(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((m) => m.message);
}

describe('rooms/layering', () => {
  it('keeps the renderer to the contract and itself', async () => {
    expect(
      await lint('src-renderer/x.js', "import { a } from '../src-main/contract/index';"),
    ).toEqual([]);
    expect(await lint('src-renderer/views/x.js', "import { a } from '../stores/liveRun';")).toEqual(
      [],
    );
    const [why] = await lint('src-renderer/x.js', "import { a } from '../src-main/core/index';");
    expect(why).toMatch(
      /^the renderer imports only src-main\/contract and itself, not src-main\/core/,
    );
  });

  it('lets only src-main/electron import electron', async () => {
    expect(await lint('src-main/electron/x.js', "import { app } from 'electron';")).toEqual([]);
    expect(await lint('src-main/core/x.js', "import { app } from 'electron';")).toEqual([
      'only src-main/electron imports electron: the core runs without it (CLI, serve)',
    ]);
  });

  it('keeps the agent to itself and the app to the agent protocol', async () => {
    const [inAgent] = await lint(
      'remote-agent/src/x.js',
      "import { a } from '../../src-main/power/rails';",
    );
    expect(inAgent).toMatch(/^the agent is a package of its own and imports nothing outside/);
    expect(
      await lint(
        'src-main/runtime/x.js',
        "import { a } from '../../remote-agent/src/protocol/index';",
      ),
    ).toEqual([]);
    const [deep] = await lint(
      'src-main/runtime/x.js',
      "export { a } from '../../remote-agent/src/protocol/medium';",
    );
    expect(deep).toMatch(/^import the agent through remote-agent\/src\/protocol\/index/);
  });

  it('refuses a room importing a room above it, and a room not in the order', async () => {
    expect(await lint('src-main/core/x.js', "import { a } from '../runtime/run';")).toEqual([]);
    const [up] = await lint('src-main/runtime/x.js', "import('../core/events');");
    expect(up).toBe(
      'src-main/runtime sits below src-main/core and may not import it (src-main/core/events): move the shared part down, or invert the call',
    );
    const [unknown] = await lint('src-main/attic/x.js', "import { a } from '../model/index';");
    expect(unknown).toMatch(/^src-main\/attic is not in the rooms' order/);
  });
});
