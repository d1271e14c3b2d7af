// The model toolkit: read and write ONNX, cost every layer, build the zoo's CNNs, and cut and
// split models into standalone partitions that reproduce the whole model.
//
// API (stable; other areas import only from here):
//   buildZooModel(name: ZooName, opts?: { seed?: number }): OnnxModel
//       'tiny-cnn' | 'alexnet-mc' | 'alexnet' | 'vgg16'; input uint8 NHWC [1,224,224,3] named
//       "input", output softmax [1,1000] named "probs"; deterministic He-init weights per seed,
//       made when they are read.
//   loadModel(pathOrBytes: string | Uint8Array, opts?: { name?: string }): OnnxModel
//       Reads the graph and every tensor's type and shape; a weight's bytes are read from the file
//       (or external-data file, in the model's folder only) when needed. Throws ModelInvalidError.
//   Weights are read or made only by what needs their bytes (saveModel, encodeModel, partitions
//   written, small constants a shape depends on): analysis, costing and planning never do.
//   encodeModel(model): Uint8Array           ONNX bytes (e.g. for ort.InferenceSession.create)
//   saveModel(model, path, { externalData? }): { path, sha256, bytes }   streams weights to disk
//   listCuts(model): string[]                tensor names the model can be cut at, graph order
//   partitionModel(model, { cuts, splits? }, outDir): Promise<Manifest>
//       Writes outDir/manifest.json (contract/manifest.ts) and one standalone ONNX per part:
//       stage i runs from cut i-1 (or the input) to cut i (or the output); { stage, parts }
//       splits that stage along output channels (uneven fine), part outputs "<cut>.p<j>",
//       joined by the stage's concat { output: <cut>, axis }. Throws PartitionError with the
//       valid choices.
//   buildPartition(model, spec): Partition   the same in memory (parts' ModelProtos)
//   inspectModel(model): ModelInspection     { input, output, layers[], totals } (issue 3's JSON)
//   analyseModel(model): GraphAnalysis       types, shapes, constants, layers with costs
export { buildZooModel, isZooName, ZOO_NAMES, ZOO_DESCRIPTIONS, ZooName } from './zoo';
export { inputPrefix, wrapModel } from './wrap';
export { CATALOGUE, catalogueBySha256, catalogueEntry, type CatalogueEntry } from './catalogue';
export { encodeModel, saveModel, type OnnxModel, type SavedModel } from './onnx';
export { loadModel } from './load';
export { listCuts } from './cut';
export { splitSizes } from './channelSplit';
export {
  buildPartition,
  partitionModel,
  type Partition,
  type PartitionSpec,
  type PartModel,
  type StagePartition,
} from './partition';
export { inspectModel, formatInspection, type LayerCost, type ModelInspection } from './inspect';
export { analyseModel, type GraphAnalysis, type Layer } from './graph';
export { ModelInvalidError, ModelOpUnsupportedError, PartitionError } from './errors';
