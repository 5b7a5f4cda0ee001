import FFT from "fft.js";
import { assert, assertThrows } from "../_assert.ts";
import { Rng } from "../rng.ts";
import { RealFft } from "./_fft.ts";

Deno.test("RealFft equals fft.js realTransform (sizes 8..4096) to 1e-12 relative", () => {
  const rng = new Rng(1);
  for (let n = 8; n <= 4096; n *= 2) {
    const x = Float64Array.from({ length: n }, () => rng.next() * 2 - 1);
    const ref = new Float64Array(2 * n);
    new FFT(n).realTransform(ref, x);
    const fft = new RealFft(n);
    const re = new Float64Array(n / 2 + 1), im = new Float64Array(n / 2 + 1);
    const pw = new Float64Array(n / 2 + 1);
    fft.transform(x, re, im);
    fft.power(x, pw);
    let scale = 0;
    for (let k = 0; k <= n / 2; k++) {
      scale = Math.max(scale, Math.hypot(ref[2 * k]!, ref[2 * k + 1]!));
    }
    for (let k = 0; k <= n / 2; k++) {
      assert(Math.abs(re[k]! - ref[2 * k]!) <= 1e-12 * scale, `n=${n} re[${k}]`);
      assert(Math.abs(im[k]! - ref[2 * k + 1]!) <= 1e-12 * scale, `n=${n} im[${k}]`);
      assert(Math.abs(pw[k]! - (re[k]! ** 2 + im[k]! ** 2)) <= 1e-12 * scale * scale, `n=${n} pw`);
    }
  }
});

Deno.test("RealFft: window and offset, impulse and cosine spectra, bad sizes", () => {
  const n = 64;
  const fft = new RealFft(n);
  const pw = new Float64Array(n / 2 + 1);
  // A unit impulse at t0 in a longer buffer (offset 5): flat power 1.
  const x = new Float64Array(n + 10);
  x[5 + 3] = 1;
  fft.power(x, pw, 5);
  assert(pw.every((v) => Math.abs(v - 1) < 1e-12));
  // cos(2π·4t/n) windowed by 2: power (2·n/2)² at bin 4 only.
  const c = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 4 * t) / n));
  fft.power(c, pw, 0, new Float64Array(n).fill(2));
  pw.forEach((v, k) => assert(Math.abs(v - (k === 4 ? n * n : 0)) < 1e-9, `bin ${k}: ${v}`));
  assertThrows(() => new RealFft(100), RangeError, "power of two");
  assertThrows(() => new RealFft(4), RangeError, "power of two");
});
