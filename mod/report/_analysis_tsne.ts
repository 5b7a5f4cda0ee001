/**
 * Private t-SNE section of the final analysis (`analysis.ts`): the champion's pooled features
 * (from the caller's `EmbeddingSource`), a class-balanced seeded subsample, an exact
 * t-SNE with its trustworthiness, cached by the source's key and the settings, and the figure.
 *
 * @module
 */
import { sha256Hex } from "../fs.ts";
import { Rng } from "../rng.ts";
import { CACHE_VERSION, cached, concat } from "./_analysis_cache.ts";
import type { AnalysisState } from "./_analysis_types.ts";
import type { AnalysisOptions } from "./analysis_types.ts";
import { tsneSpec } from "./plots.ts";
import { balancedSubsample, trustworthiness, tsneInterruptible } from "./tsne.ts";

/**
 * Adds the t-SNE figure of the champion's pooled features to `state.figures`, from
 * `options.embedding` (≤ `options.tsnePerClass` segments per class, `options.tsneIterations`
 * iterations, `seed`); `labelNames` (the predictions file's classes) name the classes when the
 * embedding does not. No extractor, or one that answers with a reason, goes to `state.miss`.
 */
export async function championTsne(
  state: AnalysisState,
  options: AnalysisOptions,
  seed: number,
  champion: { model: string; tag: string; run?: string },
  labelNames: string[] | null,
): Promise<void> {
  const { out, useCache, figures, cacheHits, miss, log } = state;
  if (!options.embedding) {
    miss("t-SNE: no feature extractor given (the script passes the champion's model bundle)");
  } else {
    const src = await options.embedding(champion);
    if (typeof src === "string") miss(`t-SNE: ${src}`);
    else {
      const perClass = options.tsnePerClass ?? 100;
      const iterations = options.tsneIterations ?? 1000;
      const key = await sha256Hex(
        concat(
          CACHE_VERSION,
          "tsne",
          src.key,
          String(perClass),
          String(iterations),
          String(seed),
        ),
      );
      const { value: ts, hit } = await cached(out, "tsne", key, useCache, async () => {
        log(`t-SNE: extracting pooled features (${src.description ?? "champion"})`);
        const e = await src.embed();
        const idx = balancedSubsample(e.labels, perClass, new Rng(seed).derive("tsne-subsample"));
        const n = idx.length;
        const x = new Float64Array(n * e.dim);
        idx.forEach((r, i) => x.set(e.features.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
        const t0 = performance.now();
        const res = await tsneInterruptible(x, n, e.dim, { iterations, seed });
        log(`t-SNE: ${n} points, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return {
          xy: Array.from(res.embedding),
          labels: idx.map((r) => e.labels[r]!),
          labelNames: e.labelNames ?? null,
          kl: res.kl,
          perplexity: res.perplexity,
          trust: n > 10 ? trustworthiness(x, res.embedding, n, e.dim, 2, 5) : null,
          dim: e.dim,
        };
      });
      if (hit) cacheHits.push("tsne");
      const names = ts.labelNames ?? labelNames ?? [];
      const points = ts.labels.map((l, i) => ({
        x: ts.xy[2 * i]!,
        y: ts.xy[2 * i + 1]!,
        label: names[l] ?? `class ${l}`,
      }));
      figures.push({
        name: "tsne_champion",
        spec: tsneSpec(points, {
          title: `t-SNE of pooled features: ${champion.model} (${champion.tag})`,
          subtitle: `${points.length} test segments (≤ ${perClass} per genre), ${ts.dim}-d GAP ` +
            `features, perplexity ${ts.perplexity.toFixed(0)}, KL ${ts.kl.toFixed(3)}` +
            (ts.trust !== null ? `, trustworthiness(5) ${ts.trust.toFixed(3)}` : ""),
          labels: names.length ? names : undefined,
        }),
        caption: "t-SNE of the champion's global-average-pooled features on test segments, " +
          "coloured and shaped by true genre.",
        section: "deepdive",
      });
    }
  }
}
