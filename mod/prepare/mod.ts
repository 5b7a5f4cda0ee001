/**
 * The leak-free setup pipeline: split per file before segmenting, extract log-mels on every core,
 * fit the scaler on the training files only, write `X/y/track_*.npy`, the scaler, labels and a
 * manifest atomically; and the plain readers of that folder ({@linkcode loadProcessed}, sample
 * sources) that the engine batches from. Never imports the engine. Imports datasets, features, audio
 * and the root helpers.
 *
 * @example
 * ```ts
 * import { arraySource, batchRanges } from "./mod.ts";
 * const src = arraySource(new Float32Array(5 * 4), new Int32Array([0, 1, 0, 1, 0]), [2, 2, 1], 2);
 * const { x, y } = await src.read([4, 1]);
 * console.log(x.length, y, batchRanges(src.length, 2)); // 8 Int32Array(2) [0, 1] [[0, 2], [2, 4], [4, 5]]
 * ```
 *
 * @module
 */
export * from "./prepare.ts";
export * from "./processed.ts";
export * from "./samples.ts";
export * from "./setup_cli.ts";
export * from "./setup_summary.ts";
