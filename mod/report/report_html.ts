/**
 * The one-page report `index.html`: sections of tables, inline SVG figures and text, each with a
 * short "how to read this". Self-contained (inline CSS and SVG, no scripts, no network): it opens
 * from disk. Links point only to files the caller says exist.
 *
 * @module
 */
import { type Cell, type ColumnFormat, formatCell, isNumeric, type Table } from "./tables.ts";

/** A link to a file beside `index.html` (relative path). */
export interface FileLink {
  /** Text shown. */
  text: string;
  /** Relative path from index.html. */
  href: string;
}

/** One block of a section. */
export type HtmlBlock =
  | { kind: "table"; table: Table; links?: FileLink[] }
  | { kind: "figure"; svg: string; caption: string; id: string; links?: FileLink[] }
  | { kind: "text"; text: string }
  | { kind: "pre"; text: string; caption?: string }
  | { kind: "list"; items: string[]; warn?: boolean };

/** A page section. */
export interface HtmlSection {
  /** Anchor id. */
  id: string;
  /** Heading. */
  title: string;
  /** "How to read this" paragraph (plain text). */
  howToRead?: string;
  /** Content. */
  blocks: HtmlBlock[];
}

/** The page. */
export interface HtmlPage {
  /** Page title. */
  title: string;
  /** Line under the title. */
  subtitle?: string;
  /** Sections, in order (a table of contents is generated). */
  sections: HtmlSection[];
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./report_html.ts";
 * escapeHtml('<a href="x">'); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  ).replace(/'/g, "&#39;");
}

/**
 * Prepares an SVG for inlining: drops any XML prolog and prefixes every `id` (and its `url(#…)` /
 * `href="#…"` references) with `prefix`, so that the clip paths of several Vega figures on one
 * page do not collide.
 *
 * @example
 * ```ts
 * import { inlineSvg } from "./report_html.ts";
 * inlineSvg('<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>', "f1");
 * ```
 */
export function inlineSvg(svg: string, prefix: string): string {
  let out = svg.replace(/^\s*<\?xml[^>]*>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/i, "");
  const ids = new Set([...out.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  for (const id of ids) {
    const esc = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out
      .replace(new RegExp(`(\\sid=")${esc}"`, "g"), `$1${prefix}-${id}"`)
      .replace(new RegExp(`url\\(#${esc}\\)`, "g"), `url(#${prefix}-${id})`)
      .replace(new RegExp(`(href=")#${esc}"`, "g"), `$1#${prefix}-${id}"`);
  }
  return out;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 8px; padding-top: 8px; border-top: 2px solid #0072B2; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.subtitle { color: #555; margin: 0 0 16px; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 20px; }
.how { background: #f3f7fb; border-left: 4px solid #56B4E9; padding: 8px 12px; margin: 8px 0 14px; font-size: 14px; }
.how b { color: #0072B2; }
table { border-collapse: collapse; margin: 6px 0 4px; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; border-bottom: 2px solid #bbb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.champion td { background: #fff4d6; font-weight: bold; }
.note { font-size: 12px; color: #555; margin: 2px 0 10px; }
.links { font-size: 12px; margin: 2px 0 14px; }
.links a { margin-right: 12px; color: #0072B2; }
figure { margin: 12px 0 20px; max-width: 100%; }
.figgrid figure { flex: 0 1 auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #333; margin-top: 4px; max-width: 520px; }
.figgrid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
pre { background: #f8f8f8; border: 1px solid #e3e3e3; padding: 10px; font-size: 12px; overflow-x: auto; }
ul.warn li { color: #8a3b00; }
.tablewrap { overflow-x: auto; }
`;

/**
 * Builds the HTML document.
 *
 * @example
 * ```ts
 * import { buildIndexHtml } from "./report_html.ts";
 * const html = buildIndexHtml({
 *   title: "Results",
 *   sections: [{ id: "a", title: "A", blocks: [{ kind: "text", text: "hello" }] }],
 * });
 * ```
 */
export function buildIndexHtml(page: HtmlPage): string {
  const parts: string[] = [];
  parts.push(
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(page.title)}</h1>`,
  );
  if (page.subtitle) parts.push(`<p class="subtitle">${escapeHtml(page.subtitle)}</p>`);
  parts.push("<nav><b>Contents</b><ol>");
  for (const s of page.sections) {
    parts.push(`<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`);
  }
  parts.push("</ol></nav>");
  for (const s of page.sections) {
    parts.push(`<section id="${escapeHtml(s.id)}">`, `<h2>${escapeHtml(s.title)}</h2>`);
    if (s.howToRead) {
      parts.push(`<p class="how"><b>How to read this.</b> ${escapeHtml(s.howToRead)}</p>`);
    }
    let figRun: string[] = [];
    const flushFigures = (): void => {
      if (figRun.length) parts.push(`<div class="figgrid">${figRun.join("\n")}</div>`);
      figRun = [];
    };
    for (const b of s.blocks) {
      if (b.kind === "figure") {
        figRun.push(
          `<figure id="${escapeHtml(b.id)}">${inlineSvg(b.svg, b.id)}<figcaption>${
            escapeHtml(b.caption)
          }</figcaption>${linksHtml(b.links)}</figure>`,
        );
        continue;
      }
      flushFigures();
      if (b.kind === "table") parts.push(tableHtml(b.table), linksHtml(b.links));
      else if (b.kind === "text") parts.push(`<p>${escapeHtml(b.text)}</p>`);
      else if (b.kind === "pre") {
        if (b.caption) parts.push(`<h3>${escapeHtml(b.caption)}</h3>`);
        parts.push(`<pre>${escapeHtml(b.text)}</pre>`);
      } else {
        parts.push(
          `<ul${b.warn ? ' class="warn"' : ""}>${
            b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")
          }</ul>`,
        );
      }
    }
    flushFigures();
    parts.push("</section>");
  }
  parts.push("</body>", "</html>");
  return parts.join("\n") + "\n";
}

/**
 * Relative file references (`href`/`src` not starting with `#`, a scheme or `/`) in a page, without
 * their query string and fragment (the files a static host must have).
 */
export function localReferences(html: string): string[] {
  const refs = new Set<string>();
  for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const ref = m[1]!;
    if (ref.startsWith("#") || /^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith("/")) continue;
    refs.add(decodeURIComponent(ref.split("#")[0]!.split("?")[0]!));
  }
  return [...refs].sort();
}

function tableHtml(t: Table): string {
  const head = t.columns.map((c) =>
    `<th${isNumeric(c) ? ' class="num"' : ""}>${escapeHtml(c.label)}</th>`
  ).join("");
  const body = t.rows.map((r) => {
    const champion = r.some((v) => v === "★");
    return `<tr${champion ? ' class="champion"' : ""}>${
      r.map((v, i) => cellHtml(v, t.columns[i]!.format, isNumeric(t.columns[i]!))).join("")
    }</tr>`;
  }).join("\n");
  return `<h3>${
    escapeHtml(t.title)
  }</h3><div class="tablewrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${
    t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ""
  }`;
}

function cellHtml(v: Cell, format: ColumnFormat | undefined, numeric: boolean): string {
  return `<td${numeric ? ' class="num"' : ""}>${escapeHtml(formatCell(v, format))}</td>`;
}

function linksHtml(links: FileLink[] | undefined): string {
  if (!links?.length) return "";
  return `<div class="links">${
    links.map((l) => `<a href="${escapeHtml(encodeURI(l.href))}">${escapeHtml(l.text)}</a>`).join(
      "",
    )
  }</div>`;
}
