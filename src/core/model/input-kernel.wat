;; input-kernel.wat: the model's `slices` input of one slice (preprocess.ts, sliceInputMaker),
;; 128-bit SIMD. Assembled into input-kernel.wasm.ts by scripts/build-wasm.mjs; driven by
;; input-simd.ts. Memory is exported and grown from JavaScript; every address is a byte address
;; chosen by the caller.
;;
;; sliceInput: the Int16 slice (cols x rows, x fastest) windowed to [0, 1] on the fly,
;; unit = min(max((hu - lo) * inv, 0), 1), resampled along y first (eight columns at a time)
;; into tmp (S rows of `stride` floats, stride = cols rounded up to 8), then along x into out
;; (S x S), normalised (v - mean) / std; output pixels without weights on either axis get the
;; normalised padding (0 - mean) / std. Same sparse weights as the JavaScript (`axisWeights`):
;; per output index o, taps start[o] .. start[o + 1] - 1 of index (i32) and weight (f32).
;; The slice buffer needs 16 bytes of slack after it (the last chunk of a row may read past it).
(module
  (memory (export "memory") 1 65536)

  (func (export "sliceInput")
    (param $src i32) (param $cols i32) (param $size i32)
    (param $lo f32) (param $inv f32) (param $mean f32) (param $std f32)
    (param $yStart i32) (param $yIndex i32) (param $yWeight i32)
    (param $xStart i32) (param $xIndex i32) (param $xWeight i32)
    (param $tmp i32) (param $stride i32) (param $out i32)
    (local $o i32) (local $x i32) (local $t i32) (local $e i32) (local $p i32) (local $q i32)
    (local $vlo v128) (local $vinv v128) (local $zero v128) (local $one v128)
    (local $w v128) (local $v v128) (local $acc0 v128) (local $acc1 v128)
    (local $s f32) (local $pad f32) (local $ox i32) (local $te i32)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vinv (f32x4.splat (local.get $inv)))
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $pad (f32.div (f32.sub (f32.const 0) (local.get $mean)) (local.get $std)))

    ;; Along y, windowing as the rows are read: tmp[o][x] = sum of w * unit(src[index][x]).
    (local.set $o (i32.const 0))
    (block $yDone
      (loop $yRows
        (br_if $yDone (i32.ge_u (local.get $o) (local.get $size)))
        (local.set $t (i32.load (i32.add (local.get $yStart) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $e (i32.load offset=4 (i32.add (local.get $yStart) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $x (i32.const 0))
        (block $xDone
          (loop $chunks
            (br_if $xDone (i32.ge_s (local.get $x) (local.get $cols)))
            (local.set $acc0 (local.get $zero))
            (local.set $acc1 (local.get $zero))
            (local.set $p (local.get $t))
            (block $tapsDone
              (loop $taps
                (br_if $tapsDone (i32.ge_s (local.get $p) (local.get $e)))
                (local.set $w (f32x4.splat (f32.load (i32.add (local.get $yWeight) (i32.shl (local.get $p) (i32.const 2))))))
                ;; Eight samples of row index[p], columns x .. x + 7.
                (local.set $v (v128.load (i32.add (local.get $src)
                  (i32.shl (i32.add (i32.mul (i32.load (i32.add (local.get $yIndex) (i32.shl (local.get $p) (i32.const 2)))) (local.get $cols)) (local.get $x)) (i32.const 1)))))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $w)
                  (f32x4.min (local.get $one) (f32x4.max (local.get $zero)
                    (f32x4.mul (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $v))) (local.get $vlo)) (local.get $vinv)))))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $w)
                  (f32x4.min (local.get $one) (f32x4.max (local.get $zero)
                    (f32x4.mul (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $v))) (local.get $vlo)) (local.get $vinv)))))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $taps)))
            (local.set $q (i32.add (local.get $tmp) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $stride)) (local.get $x)) (i32.const 2))))
            (v128.store (local.get $q) (local.get $acc0))
            (v128.store offset=16 (local.get $q) (local.get $acc1))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (br $chunks)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $yRows)))

    ;; Along x, then normalised: out[o][ox] = (sum of w * tmp[o][index] - mean) / std.
    (local.set $o (i32.const 0))
    (block $oDone
      (loop $oRows
        (br_if $oDone (i32.ge_u (local.get $o) (local.get $size)))
        ;; A row without y weights is padding throughout.
        (local.set $t (i32.load (i32.add (local.get $yStart) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $e (i32.load offset=4 (i32.add (local.get $yStart) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $q (i32.add (local.get $tmp) (i32.shl (i32.mul (local.get $o) (local.get $stride)) (i32.const 2))))
        (local.set $ox (i32.const 0))
        (block $oxDone
          (loop $oxs
            (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $size)))
            (local.set $p (i32.load (i32.add (local.get $xStart) (i32.shl (local.get $ox) (i32.const 2)))))
            (local.set $te (i32.load offset=4 (i32.add (local.get $xStart) (i32.shl (local.get $ox) (i32.const 2)))))
            (if (i32.or (i32.eq (local.get $t) (local.get $e)) (i32.eq (local.get $p) (local.get $te)))
              (then (local.set $s (local.get $pad)))
              (else
                (local.set $s (f32.const 0))
                (block $xTapsDone
                  (loop $xTaps
                    (br_if $xTapsDone (i32.ge_s (local.get $p) (local.get $te)))
                    (local.set $s (f32.add (local.get $s)
                      (f32.mul (f32.load (i32.add (local.get $xWeight) (i32.shl (local.get $p) (i32.const 2))))
                               (f32.load (i32.add (local.get $q) (i32.shl (i32.load (i32.add (local.get $xIndex) (i32.shl (local.get $p) (i32.const 2)))) (i32.const 2)))))))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $xTaps)))
                (local.set $s (f32.div (f32.sub (local.get $s) (local.get $mean)) (local.get $std)))))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $size)) (local.get $ox)) (i32.const 2))) (local.get $s))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $oxs)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oRows))))
)
