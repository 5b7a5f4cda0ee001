;; Max-pooling gradient for 2×2 windows at stride 2 (every pooling layer of the models), NHWC
;; float32 with C a multiple of 4, in place on tfjs's wasm heap (imported as env.memory; arguments
;; are byte offsets). Each output gradient goes to the first maximum of its window in the order
;; (0,0), (0,1), (1,0), (1,1), as the cpu backend routes it; the other three positions get 0.
;; Rows of the input beyond 2·Ho or columns beyond 2·Wo (odd sizes) are left to the caller, which
;; zeroes them.
;;
;; Regenerate `_simd_pool_bytes.ts` after editing: see `scripts/build_wasm.ts`.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; dx for output rows [r0, r1) (row index b·Ho + i) of a [B,H,W,C] input.
  (func (export "pool_grad2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $H i32) (param $W i32) (param $C i32)
    (param $Ho i32) (param $Wo i32) (param $r0 i32) (param $r1 i32)
    (local $r i32) (local $b i32) (local $i i32) (local $j i32) (local $c i32) (local $cb i32)
    (local $rowb i32) (local $in i32) (local $g i32) (local $p i32)
    (local $v v128) (local $m v128) (local $d v128) (local $g1 v128) (local $g2 v128)
    (local $g3 v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowb (i32.mul (local.get $W) (local.get $cb)))
    (local.set $r (local.get $r0))
    (block $done
      (br_if $done (i32.ge_s (local.get $r) (local.get $r1)))
      (loop $rows
        (local.set $b (i32.div_u (local.get $r) (local.get $Ho)))
        (local.set $i (i32.rem_u (local.get $r) (local.get $Ho)))
        ;; byte offset of input (b, 2i, 0, 0)
        (local.set $in (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H))
          (i32.shl (local.get $i) (i32.const 1))) (local.get $rowb)))
        ;; byte offset of dy (b, i, 0, 0)
        (local.set $g (i32.mul (i32.mul (local.get $r) (local.get $Wo)) (local.get $cb)))
        (local.set $j (i32.const 0))
        (loop $cols
          (local.set $c (i32.const 0))
          (loop $ch
            (local.set $p (i32.add (local.get $in) (local.get $c)))
            (local.set $d (v128.load (i32.add (local.get $dy) (i32.add (local.get $g) (local.get $c)))))
            (local.set $m (v128.load (i32.add (local.get $x) (local.get $p))))
            (local.set $v (v128.load (i32.add (i32.add (local.get $x) (local.get $p)) (local.get $cb))))
            (local.set $g1 (f32x4.gt (local.get $v) (local.get $m)))
            (local.set $m (v128.bitselect (local.get $v) (local.get $m) (local.get $g1)))
            (local.set $v (v128.load (i32.add (i32.add (local.get $x) (local.get $p)) (local.get $rowb))))
            (local.set $g2 (f32x4.gt (local.get $v) (local.get $m)))
            (local.set $m (v128.bitselect (local.get $v) (local.get $m) (local.get $g2)))
            (local.set $v (v128.load (i32.add (i32.add (i32.add (local.get $x) (local.get $p))
              (local.get $rowb)) (local.get $cb))))
            (local.set $g3 (f32x4.gt (local.get $v) (local.get $m)))
            ;; (1,1) if g3; (1,0) if g2 and not g3; (0,1) if g1 and neither; else (0,0)
            (v128.store (i32.add (i32.add (i32.add (local.get $dx) (local.get $p)) (local.get $rowb))
              (local.get $cb)) (v128.and (local.get $d) (local.get $g3)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $p)) (local.get $rowb))
              (v128.and (local.get $d) (v128.andnot (local.get $g2) (local.get $g3))))
            (local.set $g2 (v128.or (local.get $g2) (local.get $g3)))
            (v128.store (i32.add (i32.add (local.get $dx) (local.get $p)) (local.get $cb))
              (v128.and (local.get $d) (v128.andnot (local.get $g1) (local.get $g2))))
            (v128.store (i32.add (local.get $dx) (local.get $p))
              (v128.andnot (local.get $d) (v128.or (local.get $g1) (local.get $g2))))
            (br_if $ch (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16)))
              (local.get $cb))))
          ;; next window: two input pixels right, one dy pixel right
          (local.set $in (i32.add (local.get $in) (i32.shl (local.get $cb) (i32.const 1))))
          (local.set $g (i32.add (local.get $g) (local.get $cb)))
          (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1)))
            (local.get $Wo))))
        (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1)))
          (local.get $r1))))))
)
