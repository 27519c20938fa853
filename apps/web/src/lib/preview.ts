import { selectTag, TagPolicyError } from "@berth/registry/select";
import type { RegistryTag, TagPolicy } from "./types.js";

export interface PreviewInput {
  tags: readonly RegistryTag[];
  include: readonly string[];
  exclude: readonly string[];
  policy: TagPolicy;
  /** The tag the stage runs now; the pick never moves below it. */
  current?: string | null;
}

export type TagVerdict = "picked" | "candidate" | "filtered";

export interface PreviewRow {
  name: string;
  verdict: TagVerdict;
}

export type Preview =
  | { ok: true; selected: string | null; reason: string; rows: PreviewRow[] }
  | { ok: false; option: string; message: string };

/**
 * Runs the registry package's tag selection on the listed tags, as the poller would, and
 * marks each tag: the pick, another tag the policy ranks, or one the patterns or policy leave
 * out. An invalid pattern or policy becomes a message for its field instead of an exception.
 */
export function previewSelection(input: PreviewInput): Preview {
  try {
    const selection = selectTag({
      tags: input.tags.map((tag) => ({
        name: tag.name,
        digest: tag.digest,
        createdAt: tag.createdAt,
      })),
      include: input.include,
      exclude: input.exclude,
      policy: input.policy,
      current: input.current ?? null,
    });
    const ranked = new Set(selection.candidates.map((tag) => tag.name));
    const rows = input.tags.map(
      (tag): PreviewRow => ({
        name: tag.name,
        verdict:
          tag.name === selection.selected
            ? "picked"
            : ranked.has(tag.name)
              ? "candidate"
              : "filtered",
      }),
    );
    rows.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict]);
    return { ok: true, selected: selection.selected, reason: selection.reason, rows };
  } catch (error) {
    if (error instanceof TagPolicyError) {
      return { ok: false, option: error.option, message: error.message };
    }
    throw error;
  }
}

const VERDICT_ORDER: Record<TagVerdict, number> = { picked: 0, candidate: 1, filtered: 2 };

/** Builds a policy object from the editor's fields, leaving out empty options. */
export function buildPolicy(fields: {
  kind: TagPolicy["kind"];
  range: string;
  allowPrerelease: boolean;
  extract: string;
}): TagPolicy {
  switch (fields.kind) {
    case "semver":
      return {
        kind: "semver",
        ...(fields.range.trim() ? { range: fields.range.trim() } : {}),
        ...(fields.allowPrerelease ? { allowPrerelease: true } : {}),
      };
    case "numeric":
      return { kind: "numeric", ...(fields.extract.trim() ? { extract: fields.extract } : {}) };
    default:
      return { kind: fields.kind };
  }
}
