// The garbage-collector setting of every process that streams frames (the agent, and the CLI
// that coordinates runs), made before anything else runs. Its JavaScript heap is
// small (~10 MB: frames live outside it, as buffers), and V8 starts incremental marking whenever
// the old generation's headroom is below the young generation's capacity. Left alone, the young
// generation grows to 16 MB under a stream of frames, that condition then always holds, and the
// agent runs a major GC every ~55 frames: a quarter of its CPU in `mchair bench transport`.
// Keeping the young generation at its initial size (cheap scavenges, and less memory, which small
// boards like) ends it. setFlagsFromString is allowed here: this flag is read at every GC.
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
