;; Polyphase FIR resampling in float32 (the table path of `resample.ts`), four outputs of one
;; phase at a time, eight taps per step in two f32x4 accumulators per output.
;;
;; Output j (0 ≤ j < $count) uses row r = j mod L of the tap table (the taps of phase
;; ((j·M) mod L)/L, ordered so by the caller) and the K inputs
;; x[floor(j·M/L) + k], k = 0..K-1 (K a multiple of 8):
;;   a = Σ over even steps i of taps[r][8i..8i+3] ⊙ x[s+8i..s+8i+3]   (lane by lane, in i order)
;;   b = Σ over odd halves     taps[r][8i+4..8i+7] ⊙ x[s+8i+4..s+8i+7]
;;   v = a + b;  out[j] = (v0 + v2) + (v1 + v3)
;; in IEEE float32 with no fused multiply-add, so `_simd_resample.ts`'s JavaScript fallback,
;; which does the same operations in the same order, gives bit-identical results.
;; Outputs j, j+L, j+2L, j+3L share row r and read inputs M apart: they are computed together
;; so that each tap vector is loaded once for four products.
;;
;; Regenerate `_simd_resample_bytes.ts` after editing: see `scripts/build_wasm.ts`.
(module
  (memory (export "memory") 1)

  ;; Σ of the four lanes of a + b, in the documented order.
  (func $hsum (param $a v128) (param $b v128) (result f32)
    (local $v v128)
    (local.set $v (f32x4.add (local.get $a) (local.get $b)))
    (local.set $v (f32x4.add (local.get $v)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v))))

  ;; Taps: L rows of K f32 at $taps. Inputs f32 at $x. Outputs f32 at $out + 4j.
  (func (export "polyphase")
    (param $taps i32) (param $K i32) (param $L i32) (param $M i32)
    (param $x i32) (param $out i32) (param $count i32)
    (local $r i32) (local $row i32) (local $j i32) (local $p i32) (local $step i32)
    (local $k i32) (local $kend i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $h0 v128) (local $h1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $kend (i32.shl (local.get $K) (i32.const 2)))
    (local.set $step (i32.shl (local.get $M) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $L)))
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $row (i32.add (local.get $taps)
          (i32.mul (local.get $r) (local.get $kend))))
        ;; p = x + 4·floor(r·M/L)
        (local.set $p (i32.add (local.get $x) (i32.shl
          (i32.wrap_i64 (i64.div_u
            (i64.mul (i64.extend_i32_u (local.get $r)) (i64.extend_i32_u (local.get $M)))
            (i64.extend_i32_u (local.get $L))))
          (i32.const 2))))
        (local.set $j (local.get $r))
        ;; four outputs j, j+L, j+2L, j+3L while j+3L < count
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.ge_u
              (i32.add (local.get $j) (i32.mul (local.get $L) (i32.const 3)))
              (local.get $count)))
            (local.set $p1 (i32.add (local.get $p) (local.get $step)))
            (local.set $p2 (i32.add (local.get $p1) (local.get $step)))
            (local.set $p3 (i32.add (local.get $p2) (local.get $step)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $b2 (v128.const i32x4 0 0 0 0))
            (local.set $b3 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $taps8
              (local.set $h0 (v128.load (i32.add (local.get $row) (local.get $k))))
              (local.set $h1 (v128.load offset=16 (i32.add (local.get $row) (local.get $k))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $h0)
                (v128.load (i32.add (local.get $p) (local.get $k))))))
              (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $h1)
                (v128.load offset=16 (i32.add (local.get $p) (local.get $k))))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $h0)
                (v128.load (i32.add (local.get $p1) (local.get $k))))))
              (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $h1)
                (v128.load offset=16 (i32.add (local.get $p1) (local.get $k))))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $h0)
                (v128.load (i32.add (local.get $p2) (local.get $k))))))
              (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $h1)
                (v128.load offset=16 (i32.add (local.get $p2) (local.get $k))))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $h0)
                (v128.load (i32.add (local.get $p3) (local.get $k))))))
              (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $h1)
                (v128.load offset=16 (i32.add (local.get $p3) (local.get $k))))))
              (local.set $k (i32.add (local.get $k) (i32.const 32)))
              (br_if $taps8 (i32.lt_u (local.get $k) (local.get $kend))))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
              (call $hsum (local.get $a0) (local.get $b0)))
            (f32.store (i32.add (local.get $out) (i32.shl
              (i32.add (local.get $j) (local.get $L)) (i32.const 2)))
              (call $hsum (local.get $a1) (local.get $b1)))
            (f32.store (i32.add (local.get $out) (i32.shl
              (i32.add (local.get $j) (i32.shl (local.get $L) (i32.const 1))) (i32.const 2)))
              (call $hsum (local.get $a2) (local.get $b2)))
            (f32.store (i32.add (local.get $out) (i32.shl
              (i32.add (local.get $j) (i32.mul (local.get $L) (i32.const 3))) (i32.const 2)))
              (call $hsum (local.get $a3) (local.get $b3)))
            (local.set $j (i32.add (local.get $j) (i32.shl (local.get $L) (i32.const 2))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 2))))
            (br $quads)))
        ;; the remaining outputs of this row, one at a time
        (block $singles_done
          (loop $singles
            (br_if $singles_done (i32.ge_u (local.get $j) (local.get $count)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $taps8one
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
                (v128.load (i32.add (local.get $row) (local.get $k)))
                (v128.load (i32.add (local.get $p) (local.get $k))))))
              (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul
                (v128.load offset=16 (i32.add (local.get $row) (local.get $k)))
                (v128.load offset=16 (i32.add (local.get $p) (local.get $k))))))
              (local.set $k (i32.add (local.get $k) (i32.const 32)))
              (br_if $taps8one (i32.lt_u (local.get $k) (local.get $kend))))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
              (call $hsum (local.get $a0) (local.get $b0)))
            (local.set $j (i32.add (local.get $j) (local.get $L)))
            (local.set $p (i32.add (local.get $p) (local.get $step)))
            (br $singles)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; ---- FFT filtering (the L = 1 path): four complex N-point FFTs side by side, one per lane.
  ;; Element i of lane l is at $re/$im + 16i + 4l (float32); twiddles w^j = exp(−2πij/N),
  ;; j < N/2, at $twr/$twi + 4j. Every operation is a lane-wise IEEE float32 add, sub or mul.

  ;; Forward, decimation in frequency: natural order in, bit-reversed order out. For each span
  ;; h = N/2 … 1, group start g, j < h: a = x[g+j], b = x[g+j+h], w = w^(j·N/2h):
  ;;   x[g+j] = a + b;  d = a − b;  x[g+j+h] = (d.re·w.re − d.im·w.im, d.re·w.im + d.im·w.re)
  (func (export "fftDif") (param $re i32) (param $im i32) (param $N i32)
    (param $twr i32) (param $twi i32)
    (local $h i32) (local $g i32) (local $j i32) (local $ts i32) (local $p i32) (local $q i32)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (local $dr v128) (local $di v128) (local $wr v128) (local $wi v128)
    (local.set $h (i32.shr_u (local.get $N) (i32.const 1)))
    (local.set $ts (i32.const 4)) ;; twiddle stride in bytes: 4·N/2h
    (loop $spans
      (local.set $g (i32.const 0))
      (loop $groups
        (local.set $j (i32.const 0))
        (loop $js
          (local.set $wr (v128.load32_splat (i32.add (local.get $twr)
            (i32.mul (local.get $j) (local.get $ts)))))
          (local.set $wi (v128.load32_splat (i32.add (local.get $twi)
            (i32.mul (local.get $j) (local.get $ts)))))
          (local.set $p (i32.shl (i32.add (local.get $g) (local.get $j)) (i32.const 4)))
          (local.set $q (i32.add (local.get $p) (i32.shl (local.get $h) (i32.const 4))))
          (local.set $ar (v128.load (i32.add (local.get $re) (local.get $p))))
          (local.set $ai (v128.load (i32.add (local.get $im) (local.get $p))))
          (local.set $br (v128.load (i32.add (local.get $re) (local.get $q))))
          (local.set $bi (v128.load (i32.add (local.get $im) (local.get $q))))
          (v128.store (i32.add (local.get $re) (local.get $p))
            (f32x4.add (local.get $ar) (local.get $br)))
          (v128.store (i32.add (local.get $im) (local.get $p))
            (f32x4.add (local.get $ai) (local.get $bi)))
          (local.set $dr (f32x4.sub (local.get $ar) (local.get $br)))
          (local.set $di (f32x4.sub (local.get $ai) (local.get $bi)))
          (v128.store (i32.add (local.get $re) (local.get $q))
            (f32x4.sub (f32x4.mul (local.get $dr) (local.get $wr))
              (f32x4.mul (local.get $di) (local.get $wi))))
          (v128.store (i32.add (local.get $im) (local.get $q))
            (f32x4.add (f32x4.mul (local.get $dr) (local.get $wi))
              (f32x4.mul (local.get $di) (local.get $wr))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $js (i32.lt_u (local.get $j) (local.get $h))))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $h) (i32.const 1))))
        (br_if $groups (i32.lt_u (local.get $g) (local.get $N))))
      (local.set $ts (i32.shl (local.get $ts) (i32.const 1)))
      (local.set $h (i32.shr_u (local.get $h) (i32.const 1)))
      (br_if $spans (i32.ne (local.get $h) (i32.const 0)))))

  ;; Multiplies by the filter's spectrum and folds F adjacent bins (F a power of two): for
  ;; p < n, x[p] = Σ_{t<F} x[pF + t]·s[pF + t] (sum left to right; s, one spectrum for all lanes,
  ;; at $sr/$si + 4i), each product (x.re·s.re − x.im·s.im, x.re·s.im + x.im·s.re). In
  ;; bit-reversed order bins pF … pF+F−1 are k, k + N/F, …: their sum is the spectrum of every
  ;; F-th sample of the result, so an n = N/F-point inverse gives just those.
  (func (export "mulFold") (param $re i32) (param $im i32) (param $n i32) (param $F i32)
    (param $sr i32) (param $si i32)
    (local $p i32) (local $t i32) (local $i i32) (local $a i32) (local $b i32)
    (local $xr v128) (local $xi v128) (local $wr v128) (local $wi v128)
    (local $zr v128) (local $zi v128) (local $yr v128) (local $yi v128)
    (loop $bins
      (local.set $t (i32.const 0))
      (local.set $i (i32.mul (local.get $p) (local.get $F)))
      (loop $fold
        (local.set $a (i32.shl (local.get $i) (i32.const 4)))
        (local.set $b (i32.shl (local.get $i) (i32.const 2)))
        (local.set $wr (v128.load32_splat (i32.add (local.get $sr) (local.get $b))))
        (local.set $wi (v128.load32_splat (i32.add (local.get $si) (local.get $b))))
        (local.set $xr (v128.load (i32.add (local.get $re) (local.get $a))))
        (local.set $xi (v128.load (i32.add (local.get $im) (local.get $a))))
        (local.set $yr (f32x4.sub (f32x4.mul (local.get $xr) (local.get $wr))
          (f32x4.mul (local.get $xi) (local.get $wi))))
        (local.set $yi (f32x4.add (f32x4.mul (local.get $xr) (local.get $wi))
          (f32x4.mul (local.get $xi) (local.get $wr))))
        (if (local.get $t)
          (then
            (local.set $zr (f32x4.add (local.get $zr) (local.get $yr)))
            (local.set $zi (f32x4.add (local.get $zi) (local.get $yi))))
          (else
            (local.set $zr (local.get $yr))
            (local.set $zi (local.get $yi))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $fold (i32.lt_u (local.get $t) (local.get $F))))
      (local.set $a (i32.shl (local.get $p) (i32.const 4)))
      (v128.store (i32.add (local.get $re) (local.get $a)) (local.get $zr))
      (v128.store (i32.add (local.get $im) (local.get $a)) (local.get $zi))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $bins (i32.lt_u (local.get $p) (local.get $n)))))

  ;; Inverse without the 1/n, n-point (n ≤ N, twiddles those of N), decimation in time:
  ;; bit-reversed order in, natural order out. For each span h = 1 … n/2, group start g, j < h:
  ;; a = x[g+j], b = x[g+j+h], w = w^(j·N/2h) (N-point twiddles):
  ;;   t = (b.re·w.re + b.im·w.im, b.im·w.re − b.re·w.im)  (b times conj w)
  ;;   x[g+j] = a + t;  x[g+j+h] = a − t
  (func (export "fftDitInv") (param $re i32) (param $im i32) (param $n i32) (param $N i32)
    (param $twr i32) (param $twi i32)
    (local $h i32) (local $g i32) (local $j i32) (local $ts i32) (local $p i32) (local $q i32)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (local $tr v128) (local $ti v128) (local $wr v128) (local $wi v128)
    (local.set $h (i32.const 1))
    (local.set $ts (i32.shl (local.get $N) (i32.const 1))) ;; 4·N/2h bytes for h = 1
    (loop $spans
      (local.set $g (i32.const 0))
      (loop $groups
        (local.set $j (i32.const 0))
        (loop $js
          (local.set $wr (v128.load32_splat (i32.add (local.get $twr)
            (i32.mul (local.get $j) (local.get $ts)))))
          (local.set $wi (v128.load32_splat (i32.add (local.get $twi)
            (i32.mul (local.get $j) (local.get $ts)))))
          (local.set $p (i32.shl (i32.add (local.get $g) (local.get $j)) (i32.const 4)))
          (local.set $q (i32.add (local.get $p) (i32.shl (local.get $h) (i32.const 4))))
          (local.set $ar (v128.load (i32.add (local.get $re) (local.get $p))))
          (local.set $ai (v128.load (i32.add (local.get $im) (local.get $p))))
          (local.set $br (v128.load (i32.add (local.get $re) (local.get $q))))
          (local.set $bi (v128.load (i32.add (local.get $im) (local.get $q))))
          (local.set $tr (f32x4.add (f32x4.mul (local.get $br) (local.get $wr))
            (f32x4.mul (local.get $bi) (local.get $wi))))
          (local.set $ti (f32x4.sub (f32x4.mul (local.get $bi) (local.get $wr))
            (f32x4.mul (local.get $br) (local.get $wi))))
          (v128.store (i32.add (local.get $re) (local.get $p))
            (f32x4.add (local.get $ar) (local.get $tr)))
          (v128.store (i32.add (local.get $im) (local.get $p))
            (f32x4.add (local.get $ai) (local.get $ti)))
          (v128.store (i32.add (local.get $re) (local.get $q))
            (f32x4.sub (local.get $ar) (local.get $tr)))
          (v128.store (i32.add (local.get $im) (local.get $q))
            (f32x4.sub (local.get $ai) (local.get $ti)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $js (i32.lt_u (local.get $j) (local.get $h))))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $h) (i32.const 1))))
        (br_if $groups (i32.lt_u (local.get $g) (local.get $n))))
      (local.set $ts (i32.shr_u (local.get $ts) (i32.const 1)))
      (local.set $h (i32.shl (local.get $h) (i32.const 1)))
      (br_if $spans (i32.lt_u (local.get $h) (local.get $n)))))

  ;; Lane-interleaves 8 overlapping blocks of the staged input $seg (float32, block q starting
  ;; at sample q·B): re[i] = (seg[i], seg[2B+i], seg[4B+i], seg[6B+i]), im[i] the odd blocks.
  (func (export "gather") (param $seg i32) (param $B i32) (param $N i32) (param $re i32)
    (param $im i32)
    (local $i i32) (local $p i32) (local $b4 i32) (local $v v128)
    (local.set $b4 (i32.shl (local.get $B) (i32.const 2)))
    (loop $is
      (local.set $p (i32.add (local.get $seg) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v (v128.load32_splat (local.get $p)))
      (local.set $v (v128.load32_lane 1 (i32.add (local.get $p)
        (i32.shl (local.get $b4) (i32.const 1))) (local.get $v)))
      (local.set $v (v128.load32_lane 2 (i32.add (local.get $p)
        (i32.shl (local.get $b4) (i32.const 2))) (local.get $v)))
      (local.set $v (v128.load32_lane 3 (i32.add (local.get $p)
        (i32.mul (local.get $b4) (i32.const 6))) (local.get $v)))
      (v128.store (i32.add (local.get $re) (i32.shl (local.get $i) (i32.const 4))) (local.get $v))
      (local.set $p (i32.add (local.get $p) (local.get $b4)))
      (local.set $v (v128.load32_splat (local.get $p)))
      (local.set $v (v128.load32_lane 1 (i32.add (local.get $p)
        (i32.shl (local.get $b4) (i32.const 1))) (local.get $v)))
      (local.set $v (v128.load32_lane 2 (i32.add (local.get $p)
        (i32.shl (local.get $b4) (i32.const 2))) (local.get $v)))
      (local.set $v (v128.load32_lane 3 (i32.add (local.get $p)
        (i32.mul (local.get $b4) (i32.const 6))) (local.get $v)))
      (v128.store (i32.add (local.get $im) (i32.shl (local.get $i) (i32.const 4))) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $is (i32.lt_u (local.get $i) (local.get $N)))))

  ;; The outputs of the 8 blocks: dst[q·per + m] = block q's value at index $first + m·M
  ;; (lane q >> 1 of re for even q, of im for odd q), m < per.
  (func (export "scatter") (param $re i32) (param $im i32) (param $first i32) (param $M i32)
    (param $per i32) (param $dst i32)
    (local $q i32) (local $m i32) (local $src i32) (local $step i32)
    (local.set $step (i32.shl (local.get $M) (i32.const 4)))
    (loop $qs
      (local.set $src (i32.add
        (select (local.get $im) (local.get $re) (i32.and (local.get $q) (i32.const 1)))
        (i32.add (i32.shl (local.get $first) (i32.const 4))
          (i32.shl (i32.shr_u (local.get $q) (i32.const 1)) (i32.const 2)))))
      (local.set $m (i32.const 0))
      (loop $ms
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (local.get $step)))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br_if $ms (i32.lt_u (local.get $m) (local.get $per))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br_if $qs (i32.lt_u (local.get $q) (i32.const 8)))))
)
