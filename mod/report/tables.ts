/**
 * Result tables: one typed structure written three ways: CSV with raw values (fractions, full
 * precision, for further analysis), Markdown and HTML with formatted values (percentages, units)
 * for reading.
 *
 * @module
 */
/** How a column's values are shown in Markdown and HTML (CSV always keeps raw values). */
export type ColumnFormat =
  | "text"
  | "int"
  | "pct"
  | "pp"
  | "num2"
  | "num4"
  | "si"
  | "bool";

/** A column: CSV header `key`, readable `label`, display format. */
export interface Column {
  /** CSV header. */
  key: string;
  /** Header shown in Markdown and HTML (with units). */
  label: string;
  /** Display format (default "text"). */
  format?: ColumnFormat;
}

/** A cell value: raw number, text, boolean, or null (missing). */
export type Cell = string | number | boolean | null;

/** A table with a file name, a title and rows of raw values. */
export interface Table {
  /** File stem, e.g. "wp1_ablation". */
  name: string;
  /** Title shown above it. */
  title: string;
  /** Columns. */
  columns: Column[];
  /** Rows of raw values, one per column. */
  rows: Cell[][];
  /** Optional note shown below it. */
  note?: string;
}

/**
 * Formats one value for reading: "pct" shows a fraction as a percentage with 2 decimals, "pp"
 * signed percentage points, "si" a compact number (1.23 M), "bool" yes/no; null (missing) shows
 * "–".
 *
 * @example
 * ```ts
 * import { formatCell } from "./tables.ts";
 * formatCell(0.81234, "pct"); // "81.23"
 * formatCell(2.5e6, "si"); // "2.50 M"
 * ```
 */
export function formatCell(value: Cell, format: ColumnFormat = "text"): string {
  if (value === null || (typeof value === "number" && Number.isNaN(value))) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  switch (format) {
    case "int":
      return Math.round(value).toLocaleString("en-US");
    case "pct":
      return (100 * value).toFixed(2);
    case "pp":
      return (value > 0 ? "+" : "") + value.toFixed(2);
    case "num2":
      return value.toFixed(2);
    case "num4":
      return value.toFixed(4);
    case "si": {
      const units: [number, string][] = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
      for (const [f, u] of units) if (Math.abs(value) >= f) return `${(value / f).toFixed(2)} ${u}`;
      return String(value);
    }
    case "bool":
      return value ? "yes" : "no";
    default:
      return String(value);
  }
}

/**
 * The table as CSV (header = column keys, raw values, empty for null).
 *
 * @example
 * ```ts
 * import { tableToCsv } from "./tables.ts";
 * tableToCsv({ name: "t", title: "T", columns: [{ key: "a", label: "A" }], rows: [[1]] }); // "a\n1\n"
 * ```
 */
export function tableToCsv(table: Table): string {
  return csvText([table.columns.map((c) => c.key), ...table.rows]);
}

/**
 * Rows as RFC 4180 CSV text (`\n` line ends; fields with a comma, quote, line break or edge
 * space quoted; null as an empty field; booleans as true/false).
 *
 * @example
 * ```ts
 * import { csvText } from "./tables.ts";
 * csvText([["a", 'say "hi"'], [1, null]]); // 'a,"say ""hi"""\n1,\n'
 * ```
 */
export function csvText(rows: readonly (readonly Cell[])[]): string {
  const field = (v: Cell): string => {
    const s = v === null ? "" : String(v);
    return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(field).join(",")).join("\n") + "\n";
}

/**
 * The table as GitHub-flavoured Markdown (formatted values, numbers right-aligned), with its
 * title as a heading and its note below.
 *
 * @example
 * ```ts
 * import { tableToMarkdown } from "./tables.ts";
 * const md = tableToMarkdown({
 *   name: "t",
 *   title: "T",
 *   columns: [{ key: "acc", label: "Accuracy (%)", format: "pct" }],
 *   rows: [[0.5]],
 * });
 * ```
 */
export function tableToMarkdown(table: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`### ${table.title}`, ""];
  lines.push(`| ${table.columns.map((c) => esc(c.label)).join(" | ")} |`);
  lines.push(`|${table.columns.map((c) => (isNumeric(c) ? "---:" : "---")).join("|")}|`);
  for (const row of table.rows) {
    lines.push(
      `| ${row.map((v, i) => esc(formatCell(v, table.columns[i]!.format))).join(" | ")} |`,
    );
  }
  if (table.note) lines.push("", table.note);
  return lines.join("\n") + "\n";
}

/** True when the column holds numbers (right-aligned). */
export function isNumeric(column: Column): boolean {
  return column.format !== undefined && column.format !== "text" && column.format !== "bool";
}
