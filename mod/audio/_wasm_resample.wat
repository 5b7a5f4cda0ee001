;; 2:1 decimation by an FIR (the 44.1 kHz → 22.05 kHz case of `resample.ts`), eight outputs at a
;; time in four f64x2 accumulators.
;;
;; Output n is Σ_k taps[k]·xp[2n + 1 + k], k = 0..K-1 (K even), summed in k order in float64 with
;; no fused multiply-add: exactly the JavaScript polyphase loop's arithmetic, so the float32
;; results are bit-identical to it. The input is given de-interleaved, E[i] = xp[2i] and
;; O[i] = xp[2i + 1], so that tap 2q reads O[n + q] and tap 2q + 1 reads E[n + q + 1]: consecutive
;; outputs read consecutive f64s, one v128 load for two outputs.
;;
;; Regenerate `_simd_resample_bytes.ts` after editing: see `scripts/build_wasm.ts`.
(module
  (memory (export "memory") 1)

  ;; Outputs n = 0 .. $count-1 ($count a multiple of 8) as f32 at $out + 4n; taps f64 at $taps,
  ;; E and O f64 at $e and $o.
  (func (export "decimate2")
    (param $taps i32) (param $K i32) (param $e i32) (param $o i32) (param $out i32)
    (param $count i32)
    (local $n i32) (local $tp i32) (local $tend i32) (local $pe i32) (local $po i32)
    (local $h v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $tend (i32.add (local.get $taps) (i32.shl (local.get $K) (i32.const 3))))
    (block $done
      (loop $outputs
        (br_if $done (i32.ge_u (local.get $n) (local.get $count)))
        (local.set $a0 (f64x2.splat (f64.const 0)))
        (local.set $a1 (f64x2.splat (f64.const 0)))
        (local.set $a2 (f64x2.splat (f64.const 0)))
        (local.set $a3 (f64x2.splat (f64.const 0)))
        (local.set $tp (local.get $taps))
        (local.set $po (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $pe (i32.add (local.get $e) (i32.shl (local.get $n) (i32.const 3))))
        (loop $taps
          (local.set $h (v128.load64_splat (local.get $tp)))
          (local.set $a0 (f64x2.add (local.get $a0)
            (f64x2.mul (local.get $h) (v128.load (local.get $po)))))
          (local.set $a1 (f64x2.add (local.get $a1)
            (f64x2.mul (local.get $h) (v128.load offset=16 (local.get $po)))))
          (local.set $a2 (f64x2.add (local.get $a2)
            (f64x2.mul (local.get $h) (v128.load offset=32 (local.get $po)))))
          (local.set $a3 (f64x2.add (local.get $a3)
            (f64x2.mul (local.get $h) (v128.load offset=48 (local.get $po)))))
          (local.set $h (v128.load64_splat offset=8 (local.get $tp)))
          (local.set $a0 (f64x2.add (local.get $a0)
            (f64x2.mul (local.get $h) (v128.load offset=8 (local.get $pe)))))
          (local.set $a1 (f64x2.add (local.get $a1)
            (f64x2.mul (local.get $h) (v128.load offset=24 (local.get $pe)))))
          (local.set $a2 (f64x2.add (local.get $a2)
            (f64x2.mul (local.get $h) (v128.load offset=40 (local.get $pe)))))
          (local.set $a3 (f64x2.add (local.get $a3)
            (f64x2.mul (local.get $h) (v128.load offset=56 (local.get $pe)))))
          (local.set $tp (i32.add (local.get $tp) (i32.const 16)))
          (local.set $po (i32.add (local.get $po) (i32.const 8)))
          (local.set $pe (i32.add (local.get $pe) (i32.const 8)))
          (br_if $taps (i32.lt_u (local.get $tp) (local.get $tend))))
        (local.set $pe (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
        (v128.store (local.get $pe)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $a0))
            (f32x4.demote_f64x2_zero (local.get $a1))))
        (v128.store offset=16 (local.get $pe)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $a2))
            (f32x4.demote_f64x2_zero (local.get $a3))))
        (local.set $n (i32.add (local.get $n) (i32.const 8)))
        (br $outputs)))))
