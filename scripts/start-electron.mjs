// `npm start`: builds the app and opens it in Electron. npm ci skips Electron's install script
// (it downloads the binary from GitHub, which CI and offline labs cannot reach), so the binary is
// fetched here on first start, and where that fails the message says what to do instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const electronDir = dirname(require.resolve('electron/package.json'));

function binaryPath() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

function fail(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

let bin = binaryPath();
if (!bin) {
  process.stderr.write('Electron binary missing: downloading it once (electron/install.js)...\n');
  const got = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    stdio: ['inherit', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  bin = binaryPath();
  if (got.status !== 0 || !bin) {
    const reason = (got.stderr ?? '').split('\n').find((l) => l.trim()) ?? 'no reason given';
    fail(
      `could not download the Electron binary (${reason.trim()}). Connect to the internet and run \`npm start\` again, ` +
        'or set ELECTRON_MIRROR to a mirror you can reach, or run `npm run serve` to open the same app in your browser.',
    );
  }
}

const build = spawnSync(
  process.execPath,
  [require.resolve('electron-vite/bin/electron-vite.js'), 'build'],
  {
    stdio: 'inherit',
  },
);
if (build.status !== 0) fail('the build failed (see above)');
const child = spawn(bin, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
