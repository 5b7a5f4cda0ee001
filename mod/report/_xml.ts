/**
 * A small XML well-formedness check for the SVG files the analysis writes (Deno has no
 * DOMParser): balanced and properly nested elements, quoted and unique attributes, known entity
 * references, one root element. Private to the tests.
 *
 * @module
 */

/**
 * Throws an Error naming the offset and the reason when `text` is not well-formed XML; returns
 * the number of elements per tag name otherwise.
 *
 * @example
 * ```ts
 * import { checkWellFormedXml } from "./_xml.ts";
 * checkWellFormedXml('<svg><g><path d="M0,0"/></g></svg>'); // Map { svg: 1, g: 1, path: 1 }
 * ```
 */
export function checkWellFormedXml(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${why}`);
  };
  const checkText = (s: string): void => {
    for (const m of s.matchAll(/&([^;\s<&]*);?/g)) {
      const ref = m[0];
      if (!/^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);$/.test(ref)) fail(`bad entity ${ref}`);
    }
    if (s.includes("<")) fail("stray <");
  };
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (stack.length === 0 && chunk.trim() !== "") fail("text outside the root element");
    checkText(chunk);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i);
      if (end < 0) fail("unterminated comment");
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i);
      if (end < 0) fail("unterminated CDATA");
      i = end + 3;
    } else if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i);
      if (end < 0) fail("unterminated processing instruction");
      i = end + 2;
    } else if (text.startsWith("</", i)) {
      const m = /^<\/([A-Za-z_][\w:.-]*)\s*>/.exec(text.slice(i, i + 200));
      if (!m) fail("bad end tag");
      const open = stack.pop();
      if (open !== m![1]) fail(`</${m![1]}> closes <${open}>`);
      i += m![0].length;
    } else {
      const m =
        /^<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/
          .exec(text.slice(i, i + 100000));
      if (!m) fail("bad start tag");
      const [whole, name, attrs, selfClose] = m!;
      const seen = new Set<string>();
      for (const a of attrs!.matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
        if (seen.has(a[1]!)) fail(`duplicate attribute ${a[1]} on <${name}>`);
        seen.add(a[1]!);
        checkText(a[3] ?? a[4] ?? "");
      }
      if (stack.length === 0 && ++roots > 1) fail("more than one root element");
      counts.set(name!, (counts.get(name!) ?? 0) + 1);
      if (!selfClose) stack.push(name!);
      i += whole.length;
    }
  }
  if (stack.length) throw new Error(`not well-formed XML: unclosed <${stack.join("> <")}>`);
  if (roots !== 1) throw new Error("not well-formed XML: no root element");
  return counts;
}
