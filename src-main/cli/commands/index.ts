// The subcommands, one registration per area.
import type { Command } from 'commander';
import { registerDemo } from './demo';
import { registerRun } from './run';
import { registerFarm } from './farm';
import { registerBench } from './bench';
import { registerDevices } from './devices';
import { registerInfo } from './info';
import { registerRuns } from './runs';
import { registerServe } from './serve';
import { registerModel } from './model';
import { registerPartition } from './partition';
import { registerPlan } from './plan';
import { registerProfile } from './profile';
import { registerPower } from './power';
import { registerReport } from './report';
import { registerProvision } from './provision';
import { registerVerify } from './verify';
import { registerClassify } from './classify';

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerRun(program);
  registerFarm(program);
  registerBench(program);
  registerInfo(program);
  registerRuns(program);
  registerServe(program);
  registerModel(program);
  registerPartition(program);
  registerPlan(program);
  registerProfile(program);
  registerVerify(program);
  registerDevices(program);
  registerProvision(program);
  registerPower(program);
  registerReport(program);
  registerClassify(program);
}
