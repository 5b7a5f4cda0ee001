/**
 * Two records the setup pipeline adds to `manifest.json` beside each file's part: how a damaged
 * file was read (`decodeNote`: "decoded with 3 bad frames", "truncated at 10.0 s", for MP3, WAV
 * and AU alike) and whether the split keeps every group (FMA: every artist) inside one part
 * (`groupingCheck`). Private to `prepare.ts`.
 *
 * @module
 */
import type { SplitName } from "../datasets/split.ts";

/** The decode facts of one file that the manifest records. */
export interface DecodeFacts {
  truncated?: boolean;
  secondsRead?: number;
  badFrames?: number;
}

/**
 * The manifest's note for a damaged file, or undefined when it was read whole: MP3 frames
 * skipped as corrupt ("decoded with 3 bad frames") and a file of any format (WAV/AU data chunk,
 * MP3 stream) cut short ("truncated at 10.0 s"; under a second, two significant digits:
 * "truncated at 0.38 s"), joined with "; " when both.
 *
 * @example
 * ```ts
 * import { decodeNote } from "./_file_notes.ts";
 * decodeNote({ badFrames: 3, truncated: true, secondsRead: 10.04 });
 * // "decoded with 3 bad frames; truncated at 10.0 s"
 * decodeNote({ truncated: true, secondsRead: 0.0929 }); // "truncated at 0.093 s"
 * ```
 */
export function decodeNote(f: DecodeFacts): string | undefined {
  const parts: string[] = [];
  if (f.badFrames) {
    parts.push(`decoded with ${f.badFrames} bad frame${f.badFrames === 1 ? "" : "s"}`);
  }
  if (f.truncated) {
    const s = f.secondsRead ?? 0;
    parts.push(`truncated at ${s >= 1 ? s.toFixed(1) : s.toPrecision(2)} s`);
  }
  return parts.length ? parts.join("; ") : undefined;
}

/** `manifest.json`'s `grouping`: does any group have files in two parts? */
export interface GroupingRecord {
  /** What a group is (`artist`). */
  key: string;
  /** Where the groups come from. */
  source: string;
  /** Over which files the check ran. */
  over: string;
  files_with_group: number;
  files_without_group: number;
  groups: number;
  /** True when no group has files in two parts. */
  disjoint: boolean;
  /** Groups found in more than one part (all of them counted, the first 50 listed). */
  shared_count: number;
  shared: { group: string; files: Partial<Record<SplitName, number>> }[];
  /** The outcome in words. */
  note: string;
}

/**
 * Checks that every group's files lie in one part. `files` are the files whose examples were
 * written (the ones that can leak), each with its group (or none) and part.
 *
 * @example
 * ```ts
 * import { groupingCheck } from "./_file_notes.ts";
 * const r = groupingCheck({ key: "artist", source: "x" }, [
 *   { group: "artist:1", part: "train" },
 *   { group: "artist:1", part: "test" },
 *   { group: "artist:2", part: "val" },
 * ]);
 * r.disjoint; // false
 * ```
 */
export function groupingCheck(
  spec: { key: string; source: string },
  files: readonly { group?: string; part: SplitName }[],
): GroupingRecord {
  const byGroup = new Map<string, Partial<Record<SplitName, number>>>();
  let without = 0;
  for (const f of files) {
    if (f.group === undefined) {
      without++;
      continue;
    }
    const counts = byGroup.get(f.group) ?? {};
    counts[f.part] = (counts[f.part] ?? 0) + 1;
    byGroup.set(f.group, counts);
  }
  const shared = [...byGroup].filter(([, c]) => Object.keys(c).length > 1);
  const key = spec.key;
  const example = shared[0]
    ? ` (e.g. ${shared[0][0]} in ${Object.keys(shared[0][1]).join(" and ")})`
    : "";
  return {
    key,
    source: spec.source,
    over: "files whose examples were written",
    files_with_group: files.length - without,
    files_without_group: without,
    groups: byGroup.size,
    disjoint: shared.length === 0,
    shared_count: shared.length,
    shared: shared.slice(0, 50).map(([group, c]) => ({ group, files: c })),
    note: shared.length === 0
      ? `held: no ${key} has files in two parts (${byGroup.size} ${key}s)`
      : `not held: ${shared.length} of ${byGroup.size} ${key}s have files in more than one ` +
        `part${example}`,
  };
}
