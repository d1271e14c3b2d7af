// Deploying a plan (its parts already made with their boards, deployment.ts): the boards reached
// and checked to be who the farm says, the deployment handed to every board of the plan, and
// boards a new plan leaves out told to drop the old one.
import { type Connect, type Deployment, parseRefusal } from '../../remote-agent/src/protocol/index';
import { AppError, BackendCannotRunError } from '../contract/index';
import type { Board } from '../shared/board';
import { boardsOf, type RunPlan } from './deployment';

/** The farm's boards a plan gives a part to, in the farm's order. */
export function agentsOf(plan: RunPlan, agents: readonly Board[]): Board[] {
  const used = boardsOf(plan);
  return agents.filter((a) => used.has(a.id));
}

/** A board that failed while a plan was deployed to it, and how. */
export interface LostBoard {
  id: string;
  why: string;
}

/**
 * Boards lost while a plan was deployed (unreachable, or gone while they loaded their parts), in
 * a run that survives board failures: the run plans again without them (runtime/faults.ts).
 */
export class BoardsLostError extends AppError {
  constructor(
    readonly boards: LostBoard[],
    first: AppError,
  ) {
    super(first.code, first.message);
  }
}

/**
 * Waits for every board's step; failures that are the board's own (unreachable, gone mid-way)
 * become one BoardsLostError when the run survives them, others (a wrong agent, a part its
 * backend refuses) end the deployment as they are.
 */
async function eachBoard(
  agents: readonly Board[],
  survive: boolean,
  step: (a: Board) => Promise<void>,
): Promise<void> {
  const settled = await Promise.allSettled(agents.map(step));
  const lost: LostBoard[] = [];
  let first: AppError | null = null;
  for (const [i, r] of settled.entries()) {
    if (r.status === 'fulfilled') continue;
    const err = r.reason as Error;
    const boardGone =
      err instanceof AppError && (err.code === 'AGENT_UNREACHABLE' || err.code === 'DEPLOY_FAILED');
    if (!boardGone || !survive) throw err;
    first ??= err;
    lost.push({ id: (agents[i] as Board).id, why: err.message });
  }
  if (first) throw new BoardsLostError(lost, first);
}

/**
 * Connects to each board and checks by a ping that it is the agent the farm names; `onClose` is
 * told when a board's connection ends later.
 */
export async function reachBoards(
  connect: Connect,
  agents: readonly Board[],
  survive: boolean,
  onClose: (id: string) => void,
): Promise<void> {
  await eachBoard(agents, survive, async (a) => {
    const c = await connect(a).catch((err: Error) => {
      throw new AppError(
        'AGENT_UNREACHABLE',
        `cannot reach agent ${a.id} at ${a.host}:${a.port}: ${err.message}`,
      );
    });
    c.onClose(() => onClose(a.id));
    const h = await c.ping(Date.now()).catch((err: Error) => {
      throw new AppError('AGENT_UNREACHABLE', `agent ${a.id} went away: ${err.message}`);
    });
    if (h.agentId !== a.id)
      throw new AppError(
        'AGENT_MISMATCH',
        `agent at ${a.host}:${a.port} is ${h.agentId}, not ${a.id}`,
      );
  });
}

/** Hands a deployment to each board; a board whose backend cannot load a part refuses it. */
export async function deployTo(
  connect: Connect,
  agents: readonly Board[],
  d: Deployment,
  survive: boolean,
): Promise<void> {
  await eachBoard(agents, survive, async (a) => {
    try {
      await (await connect(a)).deploy(d);
    } catch (err) {
      const refusal = parseRefusal((err as Error).message);
      if (refusal) throw new BackendCannotRunError(a.id, refusal);
      throw new AppError('DEPLOY_FAILED', `deploy to ${a.id} failed: ${(err as Error).message}`);
    }
  });
}

/** Boards of the previous deployment the new plan leaves out drop it too (a lost one may never answer). */
export function undeployLeftOut(
  connect: Connect,
  agents: readonly Board[],
  previous: Deployment,
  kept: ReadonlySet<string>,
): void {
  const ids = new Set(
    previous.stages.flatMap((s) => s.parts.flatMap((p) => p.replicas.map((r) => r.id))),
  );
  for (const id of ids) {
    const a = agents.find((x) => x.id === id);
    if (a && !kept.has(id))
      void connect(a)
        .then((c) => c.undeploy(previous.runId))
        .catch(() => undefined);
  }
}
