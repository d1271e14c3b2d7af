// `mchair farm up --emulate SPEC | status | down`: the virtual farm, emulated boards as local
// agent processes that outlive the command (see farm/virtual.ts). One virtual farm per data
// folder, in <data>/farm/ (farm.json is the farm file `mchair run --farm` reads).
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../contract/index';
import { readFarmFile } from '../../farm/farmfile';
import { emulatedDevices, farmStatus, startFarm, stopFarmProcesses } from '../../farm/virtual';
import { farmFromSpec } from '../../planner/index';
import { action, withCommonOptions } from '../framework';

const farmDir = (dataDir: string) => join(dataDir, 'farm');
const farmFile = (dataDir: string) => join(farmDir(dataDir), 'farm.json');

async function openFarm(dataDir: string) {
  const file = farmFile(dataDir);
  if (!existsSync(file))
    throw new AppError(
      'FARM_NOT_UP',
      'no virtual farm is up; start one with "mchair farm up --emulate pi3:6"',
    );
  return readFarmFile(file);
}

export function registerFarm(program: Command): void {
  const farm = program
    .command('farm')
    .description('the virtual farm: emulated boards as local agents');

  withCommonOptions(
    farm
      .command('up')
      .description('start emulated boards, e.g. --emulate pi3:6,pi4:2,tx2:1')
      .option(
        '--emulate <spec>',
        'devices by profile and count (pi3, pi4, pi5, tx2, tx2-gpu, x86-laptop)',
      ),
  ).action(
    action(
      async (ctx) => {
        const { emulate } = ctx.options(
          z.object({ emulate: z.string({ error: 'is required, e.g. pi3:6' }).min(1) }),
        );
        const planner = farmFromSpec(emulate);
        const file = farmFile(ctx.dataDir);
        if (existsSync(file)) {
          const open = await readFarmFile(file);
          const status = await farmStatus(open.farm, open.coordinator);
          if (status.some((d) => d.alive))
            throw new AppError(
              'FARM_RUNNING',
              'a virtual farm is already up; stop it with "mchair farm down" first',
            );
        }
        await rm(farmDir(ctx.dataDir), { recursive: true, force: true });
        const { devices, coordinatorLink } = emulatedDevices(planner);
        ctx.say(`starting ${devices.length} emulated devices`);
        const running = await startFarm({
          dir: farmDir(ctx.dataDir),
          devices,
          coordinatorLink,
          detached: true,
          threads: 1,
        });
        await writeFile(file, `${JSON.stringify(running.endpoints, null, 2)}\n`);
        return {
          farmFile: file,
          devices: running.endpoints.devices.map((d) => ({
            id: d.id,
            profile: d.profile,
            host: d.host,
            port: d.port,
            pid: d.pid,
          })),
          emulated: true,
        };
      },
      (r) =>
        [
          ...r.devices.map(
            (d) =>
              `${d.id.padEnd(12)} ${d.profile.padEnd(8)} ${d.host}:${d.port}  pid ${d.pid}  (emulated)`,
          ),
          `farm file ${r.farmFile}`,
        ].join('\n'),
    ),
  );

  withCommonOptions(
    farm.command('status').description('health-ping every agent of the virtual farm'),
  ).action(
    action(
      async (ctx) => {
        const open = await openFarm(ctx.dataDir);
        const devices = await farmStatus(open.farm, open.coordinator);
        return { farmFile: open.file, emulated: open.farm.emulated, devices };
      },
      (r) =>
        [
          ...r.devices.map(
            (d) =>
              `${d.id.padEnd(12)} ${d.profile.padEnd(8)} ${`${d.host}:${d.port}`.padEnd(22)} ${d.alive ? `up ${((d.uptimeMs ?? 0) / 1000).toFixed(0)} s, ${d.backend}${d.runId ? `, run ${d.runId}` : ''}` : 'DOWN'}${r.emulated ? '  (emulated)' : ''}`,
          ),
          `farm file ${r.farmFile}`,
        ].join('\n'),
    ),
  );

  withCommonOptions(
    farm.command('down').description('stop the virtual farm and remove its files'),
  ).action(
    action(
      async (ctx) => {
        const open = await openFarm(ctx.dataDir);
        const stopped = await stopFarmProcesses(open.farm);
        await rm(farmDir(ctx.dataDir), { recursive: true, force: true });
        return { stopped };
      },
      (r) => `stopped ${r.stopped} processes`,
    ),
  );
}
