;; hu-kernel.wat: the hot loop of CT ingestion, native little-endian 16-bit samples → HU, with
;; 128-bit SIMD. Same results as `nativeLittleEndian16ToHu` in hu.ts (tested voxel by voxel).
;; Assembled by scripts/build-wasm.mjs into hu-kernel.wasm.ts; driven by hu-simd.ts.
;;
;; Everything is done in 16-bit lanes with wrap-around arithmetic, which is exact because the
;; caller (hu-simd.ts) only calls when every HU value fits Int16. Per sample, with raw the
;; little-endian uint16 and the caller's constants:
;;
;;   x   = raw >>> shift                      (shift < 16)
;;   key = int16(((x & mask) ^ a) - b)        a sign-ordered key of the stored value s:
;;           signed:   a = b = 2^(bits-1)       → key = s, sign-extended from `bits` bits
;;           unsigned: a = 0x8000, b = 0        → key = s − 32768 (same order as s, fits Int16)
;;   pad = lo ≤ key ≤ hi                      (the padding range in key space, Int16 values;
;;                                             lo > hi: no padding)
;;   hu  = pad ? −1024 : int16(key + c)       c = intercept (+ 0x8000 when unsigned)
;;
;; and the statistics of hu: min, max, exact sum (i64) and the count of padding samples.
;;
;; Memory is exported and grown from JavaScript. Conversion is in place: hu overwrites the raw
;; samples at `ptr`. The statistics are written at `stats`: min i32 @0, max i32 @4, sum i64 @8,
;; padded i32 @16.
(module
  (memory (export "memory") 1 65536)

  (func (export "convert")
    (param $ptr i32) (param $n i32) (param $shift i32) (param $mask i32)
    (param $a i32) (param $b i32) (param $c i32) (param $lo i32) (param $hi i32)
    (param $stats i32)
    (local $p i32) (local $vecEnd i32) (local $blockEnd i32) (local $end i32)
    (local $x i32) (local $key i32) (local $h i32)
    (local $min i32) (local $max i32) (local $padded i32) (local $sum i64)
    (local $vmask v128) (local $va v128) (local $vb v128) (local $vc v128)
    (local $vlo v128) (local $vhi v128) (local $vair v128)
    (local $key8 v128) (local $keep8 v128) (local $hu8 v128)
    (local $vmin v128) (local $vmax v128) (local $vcnt v128) (local $vsum v128)
    (local $vsum64 v128) (local $vkept v128)

    (local.set $vmask (i16x8.splat (local.get $mask)))
    (local.set $va (i16x8.splat (local.get $a)))
    (local.set $vb (i16x8.splat (local.get $b)))
    (local.set $vc (i16x8.splat (local.get $c)))
    (local.set $vlo (i16x8.splat (local.get $lo)))
    (local.set $vhi (i16x8.splat (local.get $hi)))
    (local.set $vair (i16x8.splat (i32.const -1024)))
    (local.set $vmin (i16x8.splat (i32.const 32767)))
    (local.set $vmax (i16x8.splat (i32.const -32768)))
    (local.set $vsum64 (v128.const i64x2 0 0))
    (local.set $vkept (v128.const i32x4 0 0 0 0))

    (local.set $p (local.get $ptr))
    ;; End of the whole vectors of 8 samples, and of all samples.
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 1))))

    ;; Blocks of at most 4096 vectors (64 KiB): the per-block Int16 counters of kept (non-padding)
    ;; samples (≤ 4096 per lane) and Int32 sums (≤ 8192 values of magnitude ≤ 32768 per lane)
    ;; cannot overflow; after each block they are widened into the Int32 count and the Int64 sum.
    (block $vectorsDone
      (loop $blocks
        (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (local.set $blockEnd (i32.add (local.get $p) (i32.const 65536)))
        (if (i32.gt_u (local.get $blockEnd) (local.get $vecEnd))
          (then (local.set $blockEnd (local.get $vecEnd))))
        (local.set $vcnt (v128.const i16x8 0 0 0 0 0 0 0 0))
        (local.set $vsum (v128.const i32x4 0 0 0 0))
        (loop $vectors
          (local.set $key8
            (i16x8.sub
              (v128.xor
                (v128.and
                  (i16x8.shr_u (v128.load (local.get $p)) (local.get $shift))
                  (local.get $vmask))
                (local.get $va))
              (local.get $vb)))
          ;; All ones in the lanes that are not padding (lt/gt map to single x86 instructions).
          (local.set $keep8
            (v128.or
              (i16x8.lt_s (local.get $key8) (local.get $vlo))
              (i16x8.gt_s (local.get $key8) (local.get $vhi))))
          (local.set $hu8
            (v128.bitselect
              (i16x8.add (local.get $key8) (local.get $vc))
              (local.get $vair)
              (local.get $keep8)))
          (v128.store (local.get $p) (local.get $hu8))
          (local.set $vmin (i16x8.min_s (local.get $vmin) (local.get $hu8)))
          (local.set $vmax (i16x8.max_s (local.get $vmax) (local.get $hu8)))
          ;; A kept lane is all ones (−1): subtracting counts it.
          (local.set $vcnt (i16x8.sub (local.get $vcnt) (local.get $keep8)))
          (local.set $vsum (i32x4.add (local.get $vsum) (i32x4.extadd_pairwise_i16x8_s (local.get $hu8))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $p) (local.get $blockEnd))))
        (local.set $vsum64
          (i64x2.add
            (local.get $vsum64)
            (i64x2.add
              (i64x2.extend_low_i32x4_s (local.get $vsum))
              (i64x2.extend_high_i32x4_s (local.get $vsum)))))
        (local.set $vkept
          (i32x4.add (local.get $vkept) (i32x4.extadd_pairwise_i16x8_u (local.get $vcnt))))
        (br $blocks)))

    ;; Fold the lanes.
    (local.set $min (call $min8 (local.get $vmin) (i32.const 32767)))
    (local.set $max (call $max8 (local.get $vmax) (i32.const -32768)))
    (local.set $sum
      (i64.add (i64x2.extract_lane 0 (local.get $vsum64)) (i64x2.extract_lane 1 (local.get $vsum64))))
    ;; Padding samples among the whole vectors: those not kept.
    (local.set $padded
      (i32.sub
        (i32.and (local.get $n) (i32.const -8))
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $vkept)) (i32x4.extract_lane 1 (local.get $vkept)))
          (i32.add (i32x4.extract_lane 2 (local.get $vkept)) (i32x4.extract_lane 3 (local.get $vkept))))))

    ;; The last n mod 8 samples, one at a time, with the same arithmetic in i32.
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (i32.shr_u (i32.load16_u (local.get $p)) (local.get $shift)))
        (local.set $key
          (i32.extend16_s
            (i32.sub (i32.xor (i32.and (local.get $x) (local.get $mask)) (local.get $a)) (local.get $b))))
        (if (i32.and
              (i32.ge_s (local.get $key) (local.get $lo))
              (i32.le_s (local.get $key) (local.get $hi)))
          (then
            (local.set $h (i32.const -1024))
            (local.set $padded (i32.add (local.get $padded) (i32.const 1))))
          (else
            (local.set $h (i32.extend16_s (i32.add (local.get $key) (local.get $c))))))
        (i32.store16 (local.get $p) (local.get $h))
        (if (i32.lt_s (local.get $h) (local.get $min)) (then (local.set $min (local.get $h))))
        (if (i32.gt_s (local.get $h) (local.get $max)) (then (local.set $max (local.get $h))))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_s (local.get $h))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $tail)))

    (i32.store offset=0 (local.get $stats) (local.get $min))
    (i32.store offset=4 (local.get $stats) (local.get $max))
    (i64.store offset=8 (local.get $stats) (local.get $sum))
    (i32.store offset=16 (local.get $stats) (local.get $padded)))

  ;; The smallest of the 8 signed lanes of $v and $m.
  (func $min8 (param $v v128) (param $m i32) (result i32)
    (local $l i32)
    (local.set $l (i16x8.extract_lane_s 0 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 1 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 2 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 3 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 4 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 5 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 6 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 7 (local.get $v)))
    (if (i32.lt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.get $m))

  ;; The largest of the 8 signed lanes of $v and $m.
  (func $max8 (param $v v128) (param $m i32) (result i32)
    (local $l i32)
    (local.set $l (i16x8.extract_lane_s 0 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 1 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 2 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 3 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 4 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 5 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 6 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.set $l (i16x8.extract_lane_s 7 (local.get $v)))
    (if (i32.gt_s (local.get $l) (local.get $m)) (then (local.set $m (local.get $l))))
    (local.get $m)))
