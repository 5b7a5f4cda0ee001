/**
 * Reading audio as the datasets publish it: WAV (PCM 8–32 bit, float, extensible, RF64), AU/SND
 * and MP3 decoded to mono float32, resampled to the rate a feature recipe asks for, and WAV writing
 * for generated data. Imports only the root helpers.
 *
 * @example
 * ```ts
 * import { decodeAudio, encodeWav } from "./mod.ts";
 * const tone = Float32Array.from({ length: 44_100 }, (_, i) => Math.sin(2 * Math.PI * 440 * i / 44_100));
 * const wav = encodeWav(tone, 44_100);
 * const audio = await decodeAudio(wav, "tone.wav", { targetRate: 22_050 });
 * console.log(audio.sampleRate, audio.samples.length); // 22050 22050
 * ```
 *
 * @module
 */
export * from "./audio.ts";
export * from "./resample.ts";
export * from "./wav_write.ts";
export * from "./finite.ts";
