// A process that records a run as fast as it can, for the SIGKILL test of the run store: every
// 10 ms it hands the recorder a batch of results (frame ids counting up from 0) and updates the
// summary, then says on stdout how many results it has handed over so far.
import { RunRecorder } from '../../src-main/store/runs';

const rec = await RunRecorder.create(process.argv[2] as string, {
  kind: 'crash-test',
  model: 'none',
  frames: 1_000_000,
});
process.stdout.write(`run ${rec.id}\n`);
await rec.setState('running');
let handed = 0;
setInterval(() => {
  for (let i = 0; i < 40; i++)
    rec.result({ frameId: handed++, latencyMs: 1.5, top1: 7, pad: 'x'.repeat(300) });
  // The summary is rewritten all the time, so kills land in the middle of its replacement too.
  void rec.setState('running', { completed: handed });
  process.stdout.write(`${handed}\n`);
}, 10);
