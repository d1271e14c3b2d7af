// One valid argument set per contract command, shared by the tests of every adapter (Electron
// IPC, WebSocket). Typed over every CommandName, so a new command does not compile here until
// someone says how to reach it. A sample may fail with the command's own AppError (a run that
// does not exist): that still proves the handler ran.
import type { CommandArgs, CommandName } from '../../../src-main/contract/index';

export const samples: { [K in CommandName]: CommandArgs<K> } = {
  'app/info': {},
  'settings/data-folder': { path: '/nonexistent-mchair-sample', how: 'point' },
  'demo/start': { frames: 2 },
  'demo/paper': { seconds: 1 },
  // Not a model of this lab: refused by the handler before any picture is read.
  'models/classify': { model: 'no-such-model', files: ['/nonexistent-mchair-sample.jpg'] },
  'run/list': {},
  'run/get': { runId: 'no-such-run' },
  'run/stop': { runId: 'no-such-run' },
  'devices/list': {},
  'devices/add': { device: { name: 'pi-01', host: '127.0.0.1', user: 'pi' } },
  'devices/remove': { name: 'pi-01' },
  'devices/import': { fileName: 'boards.csv', text: 'name,host,user\npi-02,10.0.0.2,pi\n' },
  'devices/scan': { subnet: '127.0.0.1/32' },
  'devices/stop-scan': {},
  'models/list': {},
  'models/inspect': { name: 'tiny-cnn' },
  'models/cuts': { model: 'tiny-cnn' },
  // Not a zoo model, and not a file: refused before anything is written.
  'models/build': { name: 'no-such-model', out: '/nonexistent-mchair-sample/m.onnx' },
  'models/import': { file: '/nonexistent-mchair-sample.onnx' },
  // A cut the model does not have: refused before anything is written.
  'models/verify': { model: 'tiny-cnn', cuts: ['no-such-tensor'] },
  'models/partition': {
    model: 'tiny-cnn',
    cuts: ['no-such-tensor'],
    out: '/nonexistent-mchair-sample',
  },
  'models/upload': {
    uploadId: 'sample-upload',
    name: 'sample-cnn',
    offset: 0,
    chunk: '',
    last: true,
  },
  'models/catalogue': {},
  // Not in the catalogue: refused before any source is tried (no test reaches outside).
  'models/get': { name: 'no-such-model' },
  'models/cancel-get': { name: 'no-such-model' },
  'mirrors/list': {},
  'mirrors/add': { url: 'https://127.0.0.1:9/zoo' },
  'mirrors/remove': { url: 'https://127.0.0.1:9/zoo' },
  'run/delete': { runId: 'no-such-run' },
  'reports/export': { runIds: ['no-such-run'], format: 'json' },
  'reports/figure': { runIds: ['no-such-run'], figure: 'ips' },
  'reports/paper': { model: 'alexnet-mc' },
  'reports/write': { runIds: ['no-such-run'], format: 'json' },
  'reports/schema': {},
  'meters/test': { uri: 'csv:///no/such/log.csv', seconds: 1 },
  'meters/stop-test': {},
  'meters/list': {},
  'meters/save': { meter: { name: 'bench plug', uri: 'shelly://127.0.0.1:9' } },
  'meters/remove': { name: 'bench plug' },
  'provision/start': { devices: ['no-such-board'] },
  'provision/cancel': {},
  'profile/start': { farm: 'inventory', devices: ['no-such-board'] },
  'profile/cancel': {},
  'profile/list': { farm: 'inventory' },
  'devices/logs': { name: 'no-such-board' },
  'devices/refresh': { names: ['no-such-board'] },
  'devices/discover': { interfaceAddress: '127.0.0.1', timeoutMs: 200 },
  'devices/save-passphrase': { name: 'pi-02', passphrase: 'sample-passphrase' },
  'devices/act': { action: 'reboot', names: ['no-such-board'] },
  // An empty inventory: no board to connect to, an empty answer.
  'devices/probe': { names: [] },
  // A board the inventory lacks: refused before any connection.
  'devices/service': { action: 'status', names: ['no-such-board'] },
  'devices/save-password': { name: 'pi-02', password: 'sample-password' },
  'plan/make': { model: 'tiny-cnn', farm: { kind: 'virtual', spec: 'pi3:2' }, top: 1 },
  'plan/cancel': {},
  // One emulated board, then one more added: the adapter tests go through the commands in order,
  // so farm/down (three entries on) stops both again.
  'farm/up': { spec: 'pi3:1' },
  'farm/add': { spec: 'pi3:1' },
  'farm/status': {},
  'devices/readings': {},
  'farm/down': {},
  // No virtual farm is up in the adapter tests: FARM_NOT_UP before anything starts.
  'run/start': { model: 'tiny-cnn', farm: { kind: 'virtual' }, frames: 1 },
  'run/frame': { runId: 'no-such-run', base64: '' },
};

/**
 * Commands the loops over every command leave out: each runs for minutes, with nothing to stop it
 * early. demo/paper: test/integration/demo/paper-demo.test.ts reaches it (`mchair demo`).
 */
export const tooLongToSample: ReadonlySet<CommandName> = new Set(['demo/paper']);
