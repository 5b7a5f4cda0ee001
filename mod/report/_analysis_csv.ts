/**
 * Private CSV-field helpers of the final analysis (`analysis.ts`): header rows to objects,
 * required-column checks that name the file, and lenient number parsing.
 *
 * @module
 */

/** Records with a header row → one object per data row (fields trimmed); `source` names errors. */
export function recordsToObjects(records: string[][], source: string): Record<string, string>[] {
  if (!records.length) return [];
  const header = records[0]!.map((h) => h.trim());
  return records.slice(1).map((r, i) => {
    if (r.length !== header.length) {
      throw new Error(
        `${source}: line ${i + 2} has ${r.length} fields, the header ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, j) => [h, r[j]!.trim()]));
  });
}

/** Throws naming `path` and the absent columns when the (non-empty) rows lack any of `cols`. */
export function requireColumns(rows: Record<string, string>[], path: string, cols: string[]): void {
  if (!rows.length) return;
  const have = new Set(Object.keys(rows[0]!));
  const lack = cols.filter((c) => !have.has(c));
  if (lack.length) throw new Error(`${path}: missing column(s) ${lack.join(", ")}`);
}

/** A field as a finite number; null when absent, empty, NaN/None/null/NA or not a number. */
export function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === "" || /^(nan|none|null|na)$/i.test(v.trim())) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
