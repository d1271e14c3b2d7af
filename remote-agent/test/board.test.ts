// The agent's rail reader on real files and a real process: a fake sysfs tree laid out as on a
// TX2 (L4T R32 iio, and newer hwmon), and a `vcgencmd` script printing a Pi 5's PMIC.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRailsSource, nodeBoardIo, readBoardRails } from '../src/rails';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mchair-board-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe('readBoardRails', () => {
  it('reads a TX2 through the iio driver, VDD_IN as the total', async () => {
    const d1 = 'sys/bus/i2c/drivers/ina3221x/0-0041/iio:device1';
    const root = await tree({
      [`${d1}/rail_name_0`]: 'VDD_IN\n',
      [`${d1}/in_power0_input`]: '4120\n',
      [`${d1}/in_current0_input`]: '216\n',
      [`${d1}/in_voltage0_input`]: '19072\n',
      [`${d1}/rail_name_1`]: 'VDD_SYS_CPU\n',
      [`${d1}/in_power1_input`]: '610\n',
      [`${d1}/uevent`]: 'OF_NAME=ina3221x\n',
    });
    const io = nodeBoardIo(root);
    const source = await findRailsSource(io);
    expect(source).toMatchObject({
      kind: 'ina3221',
      folders: ['/sys/bus/i2c/drivers/ina3221x/0-0041/iio:device1'],
    });
    const r = await readBoardRails(io, source);
    expect(r.totalW).toBe(4.12);
    expect(r.rails.map((x) => x.name).sort()).toEqual(['VDD_IN', 'VDD_SYS_CPU']);
  });

  it('finds the hwmon ina3221 of newer L4T among other sensors', async () => {
    const root = await tree({
      'sys/class/hwmon/hwmon0/name': 'soc_therm\n',
      'sys/class/hwmon/hwmon1/name': 'ina3221\n',
      'sys/class/hwmon/hwmon1/in1_label': 'VDD_IN\n',
      'sys/class/hwmon/hwmon1/in1_input': '5000\n',
      'sys/class/hwmon/hwmon1/curr1_input': '1100\n',
    });
    const io = nodeBoardIo(root);
    const r = await readBoardRails(io, await findRailsSource(io));
    expect(r.totalW).toBeCloseTo(5.5, 12);
  });

  it('asks vcgencmd on a Pi 5, and says so when a board has no rails', async () => {
    const root = await tree({});
    const bin = join(root, 'bin');
    await mkdir(bin);
    const pmic = await readFile(new URL('fixtures/pmic_read_adc.txt', import.meta.url), 'utf8');
    await writeFile(
      join(bin, 'vcgencmd'),
      `#!/bin/sh\n[ "$1" = pmic_read_adc ] || exit 1\ncat <<'OUT'\n${pmic}OUT\n`,
    );
    await chmod(join(bin, 'vcgencmd'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const io = nodeBoardIo(root);
      const source = await findRailsSource(io);
      expect(source).toEqual({ kind: 'pmic' });
      const r = await readBoardRails(io, source);
      expect(r.source).toBe('pmic');
      expect(r.totalW).toBeGreaterThan(1.5);
      await writeFile(
        join(bin, 'vcgencmd'),
        '#!/bin/sh\necho \'error=1 error_msg="Command not registered"\'\n',
      );
      await expect(findRailsSource(io)).rejects.toThrow(
        'this board reports no power rails (no INA3221, no Pi 5 PMIC); measure it with an external meter',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
