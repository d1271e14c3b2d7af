// A plan made deployable: each stage's parts (their files as placed for the boards) together with
// the boards that hold them, built in one place from the partition and the plan's assignment, so
// the coordinator and the agents get parts that already know their replicas and nothing matches
// them up again by name or index.
import { AppError, type Manifest } from '../contract/index';
import { partName, type StageSpec } from '../../remote-agent/src/protocol/index';
import type { Board } from '../shared/board';

export interface RunPlan {
  /** The frames the first stage takes (name, dtype, shape). */
  input: Manifest['input'];
  /** The tensor the last stage answers with. */
  output: string;
  /** Stage by stage, every part with its replicas (the boards that hold it). */
  stages: StageSpec[];
  /** Emulated ms per frame, keyed "agentId/part" (virtual farm only). */
  holdMs?: Record<string, number>;
  /** The planner's expected compute ms per frame, keyed "agentId/part" (see Deployment). */
  expectMs?: Record<string, number>;
}

/** Agent ids per stage per part, in the plan's order (more than one = data-parallel replicas). */
export type Assignment = readonly (readonly (readonly string[])[])[];

/**
 * The partition's parts with the farm's boards the assignment names. Both come from one plan, so
 * a mismatch is the caller's mistake (a hand-made assignment), refused before anything is sent.
 */
export function deploymentOf(
  manifest: Manifest,
  assignment: Assignment,
  agents: readonly Board[],
  times: Pick<RunPlan, 'holdMs' | 'expectMs'> = {},
): RunPlan {
  if (assignment.length !== manifest.stages.length)
    throw new AppError(
      'PLAN_MISMATCH',
      `the plan has ${assignment.length} stages, the manifest ${manifest.stages.length}`,
    );
  const byId = new Map(agents.map((a) => [a.id, a]));
  const stages = manifest.stages.map((st, s) => ({
    id: st.id,
    concat: st.concat ?? null,
    parts: st.parts.map((p, k) => {
      const ids = assignment[s]?.[k] ?? [];
      if (ids.length === 0)
        throw new AppError('PLAN_MISMATCH', `the plan gives part ${partName(st.id, k)} no device`);
      const replicas = ids.map((id) => {
        const a = byId.get(id);
        if (!a)
          throw new AppError(
            'PLAN_MISMATCH',
            `the plan names device "${id}", which is not in the farm`,
          );
        return { id: a.id, host: a.host, port: a.port };
      });
      return { file: p.file, sha256: p.sha256, inputs: p.inputs, outputs: p.outputs, replicas };
    }),
  }));
  return { input: manifest.input, output: manifest.output, stages, ...times };
}

/** Every board a deployment uses. */
export function boardsOf(plan: Pick<RunPlan, 'stages'>): Set<string> {
  return new Set(plan.stages.flatMap((s) => s.parts.flatMap((p) => p.replicas.map((r) => r.id))));
}

/**
 * Frames one round of the plan's widest stage completes: its replicas finish theirs together.
 * `replicas[s][k]` holds part k of stage s: board ids of a plan, or a deployment's peers.
 */
export function roundFrames(replicas: readonly (readonly (readonly unknown[])[])[]): number {
  return Math.max(1, ...replicas.flatMap((stage) => stage.map((part) => part.length)));
}
