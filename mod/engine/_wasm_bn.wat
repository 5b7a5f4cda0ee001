;; Batch normalisation fused with its activation, training mode, over NHWC float32 tensors seen as
;; [n pixels, C channels] (C a multiple of 4), on WebAssembly SIMD, in place on tfjs's wasm heap
;; (imported as env.memory; arguments are byte offsets).
;;
;; Per-channel vectors (C floats each) are passed by address: mean, scale = gamma / sqrt(var + ε),
;; beta, alpha (PReLU slopes). With xm = x − mean and z = xm · scale + beta, the activation
;; `act` is 0 linear (y = z), 1 ReLU (y = max(z, 0)), 2 PReLU (y = z > 0 ? z : alpha · z).
;;
;; Sums over pixels are taken in float32 over blocks of 64 pixels and added into float64 totals
;; (`acc`, f64 per channel), so they stay accurate for millions of pixels. Threads take disjoint
;; pixel ranges, each with its own totals, which the caller adds up.
;;
;; bn_sum:        acc[c] += Σ x            (pass 1: the mean)
;; bn_sqdev:      acc[c] += Σ (x − mean)²  (pass 2: the variance, around the exact mean)
;; bn_apply:      y = act(z)               (pass 3)
;; bn_grad_sums:  acc[0..C) += Σ dz, acc[C..2C) += Σ dz · xm, acc[2C..3C) += Σ_{z ≤ 0} dy · z
;;                with dz = dy · act'(z)   (backward pass 1; the last sum is PReLU's dalpha)
;; bn_grad_apply: dx = ka · dz − kb − kc · xm with per-channel ka, kb, kc from the sums
;;                (backward pass 2)
;; prelu_grad:    a standalone PReLU's gradient in one pass: dx = x > 0 ? dy : alpha · dy, and
;;                acc[c] += Σ_{x ≤ 0} dy · x (dalpha)
;;
;; Regenerate `_simd_bn_bytes.ts` after editing: see `scripts/build_wasm.ts`.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; adds the four f32 lanes of v to the f64 totals at a (4 × f64)
  (func $flush (param $a i32) (param $v v128)
    (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a))
      (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $a) (f64x2.add (v128.load offset=16 (local.get $a))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
        (local.get $v) (local.get $v))))))

  ;; Σ over pixels [0, n) of x (sq = 0) or of (x − mean)² (sq = 1), per channel, into acc.
  ;; Blocks of 64 pixels (in cache) outside, channels inside.
  (func $sums (param $x i32) (param $n i32) (param $C i32) (param $mean i32) (param $acc i32)
    (param $sq i32)
    (local $c i32) (local $p0 i32) (local $k i32) (local $kb i32) (local $px i32) (local $rs i32)
    (local $base i32)
    (local $m v128) (local $s0 v128) (local $s1 v128) (local $v v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $p0 (i32.const 0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $p0) (local.get $n)))
        (local.set $kb (i32.sub (local.get $n) (local.get $p0)))
        (if (i32.gt_u (local.get $kb) (i32.const 64)) (then (local.set $kb (i32.const 64))))
        (local.set $base (i32.add (local.get $x) (i32.mul (local.get $p0) (local.get $rs))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $kb)))
        (local.set $c (i32.const 0))
        (loop $ch
          (local.set $m (v128.const i32x4 0 0 0 0))
          (if (local.get $sq) (then
            (local.set $m (v128.load (i32.add (local.get $mean) (local.get $c))))))
          (local.set $px (i32.add (local.get $base) (local.get $c)))
          (local.set $k (local.get $kb))
          (local.set $s0 (v128.const i32x4 0 0 0 0))
          (local.set $s1 (v128.const i32x4 0 0 0 0))
          ;; two accumulators: even and odd pixels
          (block $pairsDone
            (loop $pairs
              (br_if $pairsDone (i32.lt_u (local.get $k) (i32.const 2)))
              (local.set $v (f32x4.sub (v128.load (local.get $px)) (local.get $m)))
              (if (local.get $sq) (then (local.set $v (f32x4.mul (local.get $v) (local.get $v)))))
              (local.set $s0 (f32x4.add (local.get $s0) (local.get $v)))
              (local.set $v (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $rs)))
                (local.get $m)))
              (if (local.get $sq) (then (local.set $v (f32x4.mul (local.get $v) (local.get $v)))))
              (local.set $s1 (f32x4.add (local.get $s1) (local.get $v)))
              (local.set $px (i32.add (local.get $px) (i32.shl (local.get $rs) (i32.const 1))))
              (local.set $k (i32.sub (local.get $k) (i32.const 2)))
              (br $pairs)))
          (if (local.get $k) (then
            (local.set $v (f32x4.sub (v128.load (local.get $px)) (local.get $m)))
            (if (local.get $sq) (then (local.set $v (f32x4.mul (local.get $v) (local.get $v)))))
            (local.set $s0 (f32x4.add (local.get $s0) (local.get $v)))))
          ;; c counts bytes of f32: the f64 totals of channel c/4 are at acc + 2·c
          (call $flush (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 1)))
            (f32x4.add (local.get $s0) (local.get $s1)))
          (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
            (local.get $rs))))
        (br $blocks))))

  (func (export "bn_sum") (param $x i32) (param $n i32) (param $C i32) (param $acc i32)
    (call $sums (local.get $x) (local.get $n) (local.get $C) (i32.const 0) (local.get $acc)
      (i32.const 0)))

  (func (export "bn_sqdev") (param $x i32) (param $n i32) (param $C i32) (param $mean i32)
    (param $acc i32)
    (call $sums (local.get $x) (local.get $n) (local.get $C) (local.get $mean) (local.get $acc)
      (i32.const 1)))

  ;; y = act((x − mean) · scale + beta) over pixels [0, n)
  (func (export "bn_apply") (param $x i32) (param $y i32) (param $n i32) (param $C i32)
    (param $mean i32) (param $scale i32) (param $beta i32) (param $alpha i32) (param $act i32)
    (local $end i32) (local $c i32) (local $cb i32) (local $z v128) (local $zero v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $n) (local.get $C))
      (i32.const 2))))
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (block $done
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (loop $px
        (local.set $c (i32.const 0))
        (loop $ch
          (local.set $z (f32x4.relaxed_madd
            (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c)))
              (v128.load (i32.add (local.get $mean) (local.get $c))))
            (v128.load (i32.add (local.get $scale) (local.get $c)))
            (v128.load (i32.add (local.get $beta) (local.get $c)))))
          (if (i32.eq (local.get $act) (i32.const 1)) (then
            (local.set $z (f32x4.max (local.get $z) (local.get $zero)))))
          (if (i32.eq (local.get $act) (i32.const 2)) (then
            (local.set $z (v128.bitselect (local.get $z)
              (f32x4.mul (local.get $z) (v128.load (i32.add (local.get $alpha) (local.get $c))))
              (f32x4.gt (local.get $z) (local.get $zero))))))
          (v128.store (i32.add (local.get $y) (local.get $c)) (local.get $z))
          (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
            (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $y (i32.add (local.get $y) (local.get $cb)))
        (br_if $px (i32.lt_u (local.get $x) (local.get $end))))))

  ;; Backward sums over pixels [0, n): see the header. acc: 3·C f64. Blocks of 64 pixels outside,
  ;; channels inside.
  (func (export "bn_grad_sums") (param $dy i32) (param $x i32) (param $n i32) (param $C i32)
    (param $mean i32) (param $scale i32) (param $beta i32) (param $alpha i32) (param $act i32)
    (param $acc i32)
    (local $c i32) (local $p0 i32) (local $k i32) (local $kb i32) (local $px i32) (local $pd i32)
    (local $rs i32) (local $off i32)
    (local $m v128) (local $sc v128) (local $b v128) (local $a v128) (local $zero v128)
    (local $xm v128) (local $z v128) (local $g v128) (local $dz v128) (local $pos v128)
    (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $p0 (i32.const 0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $p0) (local.get $n)))
        (local.set $kb (i32.sub (local.get $n) (local.get $p0)))
        (if (i32.gt_u (local.get $kb) (i32.const 64)) (then (local.set $kb (i32.const 64))))
        (local.set $off (i32.mul (local.get $p0) (local.get $rs)))
        (local.set $p0 (i32.add (local.get $p0) (local.get $kb)))
        (local.set $c (i32.const 0))
        (loop $ch
          (local.set $m (v128.load (i32.add (local.get $mean) (local.get $c))))
          (local.set $sc (v128.load (i32.add (local.get $scale) (local.get $c))))
          (local.set $b (v128.load (i32.add (local.get $beta) (local.get $c))))
          (local.set $a (v128.load (i32.add (local.get $alpha) (local.get $c))))
          (local.set $px (i32.add (i32.add (local.get $x) (local.get $off)) (local.get $c)))
          (local.set $pd (i32.add (i32.add (local.get $dy) (local.get $off)) (local.get $c)))
          (local.set $k (local.get $kb))
          (local.set $s1 (local.get $zero))
          (local.set $s2 (local.get $zero))
          (local.set $s3 (local.get $zero))
          (loop $pixels
            (local.set $xm (f32x4.sub (v128.load (local.get $px)) (local.get $m)))
            (local.set $g (v128.load (local.get $pd)))
            (local.set $dz (local.get $g))
            (if (local.get $act) (then
              (local.set $z (f32x4.relaxed_madd (local.get $xm) (local.get $sc) (local.get $b)))
              (local.set $pos (f32x4.gt (local.get $z) (local.get $zero)))
              (local.set $dz (v128.bitselect (local.get $g)
                (if (result v128) (i32.eq (local.get $act) (i32.const 2))
                  (then (f32x4.mul (local.get $g) (local.get $a)))
                  (else (local.get $zero)))
                (local.get $pos)))
              (local.set $s3 (f32x4.add (local.get $s3)
                (v128.andnot (f32x4.mul (local.get $g) (local.get $z)) (local.get $pos))))))
            (local.set $s1 (f32x4.add (local.get $s1) (local.get $dz)))
            (local.set $s2 (f32x4.relaxed_madd (local.get $dz) (local.get $xm) (local.get $s2)))
            (local.set $px (i32.add (local.get $px) (local.get $rs)))
            (local.set $pd (i32.add (local.get $pd) (local.get $rs)))
            (br_if $pixels (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
          ;; c counts bytes of f32; f64 totals: Σdz at acc + 2c, Σdz·xm at + 8C, dalpha at + 16C
          (call $flush (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 1)))
            (local.get $s1))
          (call $flush (i32.add (i32.add (local.get $acc) (i32.shl (local.get $rs) (i32.const 1)))
            (i32.shl (local.get $c) (i32.const 1))) (local.get $s2))
          (call $flush (i32.add (i32.add (local.get $acc) (i32.shl (local.get $rs) (i32.const 2)))
            (i32.shl (local.get $c) (i32.const 1))) (local.get $s3))
          (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
            (local.get $rs))))
        (br $blocks))))

  ;; dx = ka · dz − kb − kc · xm over pixels [0, n)
  (func (export "bn_grad_apply") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (param $C i32) (param $mean i32) (param $scale i32) (param $beta i32) (param $alpha i32)
    (param $act i32) (param $ka i32) (param $kb i32) (param $kc i32)
    (local $end i32) (local $c i32) (local $cb i32) (local $zero v128)
    (local $xm v128) (local $z v128) (local $g v128) (local $dz v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $n) (local.get $C))
      (i32.const 2))))
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (block $done
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (loop $px
        (local.set $c (i32.const 0))
        (loop $ch
          (local.set $xm (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c)))
            (v128.load (i32.add (local.get $mean) (local.get $c)))))
          (local.set $g (v128.load (i32.add (local.get $dy) (local.get $c))))
          (local.set $dz (local.get $g))
          (if (local.get $act) (then
            (local.set $z (f32x4.relaxed_madd (local.get $xm)
              (v128.load (i32.add (local.get $scale) (local.get $c)))
              (v128.load (i32.add (local.get $beta) (local.get $c)))))
            (local.set $dz (v128.bitselect (local.get $g)
              (if (result v128) (i32.eq (local.get $act) (i32.const 2))
                (then (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $alpha) (local.get $c)))))
                (else (local.get $zero)))
              (f32x4.gt (local.get $z) (local.get $zero))))))
          (v128.store (i32.add (local.get $dx) (local.get $c))
            (f32x4.sub
              (f32x4.sub
                (f32x4.mul (local.get $dz) (v128.load (i32.add (local.get $ka) (local.get $c))))
                (v128.load (i32.add (local.get $kb) (local.get $c))))
              (f32x4.mul (local.get $xm) (v128.load (i32.add (local.get $kc) (local.get $c))))))
          (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
            (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $dx (i32.add (local.get $dx) (local.get $cb)))
        (br_if $px (i32.lt_u (local.get $x) (local.get $end))))))

  ;; PReLU gradient over pixels [0, n) (blocks of 64 pixels outside, channels inside).
  (func (export "prelu_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (param $C i32) (param $alpha i32) (param $acc i32)
    (local $c i32) (local $p0 i32) (local $k i32) (local $kb i32) (local $off i32) (local $rs i32)
    (local $px i32) (local $a v128) (local $v v128) (local $g v128) (local $pos v128)
    (local $s v128) (local $zero v128)
    (local.set $rs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $p0 (i32.const 0))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $p0) (local.get $n)))
        (local.set $kb (i32.sub (local.get $n) (local.get $p0)))
        (if (i32.gt_u (local.get $kb) (i32.const 64)) (then (local.set $kb (i32.const 64))))
        (local.set $off (i32.mul (local.get $p0) (local.get $rs)))
        (local.set $p0 (i32.add (local.get $p0) (local.get $kb)))
        (local.set $c (i32.const 0))
        (loop $ch
          (local.set $a (v128.load (i32.add (local.get $alpha) (local.get $c))))
          (local.set $px (i32.add (local.get $off) (local.get $c)))
          (local.set $k (local.get $kb))
          (local.set $s (local.get $zero))
          (loop $pixels
            (local.set $v (v128.load (i32.add (local.get $x) (local.get $px))))
            (local.set $g (v128.load (i32.add (local.get $dy) (local.get $px))))
            (local.set $pos (f32x4.gt (local.get $v) (local.get $zero)))
            (v128.store (i32.add (local.get $dx) (local.get $px)) (v128.bitselect (local.get $g)
              (f32x4.mul (local.get $g) (local.get $a)) (local.get $pos)))
            (local.set $s (f32x4.add (local.get $s)
              (v128.andnot (f32x4.mul (local.get $g) (local.get $v)) (local.get $pos))))
            (local.set $px (i32.add (local.get $px) (local.get $rs)))
            (br_if $pixels (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
          (call $flush (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 1)))
            (local.get $s))
          (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
            (local.get $rs))))
        (br $blocks))))
)
