;; Convolution gradients over NHWC float32 tensors, on WebAssembly SIMD (f32x4), operating in
;; place on the memory of tfjs's wasm backend (imported as env.memory): tensors are addressed by
;; their byte offsets in that heap, nothing is copied in or out.
;;
;; Notation: x [B,H,W,Ci] (layer input), dy [B,Ho,Wo,Co] (gradient of the layer output),
;; w [KH,KW,Ci,Co] (HWIO filter), strides SH, SW, top/left padding PT, PL; output pixel (y, x)
;; reads input pixel (y·SH + kh − PT, x·SW + kw − PL).
;;
;; conv_dw: dW[kh,kw,ci,co] = Σ_{b,y,x} X[b, y·SH+kh−PT, x·SW+kw−PL, ci] · dY[b,y,x,co].
;;   A sum of rank-1 updates, one per output pixel: for each tap (kh, kw) the valid output rows and
;;   columns are an interval, so there are no bounds checks in the inner loop. The register tile is
;;   2 input channels × 16 output channels (8 f32x4 accumulators, loaded from dW and stored back),
;;   swept over a chunk of `rows` output rows of one image so that the chunk's x and dy stay in
;;   cache while every tile of the filter passes over them. Threads take disjoint ranges of Ci or
;;   Co (dW zeroed by the caller).
;;
;; conv_dx: dX[b,i,j,ci] = Σ_{kh,kw,co} dY[b,(i+PT−kh)/SH,(j+PL−kw)/SW,co] · W[kh,kw,ci,co] over
;;   the taps where both quotients are integral. Output row i and column phase pw = j mod SW
;;   only meet the taps kh ≡ i+PT, kw ≡ pw+PL (mod the stride), so each (row, phase) is a stride-1
;;   correlation of dy with a sub-filter: no multiplications by inserted zeros. dy is read from a
;;   zero-padded copy (made by the caller) so that every tap of every output pixel is in bounds,
;;   and the filter from a copy packed as [Ci/8, KH, KW, Co, 8] (the 8 input channels of a tile
;;   contiguous for consecutive output channels: power-of-two strides between them thrashed the
;;   cache at 256 channels). The register tile is 4 output pixels (consecutive in the phase) × 8
;;   input channels; threads take disjoint ranges of rows.
;;
;; `f32x4.relaxed_madd` is a fused multiply-add where the hardware has one; `scripts/build_wasm.ts`
;; also assembles a variant with `f32x4.add (f32x4.mul a b) c` for runtimes without relaxed SIMD,
;; and each in a shared-memory (threaded tfjs) and an unshared build.
;;
;; Regenerate `_simd_conv_bytes.ts` after editing: see `scripts/build_wasm.ts`.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; ceil(a / s) for s > 0 and any sign of a
  (func $cdiv (param $a i32) (param $s i32) (result i32)
    (if (result i32) (i32.ge_s (local.get $a) (i32.const 0))
      (then (i32.div_s (i32.add (local.get $a) (i32.sub (local.get $s) (i32.const 1)))
        (local.get $s)))
      (else (i32.sub (i32.const 0) (i32.div_s (i32.sub (i32.const 0) (local.get $a))
        (local.get $s))))))

  ;; floor(a / s) for s > 0 and any sign of a
  (func $fdiv (param $a i32) (param $s i32) (result i32)
    (if (result i32) (i32.ge_s (local.get $a) (i32.const 0))
      (then (i32.div_s (local.get $a) (local.get $s)))
      (else (i32.sub (i32.const 0) (i32.div_s
        (i32.add (i32.sub (i32.const 0) (local.get $a)) (i32.sub (local.get $s) (i32.const 1)))
        (local.get $s))))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))

  ;; dW tile of 2 input channels × 16 output channels, accumulated over nrows × ncols pixels.
  ;; px: x at (first row, first column, ci); pdy: dy at (first row, first column, co);
  ;; pdw: dW at (tap, ci, co); xrs/drs: bytes between rows; xcs/dcs: bytes between columns;
  ;; dwrs: bytes from dW[.., ci, co] to dW[.., ci + 1, co].
  (func $dw2x16
    (param $px i32) (param $pdy i32) (param $pdw i32) (param $nrows i32) (param $ncols i32)
    (param $xrs i32) (param $drs i32) (param $xcs i32) (param $dcs i32) (param $dwrs i32)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a03 v128)
    (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128)
    (local $s0 v128) (local $s1 v128) (local $d v128)
    (local $p i32) (local $q i32) (local $n i32) (local $pdw1 i32)
    (local.set $pdw1 (i32.add (local.get $pdw) (local.get $dwrs)))
    (local.set $a00 (v128.load (local.get $pdw)))
    (local.set $a01 (v128.load offset=16 (local.get $pdw)))
    (local.set $a02 (v128.load offset=32 (local.get $pdw)))
    (local.set $a03 (v128.load offset=48 (local.get $pdw)))
    (local.set $a10 (v128.load (local.get $pdw1)))
    (local.set $a11 (v128.load offset=16 (local.get $pdw1)))
    (local.set $a12 (v128.load offset=32 (local.get $pdw1)))
    (local.set $a13 (v128.load offset=48 (local.get $pdw1)))
    (loop $rows
      (local.set $p (local.get $px))
      (local.set $q (local.get $pdy))
      (local.set $n (local.get $ncols))
      (loop $cols
        (local.set $s0 (v128.load32_splat (local.get $p)))
        (local.set $s1 (v128.load32_splat offset=4 (local.get $p)))
        (local.set $d (v128.load (local.get $q)))
        (local.set $a00 (f32x4.relaxed_madd (local.get $s0) (local.get $d) (local.get $a00)))
        (local.set $a10 (f32x4.relaxed_madd (local.get $s1) (local.get $d) (local.get $a10)))
        (local.set $d (v128.load offset=16 (local.get $q)))
        (local.set $a01 (f32x4.relaxed_madd (local.get $s0) (local.get $d) (local.get $a01)))
        (local.set $a11 (f32x4.relaxed_madd (local.get $s1) (local.get $d) (local.get $a11)))
        (local.set $d (v128.load offset=32 (local.get $q)))
        (local.set $a02 (f32x4.relaxed_madd (local.get $s0) (local.get $d) (local.get $a02)))
        (local.set $a12 (f32x4.relaxed_madd (local.get $s1) (local.get $d) (local.get $a12)))
        (local.set $d (v128.load offset=48 (local.get $q)))
        (local.set $a03 (f32x4.relaxed_madd (local.get $s0) (local.get $d) (local.get $a03)))
        (local.set $a13 (f32x4.relaxed_madd (local.get $s1) (local.get $d) (local.get $a13)))
        (local.set $p (i32.add (local.get $p) (local.get $xcs)))
        (local.set $q (i32.add (local.get $q) (local.get $dcs)))
        (br_if $cols (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.set $px (i32.add (local.get $px) (local.get $xrs)))
      (local.set $pdy (i32.add (local.get $pdy) (local.get $drs)))
      (br_if $rows (local.tee $nrows (i32.sub (local.get $nrows) (i32.const 1)))))
    (v128.store (local.get $pdw) (local.get $a00))
    (v128.store offset=16 (local.get $pdw) (local.get $a01))
    (v128.store offset=32 (local.get $pdw) (local.get $a02))
    (v128.store offset=48 (local.get $pdw) (local.get $a03))
    (v128.store (local.get $pdw1) (local.get $a10))
    (v128.store offset=16 (local.get $pdw1) (local.get $a11))
    (v128.store offset=32 (local.get $pdw1) (local.get $a12))
    (v128.store offset=48 (local.get $pdw1) (local.get $a13)))

  ;; dW tile of 6 input channels × 8 output channels (12 accumulators): as $dw2x16, with fewer
  ;; loads per multiply-add (2 dy vectors and 6 splats per 12).
  (func $dw6x8
    (param $px i32) (param $pdy i32) (param $pdw i32) (param $nrows i32) (param $ncols i32)
    (param $xrs i32) (param $drs i32) (param $xcs i32) (param $dcs i32) (param $dwrs i32)
    (local $a00 v128)    (local $a01 v128)
    (local $a10 v128)    (local $a11 v128)
    (local $a20 v128)    (local $a21 v128)
    (local $a30 v128)    (local $a31 v128)
    (local $a40 v128)    (local $a41 v128)
    (local $a50 v128)    (local $a51 v128)
    (local $s v128) (local $d0 v128) (local $d1 v128)
    (local $p i32) (local $q i32) (local $n i32) (local $w i32)
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 0))))
    (local.set $a00 (v128.load (local.get $w)))
    (local.set $a01 (v128.load offset=16 (local.get $w)))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 1))))
    (local.set $a10 (v128.load (local.get $w)))
    (local.set $a11 (v128.load offset=16 (local.get $w)))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 2))))
    (local.set $a20 (v128.load (local.get $w)))
    (local.set $a21 (v128.load offset=16 (local.get $w)))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 3))))
    (local.set $a30 (v128.load (local.get $w)))
    (local.set $a31 (v128.load offset=16 (local.get $w)))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 4))))
    (local.set $a40 (v128.load (local.get $w)))
    (local.set $a41 (v128.load offset=16 (local.get $w)))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 5))))
    (local.set $a50 (v128.load (local.get $w)))
    (local.set $a51 (v128.load offset=16 (local.get $w)))
    (loop $rows
      (local.set $p (local.get $px))
      (local.set $q (local.get $pdy))
      (local.set $n (local.get $ncols))
      (loop $cols
        (local.set $d0 (v128.load (local.get $q)))
        (local.set $d1 (v128.load offset=16 (local.get $q)))
        (local.set $s (v128.load32_splat offset=0 (local.get $p)))
        (local.set $a00 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a00)))
        (local.set $a01 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a01)))
        (local.set $s (v128.load32_splat offset=4 (local.get $p)))
        (local.set $a10 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a10)))
        (local.set $a11 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a11)))
        (local.set $s (v128.load32_splat offset=8 (local.get $p)))
        (local.set $a20 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a20)))
        (local.set $a21 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a21)))
        (local.set $s (v128.load32_splat offset=12 (local.get $p)))
        (local.set $a30 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a30)))
        (local.set $a31 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a31)))
        (local.set $s (v128.load32_splat offset=16 (local.get $p)))
        (local.set $a40 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a40)))
        (local.set $a41 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a41)))
        (local.set $s (v128.load32_splat offset=20 (local.get $p)))
        (local.set $a50 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a50)))
        (local.set $a51 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a51)))
        (local.set $p (i32.add (local.get $p) (local.get $xcs)))
        (local.set $q (i32.add (local.get $q) (local.get $dcs)))
        (br_if $cols (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.set $px (i32.add (local.get $px) (local.get $xrs)))
      (local.set $pdy (i32.add (local.get $pdy) (local.get $drs)))
      (br_if $rows (local.tee $nrows (i32.sub (local.get $nrows) (i32.const 1)))))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 0))))
    (v128.store (local.get $w) (local.get $a00))
    (v128.store offset=16 (local.get $w) (local.get $a01))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 1))))
    (v128.store (local.get $w) (local.get $a10))
    (v128.store offset=16 (local.get $w) (local.get $a11))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 2))))
    (v128.store (local.get $w) (local.get $a20))
    (v128.store offset=16 (local.get $w) (local.get $a21))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 3))))
    (v128.store (local.get $w) (local.get $a30))
    (v128.store offset=16 (local.get $w) (local.get $a31))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 4))))
    (v128.store (local.get $w) (local.get $a40))
    (v128.store offset=16 (local.get $w) (local.get $a41))
    (local.set $w (i32.add (local.get $pdw) (i32.mul (local.get $dwrs) (i32.const 5))))
    (v128.store (local.get $w) (local.get $a50))
    (v128.store offset=16 (local.get $w) (local.get $a51)))

  ;; The same with one input channel (odd Ci).
  (func $dw1x16
    (param $px i32) (param $pdy i32) (param $pdw i32) (param $nrows i32) (param $ncols i32)
    (param $xrs i32) (param $drs i32) (param $xcs i32) (param $dcs i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s v128)
    (local $p i32) (local $q i32) (local $n i32)
    (local.set $a0 (v128.load (local.get $pdw)))
    (local.set $a1 (v128.load offset=16 (local.get $pdw)))
    (local.set $a2 (v128.load offset=32 (local.get $pdw)))
    (local.set $a3 (v128.load offset=48 (local.get $pdw)))
    (loop $rows
      (local.set $p (local.get $px))
      (local.set $q (local.get $pdy))
      (local.set $n (local.get $ncols))
      (loop $cols
        (local.set $s (v128.load32_splat (local.get $p)))
        (local.set $a0
          (f32x4.relaxed_madd (local.get $s) (v128.load (local.get $q)) (local.get $a0)))
        (local.set $a1
          (f32x4.relaxed_madd (local.get $s) (v128.load offset=16 (local.get $q)) (local.get $a1)))
        (local.set $a2
          (f32x4.relaxed_madd (local.get $s) (v128.load offset=32 (local.get $q)) (local.get $a2)))
        (local.set $a3
          (f32x4.relaxed_madd (local.get $s) (v128.load offset=48 (local.get $q)) (local.get $a3)))
        (local.set $p (i32.add (local.get $p) (local.get $xcs)))
        (local.set $q (i32.add (local.get $q) (local.get $dcs)))
        (br_if $cols (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.set $px (i32.add (local.get $px) (local.get $xrs)))
      (local.set $pdy (i32.add (local.get $pdy) (local.get $drs)))
      (br_if $rows (local.tee $nrows (i32.sub (local.get $nrows) (i32.const 1)))))
    (v128.store (local.get $pdw) (local.get $a0))
    (v128.store offset=16 (local.get $pdw) (local.get $a1))
    (v128.store offset=32 (local.get $pdw) (local.get $a2))
    (v128.store offset=48 (local.get $pdw) (local.get $a3)))

  ;; Adds this thread's share of dW (input channels [ci0, ci1), output channels [co0, co1), co0
  ;; and co1 multiples of 16) into dw; `rows`: output rows per cache chunk. Co must be a multiple
  ;; of 16.
  (func (export "conv_dw")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $B i32) (param $H i32) (param $W i32) (param $Ci i32)
    (param $Ho i32) (param $Wo i32) (param $Co i32)
    (param $KH i32) (param $KW i32) (param $SH i32) (param $SW i32) (param $PT i32) (param $PL i32)
    (param $ci0 i32) (param $ci1 i32) (param $co0 i32) (param $co1 i32) (param $rows i32)
    (local $b i32) (local $y0 i32) (local $y1 i32) (local $ky i32) (local $kx i32)
    (local $ya i32) (local $yb i32) (local $xa i32) (local $xb i32) (local $ci i32) (local $co i32)
    (local $xrs i32) (local $drs i32) (local $xcs i32) (local $dcs i32)
    (local $xrow i32) (local $dyrow i32) (local $dwtap i32) (local $pxci i32) (local $pdwci i32)
    (local.set $xcs (i32.shl (i32.mul (local.get $SW) (local.get $Ci)) (i32.const 2)))
    (local.set $dcs (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $xrs
      (i32.shl (i32.mul (i32.mul (local.get $SH) (local.get $W)) (local.get $Ci)) (i32.const 2)))
    (local.set $drs (i32.shl (i32.mul (local.get $Wo) (local.get $Co)) (i32.const 2)))
    (local.set $b (i32.const 0))
    (loop $batch
      (local.set $y0 (i32.const 0))
      (loop $chunk
        (local.set $y1 (call $min (i32.add (local.get $y0) (local.get $rows)) (local.get $Ho)))
        (local.set $ky (i32.const 0))
        (loop $taph
          ;; output rows whose input row y·SH + ky − PT lies in [0, H)
          (local.set $ya (call $max (local.get $y0)
            (call $cdiv (i32.sub (local.get $PT) (local.get $ky)) (local.get $SH))))
          (local.set $yb (call $min (local.get $y1) (i32.add (i32.const 1) (call $fdiv
            (i32.sub (i32.add (local.get $H) (local.get $PT)) (i32.add (local.get $ky) (i32.const 1)))
            (local.get $SH)))))
          (if (i32.lt_s (local.get $ya) (local.get $yb)) (then
            (local.set $kx (i32.const 0))
            (loop $tapw
              (local.set $xa (call $max (i32.const 0)
                (call $cdiv (i32.sub (local.get $PL) (local.get $kx)) (local.get $SW))))
              (local.set $xb (call $min (local.get $Wo) (i32.add (i32.const 1) (call $fdiv
                (i32.sub (i32.add (local.get $W) (local.get $PL)) (i32.add (local.get $kx) (i32.const 1)))
                (local.get $SW)))))
              (if (i32.lt_s (local.get $xa) (local.get $xb)) (then
                ;; x at (b, ya·SH + ky − PT, xa·SW + kx − PL, 0); dy at (b, ya, xa, 0)
                (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul
                  (i32.add (i32.mul (local.get $b) (local.get $H))
                    (i32.sub (i32.add (i32.mul (local.get $ya) (local.get $SH)) (local.get $ky))
                      (local.get $PT)))
                  (local.get $W))
                  (i32.sub (i32.add (i32.mul (local.get $xa) (local.get $SW)) (local.get $kx))
                    (local.get $PL)))
                  (local.get $Ci)) (i32.const 2))))
                (local.set $dyrow (i32.add (local.get $dy) (i32.shl (i32.mul (i32.add (i32.mul
                  (i32.add (i32.mul (local.get $b) (local.get $Ho)) (local.get $ya))
                  (local.get $Wo)) (local.get $xa)) (local.get $Co)) (i32.const 2))))
                (local.set $dwtap (i32.add (local.get $dw) (i32.shl (i32.mul (i32.mul
                  (i32.add (i32.mul (local.get $ky) (local.get $KW)) (local.get $kx))
                  (local.get $Ci)) (local.get $Co)) (i32.const 2))))
                (local.set $ci (local.get $ci0))
                (block $ciDone
                  (loop $ciLoop
                    (br_if $ciDone (i32.ge_s (local.get $ci) (local.get $ci1)))
                    (local.set $pxci
                      (i32.add (local.get $xrow) (i32.shl (local.get $ci) (i32.const 2))))
                    (local.set $pdwci (i32.add (local.get $dwtap)
                      (i32.shl (i32.mul (local.get $ci) (local.get $Co)) (i32.const 2))))
                    (local.set $co (local.get $co0))
                    (if (i32.le_s (i32.add (local.get $ci) (i32.const 6)) (local.get $ci1))
                      (then
                        (loop $coLoop6
                          (call $dw6x8 (local.get $pxci)
                            (i32.add (local.get $dyrow) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.add (local.get $pdwci) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.sub (local.get $yb) (local.get $ya))
                            (i32.sub (local.get $xb) (local.get $xa))
                            (local.get $xrs) (local.get $drs) (local.get $xcs) (local.get $dcs)
                            (local.get $dcs))
                          (br_if $coLoop6 (i32.lt_s
                            (local.tee $co (i32.add (local.get $co) (i32.const 8)))
                            (local.get $co1))))
                        (local.set $ci (i32.add (local.get $ci) (i32.const 6)))
                        (br $ciLoop)))
                    (if (i32.le_s (i32.add (local.get $ci) (i32.const 2)) (local.get $ci1))
                      (then
                        (loop $coLoop
                          (call $dw2x16 (local.get $pxci)
                            (i32.add (local.get $dyrow) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.add (local.get $pdwci) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.sub (local.get $yb) (local.get $ya))
                            (i32.sub (local.get $xb) (local.get $xa))
                            (local.get $xrs) (local.get $drs) (local.get $xcs) (local.get $dcs)
                            (local.get $dcs))
                          (br_if $coLoop (i32.lt_s
                            (local.tee $co (i32.add (local.get $co) (i32.const 16)))
                            (local.get $co1))))
                        (local.set $ci (i32.add (local.get $ci) (i32.const 2))))
                      (else
                        (loop $coLoop1
                          (call $dw1x16 (local.get $pxci)
                            (i32.add (local.get $dyrow) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.add (local.get $pdwci) (i32.shl (local.get $co) (i32.const 2)))
                            (i32.sub (local.get $yb) (local.get $ya))
                            (i32.sub (local.get $xb) (local.get $xa))
                            (local.get $xrs) (local.get $drs) (local.get $xcs) (local.get $dcs))
                          (br_if $coLoop1 (i32.lt_s
                            (local.tee $co (i32.add (local.get $co) (i32.const 16)))
                            (local.get $co1))))
                        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))))
                    (br $ciLoop)))))
              (br_if $tapw (i32.lt_s (local.tee $kx (i32.add (local.get $kx) (i32.const 1)))
                (local.get $KW))))))
          (br_if $taph (i32.lt_s (local.tee $ky (i32.add (local.get $ky) (i32.const 1)))
            (local.get $KH))))
        (br_if $chunk (i32.lt_s (local.tee $y0 (local.get $y1)) (local.get $Ho))))
      (br_if $batch (i32.lt_s (local.tee $b (i32.add (local.get $b) (i32.const 1)))
        (local.get $B)))))

  ;; v + bias[0..4) (when bias ≠ 0), then ReLU (act 1) or PReLU with slopes alpha[0..4) (act 2)
  (func $finish (param $v v128) (param $bias i32) (param $alpha i32) (param $act i32)
    (result v128)
    (if (local.get $bias) (then
      (local.set $v (f32x4.add (local.get $v) (v128.load (local.get $bias))))))
    (if (i32.eq (local.get $act) (i32.const 1)) (then
      (local.set $v (f32x4.max (local.get $v) (v128.const i32x4 0 0 0 0)))))
    (if (i32.eq (local.get $act) (i32.const 2)) (then
      (local.set $v (v128.bitselect (local.get $v)
        (f32x4.mul (local.get $v) (v128.load (local.get $alpha)))
        (f32x4.gt (local.get $v) (v128.const i32x4 0 0 0 0))))))
    (local.get $v))

  ;; dX tile of 4 output pixels (consecutive in their column phase) × 8 input channels, summed
  ;; over `ntaps` taps listed at `taps` as (dy byte offset, filter byte offset) pairs relative to
  ;; pdy and pwt, and over Co output channels; stored at out + r·ostride for r < nvalid.
  ;; dcs: bytes between neighbouring dy pixels (Co·4); wrs: bytes between filter rows (Ci·4).
  (func $dx4x8
    (param $taps i32) (param $ntaps i32) (param $pdy i32) (param $pwt i32) (param $Co i32)
    (param $dcs i32) (param $wrs i32) (param $out i32) (param $ostride i32) (param $nvalid i32)
    (param $bias i32) (param $alpha i32) (param $act i32)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $p i32) (local $q i32) (local $n i32) (local $t i32)
    (local $d2 i32) (local $d3 i32)
    (local.set $a00 (v128.const i32x4 0 0 0 0))
    (local.set $a01 (local.get $a00)) (local.set $a10 (local.get $a00))
    (local.set $a11 (local.get $a00)) (local.set $a20 (local.get $a00))
    (local.set $a21 (local.get $a00)) (local.set $a30 (local.get $a00))
    (local.set $a31 (local.get $a00))
    (local.set $d2 (i32.shl (local.get $dcs) (i32.const 1)))
    (local.set $d3 (i32.add (local.get $d2) (local.get $dcs)))
    (block $done
      (br_if $done (i32.eqz (local.get $ntaps)))
      (local.set $t (local.get $taps))
      (loop $tap
        (local.set $p (i32.add (local.get $pdy) (i32.load (local.get $t))))
        (local.set $q (i32.add (local.get $pwt) (i32.load offset=4 (local.get $t))))
        (local.set $n (local.get $Co))
        (loop $co
          (local.set $w0 (v128.load (local.get $q)))
          (local.set $w1 (v128.load offset=16 (local.get $q)))
          (local.set $s (v128.load32_splat (local.get $p)))
          (local.set $a00 (f32x4.relaxed_madd (local.get $s) (local.get $w0) (local.get $a00)))
          (local.set $a01 (f32x4.relaxed_madd (local.get $s) (local.get $w1) (local.get $a01)))
          (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $dcs))))
          (local.set $a10 (f32x4.relaxed_madd (local.get $s) (local.get $w0) (local.get $a10)))
          (local.set $a11 (f32x4.relaxed_madd (local.get $s) (local.get $w1) (local.get $a11)))
          (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $d2))))
          (local.set $a20 (f32x4.relaxed_madd (local.get $s) (local.get $w0) (local.get $a20)))
          (local.set $a21 (f32x4.relaxed_madd (local.get $s) (local.get $w1) (local.get $a21)))
          (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $d3))))
          (local.set $a30 (f32x4.relaxed_madd (local.get $s) (local.get $w0) (local.get $a30)))
          (local.set $a31 (f32x4.relaxed_madd (local.get $s) (local.get $w1) (local.get $a31)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (local.get $wrs)))
          (br_if $co (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.const 8)))
        (br_if $tap (local.tee $ntaps (i32.sub (local.get $ntaps) (i32.const 1))))))
    (if (i32.or (local.get $bias) (local.get $act)) (then
      (local.set $a00 (call $finish (local.get $a00) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a10 (call $finish (local.get $a10) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a20 (call $finish (local.get $a20) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a30 (call $finish (local.get $a30) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $bias (select (i32.add (local.get $bias) (i32.const 16)) (i32.const 0)
        (local.get $bias)))
      (local.set $alpha (i32.add (local.get $alpha) (i32.const 16)))
      (local.set $a01 (call $finish (local.get $a01) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a11 (call $finish (local.get $a11) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a21 (call $finish (local.get $a21) (local.get $bias) (local.get $alpha) (local.get $act)))
      (local.set $a31 (call $finish (local.get $a31) (local.get $bias) (local.get $alpha) (local.get $act)))))
    (v128.store (local.get $out) (local.get $a00))
    (v128.store offset=16 (local.get $out) (local.get $a01))
    (br_if 0 (i32.le_s (local.get $nvalid) (i32.const 1)))
    (local.set $out (i32.add (local.get $out) (local.get $ostride)))
    (v128.store (local.get $out) (local.get $a10))
    (v128.store offset=16 (local.get $out) (local.get $a11))
    (br_if 0 (i32.le_s (local.get $nvalid) (i32.const 2)))
    (local.set $out (i32.add (local.get $out) (local.get $ostride)))
    (v128.store (local.get $out) (local.get $a20))
    (v128.store offset=16 (local.get $out) (local.get $a21))
    (br_if 0 (i32.le_s (local.get $nvalid) (i32.const 3)))
    (local.set $out (i32.add (local.get $out) (local.get $ostride)))
    (v128.store (local.get $out) (local.get $a30))
    (v128.store offset=16 (local.get $out) (local.get $a31)))

  ;; Writes rows [r0, r1) of dX (row index b·H + i) from the padded dy `dyp` [B,Hp,Wp,Co] (dy
  ;; pixel (y, x) at (y + PTOP, x + PLEFT)) and the packed filter `wt` [Ci/8,KH,KW,Co,8].
  ;; `taps`: scratch for KH·KW (dy offset, filter offset) pairs. Ci must be a multiple of 8; Wp
  ;; must leave 3 columns of zeros after the last pixel any tile reads. `bias` (0: none): Ci
  ;; values added to the output; `act` 1 ReLU, 2 PReLU with the Ci slopes at `alpha` (a forward
  ;; convolution's fused bias and activation; 0 for the gradient).
  (func (export "conv_dx")
    (param $dyp i32) (param $wt i32) (param $dx i32) (param $taps i32)
    (param $H i32) (param $W i32) (param $Ci i32) (param $Hp i32) (param $Wp i32) (param $Co i32)
    (param $KH i32) (param $KW i32) (param $SH i32) (param $SW i32) (param $PT i32) (param $PL i32)
    (param $PTOP i32) (param $PLEFT i32) (param $r0 i32) (param $r1 i32)
    (param $bias i32) (param $alpha i32) (param $act i32)
    (local $r i32) (local $b i32) (local $i i32) (local $pw i32) (local $count i32)
    (local $kh i32) (local $kw i32) (local $nt i32) (local $t i32) (local $ci i32) (local $v i32)
    (local $img i32) (local $dcs i32) (local $wrs i32) (local $ostride i32) (local $orow i32)
    (local $pdy i32) (local $yoff i32) (local $n i32)
    (local.set $dcs (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $wrs (i32.const 32))
    (local.set $ostride (i32.mul (local.get $SW) (i32.shl (local.get $Ci) (i32.const 2))))
    (local.set $r (local.get $r0))
    (block $end
      (br_if $end (i32.ge_s (local.get $r) (local.get $r1)))
      (loop $row
        (local.set $b (i32.div_u (local.get $r) (local.get $H)))
        (local.set $i (i32.rem_u (local.get $r) (local.get $H)))
        ;; dyp at (b, 0, 0, 0)
        (local.set $img (i32.add (local.get $dyp)
          (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $Hp)) (local.get $Wp))
            (local.get $dcs))))
        (local.set $orow (i32.add (local.get $dx)
          (i32.shl (i32.mul (i32.mul (local.get $r) (local.get $W)) (local.get $Ci)) (i32.const 2))))
        (local.set $pw (i32.const 0))
        (loop $phase
          (local.set $count (call $cdiv (i32.sub (local.get $W) (local.get $pw)) (local.get $SW)))
          (if (i32.gt_s (local.get $count) (i32.const 0)) (then
            ;; the taps of (row i, phase pw): kh ≡ i + PT, kw ≡ pw + PL (mod stride)
            (local.set $nt (i32.const 0))
            (local.set $kh (i32.const 0))
            (loop $lkh
              (local.set $t (i32.sub (i32.add (local.get $i) (local.get $PT)) (local.get $kh)))
              (if (i32.eqz (i32.rem_s (local.get $t) (local.get $SH))) (then
                ;; dy row (i + PT − kh) / SH + PTOP, as a byte offset in the image
                (local.set $yoff (i32.mul (i32.mul
                  (i32.add (i32.div_s (local.get $t) (local.get $SH)) (local.get $PTOP))
                  (local.get $Wp)) (local.get $dcs)))
                (local.set $kw (i32.const 0))
                (loop $lkw
                  (local.set $t (i32.sub (i32.add (local.get $pw) (local.get $PL)) (local.get $kw)))
                  (if (i32.eqz (i32.rem_s (local.get $t) (local.get $SW))) (then
                    (local.set $n (i32.add (local.get $taps) (i32.shl (local.get $nt) (i32.const 3))))
                    (i32.store (local.get $n) (i32.add (local.get $yoff) (i32.mul
                      (i32.add (i32.div_s (local.get $t) (local.get $SW)) (local.get $PLEFT))
                      (local.get $dcs))))
                    (i32.store offset=4 (local.get $n) (i32.shl (i32.mul
                      (i32.add (i32.mul (local.get $kh) (local.get $KW)) (local.get $kw))
                      (local.get $Co)) (i32.const 5)))
                    (local.set $nt (i32.add (local.get $nt) (i32.const 1)))))
                  (br_if $lkw (i32.lt_s (local.tee $kw (i32.add (local.get $kw) (i32.const 1)))
                    (local.get $KW))))))
              (br_if $lkh (i32.lt_s (local.tee $kh (i32.add (local.get $kh) (i32.const 1)))
                (local.get $KH))))
            (local.set $ci (i32.const 0))
            (loop $lci
              (local.set $v (i32.const 0))
              (loop $lv
                (call $dx4x8 (local.get $taps) (local.get $nt)
                  (i32.add (local.get $img) (i32.mul (local.get $v) (local.get $dcs)))
                  ;; the packed filter of input channels [ci, ci + 8): (ci/8)·KH·KW·Co·32 bytes in
                  (i32.add (local.get $wt) (i32.shl (i32.mul (i32.mul (local.get $ci)
                    (i32.mul (local.get $KH) (local.get $KW))) (local.get $Co)) (i32.const 2)))
                  (local.get $Co) (local.get $dcs) (local.get $wrs)
                  ;; dx at (r, pw + SW·v, ci)
                  (i32.add (i32.add (local.get $orow)
                    (i32.shl (i32.mul (i32.add (local.get $pw) (i32.mul (local.get $SW) (local.get $v)))
                      (local.get $Ci)) (i32.const 2)))
                    (i32.shl (local.get $ci) (i32.const 2)))
                  (local.get $ostride)
                  (i32.sub (local.get $count) (local.get $v))
                  ;; bias and slopes of output channels [ci, ci + 8)
                  (select (i32.add (local.get $bias) (i32.shl (local.get $ci) (i32.const 2)))
                    (i32.const 0) (local.get $bias))
                  (i32.add (local.get $alpha) (i32.shl (local.get $ci) (i32.const 2)))
                  (local.get $act))
                (br_if $lv (i32.lt_s (local.tee $v (i32.add (local.get $v) (i32.const 4)))
                  (local.get $count))))
              (br_if $lci (i32.lt_s (local.tee $ci (i32.add (local.get $ci) (i32.const 8)))
                (local.get $Ci))))))
          (br_if $phase (i32.lt_s (local.tee $pw (i32.add (local.get $pw) (i32.const 1)))
            (local.get $SW))))
        (br_if $row (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1)))
          (local.get $r1))))))

  ;; Forward convolution at any stride: out[b,i,j,o] = Σ_{kh,kw,c} src[b, i·SH + kh, j·SW + kw, c]
  ;; · F(kh,kw,c,o) over a copy of the input padded by the caller (PT rows above, PL columns to the
  ;; left, enough below and to the right for every tap of every tile of 4 pixels), with the filter
  ;; packed as [Co/8, KH, KW, Ci, 8]; rows [r0, r1) of the output (row index b·Ho + i); `bias`,
  ;; `alpha`, `act` as in conv_dx. Same 4×8 tile as the input gradient, reading input pixels SW
  ;; apart.
  (func (export "conv_fwd")
    (param $src i32) (param $wt i32) (param $out i32) (param $taps i32)
    (param $Ho i32) (param $Wo i32) (param $Co i32) (param $Hp i32) (param $Wp i32) (param $Ci i32)
    (param $KH i32) (param $KW i32) (param $SH i32) (param $SW i32) (param $r0 i32) (param $r1 i32)
    (param $bias i32) (param $alpha i32) (param $act i32)
    (local $r i32) (local $b i32) (local $i i32) (local $kh i32) (local $kw i32) (local $nt i32)
    (local $n i32) (local $cb i32) (local $rowb i32) (local $row i32) (local $orow i32)
    (local $co i32) (local $v i32) (local $pix i32) (local $ostride i32)
    (local.set $cb (i32.shl (local.get $Ci) (i32.const 2)))
    (local.set $rowb (i32.mul (local.get $Wp) (local.get $cb)))
    (local.set $pix (i32.mul (local.get $SW) (local.get $cb)))
    (local.set $ostride (i32.shl (local.get $Co) (i32.const 2)))
    ;; taps: (input offset from the window's top-left pixel, filter offset), the same for every row
    (local.set $nt (i32.const 0))
    (local.set $kh (i32.const 0))
    (loop $lkh
      (local.set $kw (i32.const 0))
      (loop $lkw
        (local.set $n (i32.add (local.get $taps) (i32.shl (local.get $nt) (i32.const 3))))
        (i32.store (local.get $n) (i32.add (i32.mul (local.get $kh) (local.get $rowb))
          (i32.mul (local.get $kw) (local.get $cb))))
        (i32.store offset=4 (local.get $n) (i32.shl (i32.mul (local.get $nt) (local.get $Ci))
          (i32.const 5)))
        (local.set $nt (i32.add (local.get $nt) (i32.const 1)))
        (br_if $lkw (i32.lt_s (local.tee $kw (i32.add (local.get $kw) (i32.const 1)))
          (local.get $KW))))
      (br_if $lkh (i32.lt_s (local.tee $kh (i32.add (local.get $kh) (i32.const 1)))
        (local.get $KH))))
    (local.set $r (local.get $r0))
    (block $end
      (br_if $end (i32.ge_s (local.get $r) (local.get $r1)))
      (loop $rows
        (local.set $b (i32.div_u (local.get $r) (local.get $Ho)))
        (local.set $i (i32.rem_u (local.get $r) (local.get $Ho)))
        ;; src at (b, i·SH, 0, 0) of the padded input
        (local.set $row (i32.add (local.get $src) (i32.mul (i32.add
          (i32.mul (local.get $b) (local.get $Hp)) (i32.mul (local.get $i) (local.get $SH)))
          (local.get $rowb))))
        (local.set $orow (i32.add (local.get $out)
          (i32.mul (i32.mul (local.get $r) (local.get $Wo)) (local.get $ostride))))
        (local.set $co (i32.const 0))
        (loop $lco
          (local.set $v (i32.const 0))
          (loop $lv
            (call $dx4x8 (local.get $taps) (local.get $nt)
              (i32.add (local.get $row) (i32.mul (local.get $v) (local.get $pix)))
              ;; the packed filter of output channels [co, co + 8): (co/8)·KH·KW·Ci·32 bytes in
              (i32.add (local.get $wt) (i32.shl (i32.mul (i32.mul (local.get $co) (local.get $nt))
                (local.get $Ci)) (i32.const 2)))
              (local.get $Ci) (local.get $pix) (i32.const 32)
              (i32.add (local.get $orow) (i32.add (i32.mul (local.get $v) (local.get $ostride))
                (i32.shl (local.get $co) (i32.const 2))))
              (local.get $ostride)
              (i32.sub (local.get $Wo) (local.get $v))
              (select (i32.add (local.get $bias) (i32.shl (local.get $co) (i32.const 2)))
                (i32.const 0) (local.get $bias))
              (i32.add (local.get $alpha) (i32.shl (local.get $co) (i32.const 2)))
              (local.get $act))
            (br_if $lv (i32.lt_s (local.tee $v (i32.add (local.get $v) (i32.const 4)))
              (local.get $Wo))))
          (br_if $lco (i32.lt_s (local.tee $co (i32.add (local.get $co) (i32.const 8)))
            (local.get $Co))))
        (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1)))
          (local.get $r1))))))

  ;; Forward 3×3 convolution, stride 1, 'same' padding (1 on every side), by Winograd's minimal
  ;; filtering F(2×2, 3×3) (Lavin & Gray 2016): the output in tiles of 2×2 pixels, each from a 4×4
  ;; input tile d, as Y = Aᵀ [Σ_ci U ⊙ V] A with V = Bᵀ d B and U = G g Gᵀ per (ci, co): 16
  ;; products per tile where the direct convolution has 36. H and W must be even, Ci and Co
  ;; multiples of 8 (Ci of 4). Takes tiles [t0, t1) (tile t: image t / (H/2 · W/2), tile row and
  ;; column within it), in blocks of nb tiles: transforms the block's input tiles into V
  ;; [16][nb][Ci] (pixels outside the image read as zeros: no padded copy of the input), forms the
  ;; 16 products M[ξ] = V[ξ] · U[ξ] ([nb][Co], the 4×8 register tile of conv_dx/conv_fwd), and
  ;; transforms M back into the output tiles with the bias and activation (bias, alpha, act as in
  ;; conv_dx). u: the transformed filter packed as [16][Co/8][Ci][8]; scr: this job's scratch of
  ;; Ci + 4 + (16·nb + 4)·Ci + 16·nb·Co floats.
  (func (export "wino_fwd")
    (param $src i32) (param $u i32) (param $out i32) (param $scr i32)
    (param $H i32) (param $W i32) (param $Ci i32) (param $Co i32)
    (param $t0 i32) (param $t1 i32) (param $nb i32)
    (param $bias i32) (param $alpha i32) (param $act i32)
    (local $tb i32) (local $n i32) (local $t i32) (local $TW i32) (local $per i32)
    (local $b i32) (local $ty i32) (local $tx i32) (local $y i32) (local $x i32)
    (local $cb i32) (local $ob i32) (local $k i32) (local $vb i32) (local $mb i32) (local $tap i32)
    (local $vs i32) (local $ms i32) (local $at i32) (local $xi i32) (local $co i32) (local $v i32)
    (local $row i32) (local $ok i32)
    (local $a00 i32) (local $a01 i32) (local $a02 i32) (local $a03 i32) (local $a10 i32) (local $a11 i32) (local $a12 i32) (local $a13 i32) (local $a20 i32) (local $a21 i32) (local $a22 i32) (local $a23 i32) (local $a30 i32) (local $a31 i32) (local $a32 i32) (local $a33 i32) (local $p00 v128) (local $p01 v128) (local $p02 v128) (local $p03 v128) (local $p10 v128) (local $p11 v128) (local $p12 v128) (local $p13 v128) (local $p20 v128) (local $p21 v128) (local $p22 v128) (local $p23 v128) (local $p30 v128) (local $p31 v128) (local $p32 v128) (local $p33 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local.set $cb (i32.shl (local.get $Ci) (i32.const 2)))
    (local.set $ob (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $TW (i32.shr_u (local.get $W) (i32.const 1)))
    (local.set $per (i32.mul (i32.shr_u (local.get $H) (i32.const 1)) (local.get $TW)))
    ;; scratch: a zero row of Ci floats (what pixels outside the image read), one tap (0, 0) for
    ;; $dx4x8, V, then M
    (local.set $k (i32.const 0))
    (loop $zero
      (v128.store (i32.add (local.get $scr) (local.get $k)) (v128.const i32x4 0 0 0 0))
      (br_if $zero (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
    (local.set $tap (i32.add (local.get $scr) (local.get $cb)))
    (i64.store (local.get $tap) (i64.const 0))
    (local.set $vb (i32.add (local.get $tap) (i32.const 16)))
    (local.set $vs (i32.mul (local.get $nb) (local.get $cb)))
    (local.set $mb (i32.add (local.get $vb) (i32.mul (i32.add (i32.shl (local.get $nb) (i32.const 4)) (i32.const 4)) (local.get $cb))))
    (local.set $ms (i32.mul (local.get $nb) (local.get $ob)))
    (local.set $tb (local.get $t0))
    (block $end
      (br_if $end (i32.ge_s (local.get $tb) (local.get $t1)))
      (loop $block
        (local.set $n (i32.sub (call $min (i32.add (local.get $tb) (local.get $nb)) (local.get $t1)) (local.get $tb)))
        ;; input transform: V[ξ][t − tb][·] = (Bᵀ d B)[ξ]
        (local.set $t (i32.const 0))
        (loop $lin
          (local.set $b (i32.div_u (i32.add (local.get $tb) (local.get $t)) (local.get $per)))
          (local.set $k (i32.rem_u (i32.add (local.get $tb) (local.get $t)) (local.get $per)))
          (local.set $ty (i32.div_u (local.get $k) (local.get $TW)))
          (local.set $tx (i32.rem_u (local.get $k) (local.get $TW)))
          (local.set $y (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const -1)))
          (local.set $row (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $y)) (local.get $W))
            (i32.sub (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1))) (local.get $cb))))
          (local.set $ok (i32.lt_u (local.get $y) (local.get $H)))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const -1)))
          (local.set $a00 (select (i32.add (local.get $row) (i32.mul (i32.const 0) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 0)))
          (local.set $a01 (select (i32.add (local.get $row) (i32.mul (i32.const 1) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1)))
          (local.set $a02 (select (i32.add (local.get $row) (i32.mul (i32.const 2) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 2)))
          (local.set $a03 (select (i32.add (local.get $row) (i32.mul (i32.const 3) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $y (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const 0)))
          (local.set $row (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $y)) (local.get $W))
            (i32.sub (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1))) (local.get $cb))))
          (local.set $ok (i32.lt_u (local.get $y) (local.get $H)))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const -1)))
          (local.set $a10 (select (i32.add (local.get $row) (i32.mul (i32.const 0) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 0)))
          (local.set $a11 (select (i32.add (local.get $row) (i32.mul (i32.const 1) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1)))
          (local.set $a12 (select (i32.add (local.get $row) (i32.mul (i32.const 2) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 2)))
          (local.set $a13 (select (i32.add (local.get $row) (i32.mul (i32.const 3) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $y (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const 1)))
          (local.set $row (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $y)) (local.get $W))
            (i32.sub (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1))) (local.get $cb))))
          (local.set $ok (i32.lt_u (local.get $y) (local.get $H)))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const -1)))
          (local.set $a20 (select (i32.add (local.get $row) (i32.mul (i32.const 0) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 0)))
          (local.set $a21 (select (i32.add (local.get $row) (i32.mul (i32.const 1) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1)))
          (local.set $a22 (select (i32.add (local.get $row) (i32.mul (i32.const 2) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 2)))
          (local.set $a23 (select (i32.add (local.get $row) (i32.mul (i32.const 3) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $y (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const 2)))
          (local.set $row (i32.add (local.get $src) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $y)) (local.get $W))
            (i32.sub (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1))) (local.get $cb))))
          (local.set $ok (i32.lt_u (local.get $y) (local.get $H)))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const -1)))
          (local.set $a30 (select (i32.add (local.get $row) (i32.mul (i32.const 0) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 0)))
          (local.set $a31 (select (i32.add (local.get $row) (i32.mul (i32.const 1) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 1)))
          (local.set $a32 (select (i32.add (local.get $row) (i32.mul (i32.const 2) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $x (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 2)))
          (local.set $a33 (select (i32.add (local.get $row) (i32.mul (i32.const 3) (local.get $cb))) (local.get $scr)
            (i32.and (local.get $ok) (i32.lt_u (local.get $x) (local.get $W)))))
          (local.set $at (i32.add (local.get $vb) (i32.mul (local.get $t) (local.get $cb))))
          (local.set $k (i32.const 0))
          (loop $lci
            (local.set $d0 (v128.load (i32.add (local.get $a00) (local.get $k))))
            (local.set $d1 (v128.load (i32.add (local.get $a01) (local.get $k))))
            (local.set $d2 (v128.load (i32.add (local.get $a02) (local.get $k))))
            (local.set $d3 (v128.load (i32.add (local.get $a03) (local.get $k))))
            (local.set $p00 (f32x4.sub (local.get $d0) (local.get $d2)))
            (local.set $p01 (f32x4.add (local.get $d1) (local.get $d2)))
            (local.set $p02 (f32x4.sub (local.get $d2) (local.get $d1)))
            (local.set $p03 (f32x4.sub (local.get $d1) (local.get $d3)))
            (local.set $d0 (v128.load (i32.add (local.get $a10) (local.get $k))))
            (local.set $d1 (v128.load (i32.add (local.get $a11) (local.get $k))))
            (local.set $d2 (v128.load (i32.add (local.get $a12) (local.get $k))))
            (local.set $d3 (v128.load (i32.add (local.get $a13) (local.get $k))))
            (local.set $p10 (f32x4.sub (local.get $d0) (local.get $d2)))
            (local.set $p11 (f32x4.add (local.get $d1) (local.get $d2)))
            (local.set $p12 (f32x4.sub (local.get $d2) (local.get $d1)))
            (local.set $p13 (f32x4.sub (local.get $d1) (local.get $d3)))
            (local.set $d0 (v128.load (i32.add (local.get $a20) (local.get $k))))
            (local.set $d1 (v128.load (i32.add (local.get $a21) (local.get $k))))
            (local.set $d2 (v128.load (i32.add (local.get $a22) (local.get $k))))
            (local.set $d3 (v128.load (i32.add (local.get $a23) (local.get $k))))
            (local.set $p20 (f32x4.sub (local.get $d0) (local.get $d2)))
            (local.set $p21 (f32x4.add (local.get $d1) (local.get $d2)))
            (local.set $p22 (f32x4.sub (local.get $d2) (local.get $d1)))
            (local.set $p23 (f32x4.sub (local.get $d1) (local.get $d3)))
            (local.set $d0 (v128.load (i32.add (local.get $a30) (local.get $k))))
            (local.set $d1 (v128.load (i32.add (local.get $a31) (local.get $k))))
            (local.set $d2 (v128.load (i32.add (local.get $a32) (local.get $k))))
            (local.set $d3 (v128.load (i32.add (local.get $a33) (local.get $k))))
            (local.set $p30 (f32x4.sub (local.get $d0) (local.get $d2)))
            (local.set $p31 (f32x4.add (local.get $d1) (local.get $d2)))
            (local.set $p32 (f32x4.sub (local.get $d2) (local.get $d1)))
            (local.set $p33 (f32x4.sub (local.get $d1) (local.get $d3)))
            (local.set $x (i32.add (local.get $at) (local.get $k)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p00) (local.get $p20)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p01) (local.get $p21)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p02) (local.get $p22)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p03) (local.get $p23)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.add (local.get $p10) (local.get $p20)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.add (local.get $p11) (local.get $p21)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.add (local.get $p12) (local.get $p22)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.add (local.get $p13) (local.get $p23)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p20) (local.get $p10)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p21) (local.get $p11)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p22) (local.get $p12)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p23) (local.get $p13)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p10) (local.get $p30)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p11) (local.get $p31)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p12) (local.get $p32)))
            (local.set $x (i32.add (local.get $x) (local.get $vs)))
            (v128.store (local.get $x) (f32x4.sub (local.get $p13) (local.get $p33)))
            (br_if $lci (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $cb))))
          (br_if $lin (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $n))))
        ;; M[ξ] = V[ξ] · U[ξ]
        (local.set $xi (i32.const 0))
        (loop $lxi
          (local.set $co (i32.const 0))
          (loop $lco
            (local.set $v (i32.const 0))
            (loop $lv
              (call $dx4x8 (local.get $tap) (i32.const 1)
                (i32.add (local.get $vb) (i32.add (i32.mul (local.get $xi) (local.get $vs)) (i32.mul (local.get $v) (local.get $cb))))
                (i32.add (local.get $u) (i32.mul (i32.add (i32.mul (local.get $xi) (local.get $Co)) (local.get $co)) (local.get $cb)))
                (local.get $Ci) (local.get $cb) (i32.const 32)
                (i32.add (local.get $mb) (i32.add (i32.mul (local.get $xi) (local.get $ms))
                  (i32.shl (i32.add (i32.mul (local.get $v) (local.get $Co)) (local.get $co)) (i32.const 2))))
                (local.get $ob) (i32.sub (local.get $n) (local.get $v)) (i32.const 0) (i32.const 0) (i32.const 0))
              (br_if $lv (i32.lt_s (local.tee $v (i32.add (local.get $v) (i32.const 4))) (local.get $n))))
            (br_if $lco (i32.lt_s (local.tee $co (i32.add (local.get $co) (i32.const 8))) (local.get $Co))))
          (br_if $lxi (i32.lt_s (local.tee $xi (i32.add (local.get $xi) (i32.const 1))) (i32.const 16))))
        ;; output transform: the 2×2 pixels Aᵀ M A, plus bias, activation
        (local.set $t (i32.const 0))
        (loop $lout
          (local.set $b (i32.div_u (i32.add (local.get $tb) (local.get $t)) (local.get $per)))
          (local.set $k (i32.rem_u (i32.add (local.get $tb) (local.get $t)) (local.get $per)))
          (local.set $ty (i32.div_u (local.get $k) (local.get $TW)))
          (local.set $tx (i32.rem_u (local.get $k) (local.get $TW)))
          ;; out at (b, 2ty, 2tx, 0)
          (local.set $row (i32.add (local.get $out) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H))
            (i32.shl (local.get $ty) (i32.const 1))) (local.get $W)) (i32.shl (local.get $tx) (i32.const 1))) (local.get $ob))))
          (local.set $at (i32.add (local.get $mb) (i32.mul (local.get $t) (local.get $ob))))
          (local.set $k (i32.const 0))
          (loop $lco2
            (local.set $x (i32.add (local.get $at) (i32.add (local.get $k) (i32.mul (i32.const 0) (local.get $ms)))))
            (local.set $d0 (v128.load (local.get $x)))
            (local.set $d1 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 1) (local.get $ms)))))
            (local.set $d2 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 2) (local.get $ms)))))
            (local.set $d3 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 3) (local.get $ms)))))
            (local.set $s00 (f32x4.add (f32x4.add (local.get $d0) (local.get $d1)) (local.get $d2)))
            (local.set $s01 (f32x4.sub (f32x4.sub (local.get $d1) (local.get $d2)) (local.get $d3)))
            (local.set $x (i32.add (local.get $at) (i32.add (local.get $k) (i32.mul (i32.const 4) (local.get $ms)))))
            (local.set $d0 (v128.load (local.get $x)))
            (local.set $d1 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 1) (local.get $ms)))))
            (local.set $d2 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 2) (local.get $ms)))))
            (local.set $d3 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 3) (local.get $ms)))))
            (local.set $s10 (f32x4.add (f32x4.add (local.get $d0) (local.get $d1)) (local.get $d2)))
            (local.set $s11 (f32x4.sub (f32x4.sub (local.get $d1) (local.get $d2)) (local.get $d3)))
            (local.set $x (i32.add (local.get $at) (i32.add (local.get $k) (i32.mul (i32.const 8) (local.get $ms)))))
            (local.set $d0 (v128.load (local.get $x)))
            (local.set $d1 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 1) (local.get $ms)))))
            (local.set $d2 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 2) (local.get $ms)))))
            (local.set $d3 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 3) (local.get $ms)))))
            (local.set $s20 (f32x4.add (f32x4.add (local.get $d0) (local.get $d1)) (local.get $d2)))
            (local.set $s21 (f32x4.sub (f32x4.sub (local.get $d1) (local.get $d2)) (local.get $d3)))
            (local.set $x (i32.add (local.get $at) (i32.add (local.get $k) (i32.mul (i32.const 12) (local.get $ms)))))
            (local.set $d0 (v128.load (local.get $x)))
            (local.set $d1 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 1) (local.get $ms)))))
            (local.set $d2 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 2) (local.get $ms)))))
            (local.set $d3 (v128.load (i32.add (local.get $x) (i32.mul (i32.const 3) (local.get $ms)))))
            (local.set $s30 (f32x4.add (f32x4.add (local.get $d0) (local.get $d1)) (local.get $d2)))
            (local.set $s31 (f32x4.sub (f32x4.sub (local.get $d1) (local.get $d2)) (local.get $d3)))
            (local.set $x (i32.add (local.get $row) (local.get $k)))
            (v128.store (local.get $x) (call $finish (f32x4.add (f32x4.add (local.get $s00) (local.get $s10)) (local.get $s20)) (select (i32.add (local.get $bias) (local.get $k)) (i32.const 0) (local.get $bias))
              (i32.add (local.get $alpha) (local.get $k)) (local.get $act)))
            (v128.store (i32.add (local.get $x) (local.get $ob)) (call $finish (f32x4.add (f32x4.add (local.get $s01) (local.get $s11)) (local.get $s21)) (select (i32.add (local.get $bias) (local.get $k)) (i32.const 0) (local.get $bias))
              (i32.add (local.get $alpha) (local.get $k)) (local.get $act)))
            (local.set $x (i32.add (local.get $x) (i32.mul (local.get $W) (local.get $ob))))
            (v128.store (local.get $x) (call $finish (f32x4.sub (f32x4.sub (local.get $s10) (local.get $s20)) (local.get $s30)) (select (i32.add (local.get $bias) (local.get $k)) (i32.const 0) (local.get $bias))
              (i32.add (local.get $alpha) (local.get $k)) (local.get $act)))
            (v128.store (i32.add (local.get $x) (local.get $ob)) (call $finish (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s21)) (local.get $s31)) (select (i32.add (local.get $bias) (local.get $k)) (i32.const 0) (local.get $bias))
              (i32.add (local.get $alpha) (local.get $k)) (local.get $act)))
            (br_if $lco2 (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $ob))))
          (br_if $lout (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $n))))
        (br_if $block (i32.lt_s (local.tee $tb (i32.add (local.get $tb) (local.get $nb))) (local.get $t1))))))
)
