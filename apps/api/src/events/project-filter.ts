import { type Database, stages } from "@berth/store";
import { eq } from "drizzle-orm";
import type { BerthEvent } from "./changes.js";

/** Returns the stage an event is about. */
function stageOf(event: BerthEvent): string {
  switch (event.type) {
    case "deploy":
    case "candidate":
      return event.deploy.stageId;
    case "instance":
      return event.instance.stageId;
    case "poll_error":
      return event.stageId;
  }
}

/**
 * Creates a filter that passes the events of one project's stages. A stage never moves to
 * another project, so each stage's project is looked up once and kept for the stream's lifetime.
 */
export function projectEventFilter(
  db: Database,
  projectId: string,
): (event: BerthEvent) => Promise<boolean> {
  const known = new Map<string, boolean>();
  return async (event) => {
    const stageId = stageOf(event);
    let inProject = known.get(stageId);
    if (inProject === undefined) {
      const [row] = await db
        .select({ projectId: stages.projectId })
        .from(stages)
        .where(eq(stages.id, stageId));
      inProject = row?.projectId === projectId;
      known.set(stageId, inProject);
    }
    return inProject;
  };
}
