;; lung-kernel.wat: the hot loops of the lung mask, 128-bit SIMD where it pays. Assembled into
;; lung-kernel.wasm.ts (see the header of that file); driven by lung-simd.ts. Memory is exported
;; and grown from JavaScript; every address below is a byte address chosen by the caller. Small
;; steps are written out where they are used rather than called: Node 20's V8 does not inline
;; calls between WebAssembly functions, and a call per element cost more than the work.
;;
;; smoothBelow: one CT slice (Int16 HU, nx × ny, x fastest) smoothed with the 5-tap Gaussian
;; (σ = 1 voxel, truncate 2) along x then y, borders mirrored (scipy `reflect`), and thresholded:
;; bit x of row y is set where the smoothed value is < thr. Same results as `smoothSlice` in
;; gaussian.ts up to float32 rounding (tested). Requires nx ≥ 8 and ny ≥ 3.
;;   src   the slice, Int16, nx·ny values
;;   tmp   the x-smoothed slice, Float32, rows of q values (q = nx rounded up to 16)
;;   bits  the result, one u16 per 16 voxels, rows of q/16 words; bits at x ≥ nx are undefined
;;
;; planeReach and zReach: the dilation of distance.ts (`dilateRunsL1`), same results.
;;
;; blockMean2: the mean of each 2 × 2 block of a slice (coarse-grid.ts), rounded half up, for the
;; whole blocks only (floor(nx/2) by floor(ny/2); the caller does a cut last column or row). Same results as
;; the JavaScript of coarse-grid.ts (tested).
;;   src   the slice, Int16, nx·ny values
;;   dst   the block means, Int16, rows of `stride` values
;;
;; l1Rows and l1Sweep: the city-block distance transform of distance.ts (`l1DistanceTransform`),
;; the same float32 values to the bit: every step is that code's f32 → f64, + spacing (f64),
;; → f32 rounding; "take v when v < d" is min(f32(v), d) because rounding is monotonic.
;;   l1Rows   the sweeps along x: rows of nx voxels, `rows` of them; d = 0 where src ≠ 0
;;   l1Sweep  d[i] = min(f32(d[i + step] + s), d[i]) for i in [from, to), in the order that lets
;;            each voxel see its neighbour's final value: upwards when step < 0, downwards when
;;            step > 0 (step = ∓nx along y within a slice, ∓nx·ny along z); 4 voxels at a time,
;;            so |step| ≥ 4 (indices are voxels, `d` a byte address)
;;
;; growWithin: the geodesic split of separate.ts (`growWithin`), the same owners: breadth-first
;; from every voxel with an owner (1, 2), in index order, through the voxels where `outside` is 0,
;; by face neighbours in the order −1, +1, −w, +w, −plane, +plane. The grid's one-voxel background
;; margin keeps every neighbour of a queued voxel inside it.
;;   owner   Uint8, n voxels, updated in place
;;   outside Uint8, n voxels
;;   queue   Int32, n entries of room
;;
;; labelRuns: the connected components of a run volume (components.ts `labelRuns`), the same
;; labels: union-find over runs, each run joined with the runs it touches in the rows already
;; visited; the root of a component is its first run, and labels number the roots in run order.
;;   rowStart, x0, x1   the run volume (Int32: rows + 1, count, count)
;;   parent, label      Int32, count entries each (parent is scratch)
;;   grow               1 when runs touching by a corner join (8- and 26-connectivity), else 0
;;   threeD, corners    join the previous slice's row; and its rows y ∓ 1 (26-connectivity)
;;   returns the number of components
;;
;; closeRows: one slice's closing by a disc (disc-closing.ts `closeSlicesWithDisc`), the same
;; intervals: the rows of a local box dilated by the disc, eroded by it, then united with the
;; input rows (a closing holds its input; the union keeps it whatever the rounding). Rows are
;; interval lists: S (Int32, h + 1 starts), A and B (Int32 [a, b) pairs).
;;   in*      the slice's rows in the box (local x)
;;   half     Int32, r + 1 half-chords (whole pixels along x) per row offset
;;   d*, e*   room for the dilated and eroded rows (h·(width/2 + 1) intervals each)
;;   cur, next  room for two interval lists of width/2 + 2 pairs
;;   o*       the result (room for the eroded and the input intervals together)
;;   returns the number of result intervals
(module
  (memory (export "memory") 1 65536)

  ;; The sample src[i] as f32.
  (func $px (param $src i32) (param $i i32) (result f32)
    (f32.convert_i32_s (i32.load16_s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))))

  ;; Row index y mirrored into 0…ny−1 for y in −2…ny+1 (valid for ny ≥ 3).
  (func $reflect (param $y i32) (param $ny i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $y) (i32.const 0))
      (then (i32.sub (i32.const -1) (local.get $y)))
      (else
        (if (result i32) (i32.ge_s (local.get $y) (local.get $ny))
          (then (i32.sub (i32.sub (i32.shl (local.get $ny) (i32.const 1)) (i32.const 1)) (local.get $y)))
          (else (local.get $y))))))

  (func (export "smoothBelow")
    (param $src i32) (param $nx i32) (param $ny i32) (param $tmp i32) (param $q i32) (param $bits i32)
    (param $thr f32) (param $fw0 f32) (param $fw1 f32) (param $fw2 f32)
    (local $y i32) (local $x i32) (local $s i32) (local $t i32) (local $last i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $vthr v128)
    (local $ra i32) (local $rb i32) (local $rc i32) (local $rd i32) (local $re i32)
    (local $rowBytes i32) (local $off i32) (local $o i32)
    (local $p i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $pd i32) (local $pe i32)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local.set $w0 (f32x4.splat (local.get $fw0)))
    (local.set $w1 (f32x4.splat (local.get $fw1)))
    (local.set $w2 (f32x4.splat (local.get $fw2)))
    (local.set $vthr (f32x4.splat (local.get $thr)))
    (local.set $rowBytes (i32.shl (local.get $q) (i32.const 2)))
    (local.set $last (i32.sub (local.get $nx) (i32.const 1)))

    ;; Pass 1: along x.
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $y) (local.get $nx)) (i32.const 1))))
        (local.set $t (i32.add (local.get $tmp) (i32.mul (local.get $y) (local.get $rowBytes))))
        ;; Interior, four at a time: x = 2, 6, … while x + 4 ≤ nx − 2, then once at x = nx − 6.
        (local.set $x (i32.const 2))
        (block $done
          (loop $chunks
            (br_if $done (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (i32.sub (local.get $nx) (i32.const 2))))
            (local.set $p (i32.add (local.get $s) (i32.shl (local.get $x) (i32.const 1))))
            (v128.store (i32.add (local.get $t) (i32.shl (local.get $x) (i32.const 2)))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $w0) (f32x4.convert_i32x4_s (v128.load16x4_s (local.get $p))))
                  (f32x4.mul (local.get $w1)
                    (f32x4.add
                      (f32x4.convert_i32x4_s (v128.load16x4_s (i32.sub (local.get $p) (i32.const 2))))
                      (f32x4.convert_i32x4_s (v128.load16x4_s offset=2 (local.get $p))))))
                (f32x4.mul (local.get $w2)
                  (f32x4.add
                    (f32x4.convert_i32x4_s (v128.load16x4_s (i32.sub (local.get $p) (i32.const 4))))
                    (f32x4.convert_i32x4_s (v128.load16x4_s offset=4 (local.get $p)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $chunks)))
        (local.set $x (i32.sub (local.get $nx) (i32.const 6)))
        (local.set $p (i32.add (local.get $s) (i32.shl (local.get $x) (i32.const 1))))
        (v128.store (i32.add (local.get $t) (i32.shl (local.get $x) (i32.const 2)))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (local.get $w0) (f32x4.convert_i32x4_s (v128.load16x4_s (local.get $p))))
              (f32x4.mul (local.get $w1)
                (f32x4.add
                  (f32x4.convert_i32x4_s (v128.load16x4_s (i32.sub (local.get $p) (i32.const 2))))
                  (f32x4.convert_i32x4_s (v128.load16x4_s offset=2 (local.get $p))))))
            (f32x4.mul (local.get $w2)
              (f32x4.add
                (f32x4.convert_i32x4_s (v128.load16x4_s (i32.sub (local.get $p) (i32.const 4))))
                (f32x4.convert_i32x4_s (v128.load16x4_s offset=4 (local.get $p)))))))
        ;; The four border samples, mirrored.
        ;; x = 0: taps 1 0 [0] 1 2
        (f32.store (local.get $t)
          (f32.add (f32.add
            (f32.mul (local.get $fw0) (call $px (local.get $s) (i32.const 0)))
            (f32.mul (local.get $fw1) (f32.add (call $px (local.get $s) (i32.const 0)) (call $px (local.get $s) (i32.const 1)))))
            (f32.mul (local.get $fw2) (f32.add (call $px (local.get $s) (i32.const 1)) (call $px (local.get $s) (i32.const 2))))))
        ;; x = 1: taps 0 0 [1] 2 3
        (f32.store offset=4 (local.get $t)
          (f32.add (f32.add
            (f32.mul (local.get $fw0) (call $px (local.get $s) (i32.const 1)))
            (f32.mul (local.get $fw1) (f32.add (call $px (local.get $s) (i32.const 0)) (call $px (local.get $s) (i32.const 2)))))
            (f32.mul (local.get $fw2) (f32.add (call $px (local.get $s) (i32.const 0)) (call $px (local.get $s) (i32.const 3))))))
        ;; x = nx − 2: taps nx−4 nx−3 [nx−2] nx−1 nx−1
        (f32.store (i32.add (local.get $t) (i32.shl (i32.sub (local.get $last) (i32.const 1)) (i32.const 2)))
          (f32.add (f32.add
            (f32.mul (local.get $fw0) (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 1))))
            (f32.mul (local.get $fw1) (f32.add (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 2)))
                                               (call $px (local.get $s) (local.get $last)))))
            (f32.mul (local.get $fw2) (f32.add (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 3)))
                                               (call $px (local.get $s) (local.get $last))))))
        ;; x = nx − 1: taps nx−3 nx−2 [nx−1] nx−1 nx−2
        (f32.store (i32.add (local.get $t) (i32.shl (local.get $last) (i32.const 2)))
          (f32.add (f32.add
            (f32.mul (local.get $fw0) (call $px (local.get $s) (local.get $last)))
            (f32.mul (local.get $fw1) (f32.add (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 1)))
                                               (call $px (local.get $s) (local.get $last)))))
            (f32.mul (local.get $fw2) (f32.add (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 2)))
                                               (call $px (local.get $s) (i32.sub (local.get $last) (i32.const 1)))))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))

    ;; Pass 2: along y, threshold, 16 voxels → one u16 of bits.
    (local.set $o (local.get $bits))
    (local.set $y (i32.const 0))
    (block $rowsDone2
      (loop $rows2
        (br_if $rowsDone2 (i32.ge_u (local.get $y) (local.get $ny)))
        (local.set $ra (i32.add (local.get $tmp) (i32.mul (call $reflect (i32.sub (local.get $y) (i32.const 2)) (local.get $ny)) (local.get $rowBytes))))
        (local.set $rb (i32.add (local.get $tmp) (i32.mul (call $reflect (i32.sub (local.get $y) (i32.const 1)) (local.get $ny)) (local.get $rowBytes))))
        (local.set $rc (i32.add (local.get $tmp) (i32.mul (local.get $y) (local.get $rowBytes))))
        (local.set $rd (i32.add (local.get $tmp) (i32.mul (call $reflect (i32.add (local.get $y) (i32.const 1)) (local.get $ny)) (local.get $rowBytes))))
        (local.set $re (i32.add (local.get $tmp) (i32.mul (call $reflect (i32.add (local.get $y) (i32.const 2)) (local.get $ny)) (local.get $rowBytes))))
        (local.set $off (i32.const 0))
        (block $wordsDone
          (loop $words
            (br_if $wordsDone (i32.ge_u (local.get $off) (local.get $rowBytes)))
            (local.set $pa (i32.add (local.get $ra) (local.get $off)))
            (local.set $pb (i32.add (local.get $rb) (local.get $off)))
            (local.set $pc (i32.add (local.get $rc) (local.get $off)))
            (local.set $pd (i32.add (local.get $rd) (local.get $off)))
            (local.set $pe (i32.add (local.get $re) (local.get $off)))
            (local.set $m0 (f32x4.lt
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $w0) (v128.load offset=0 (local.get $pc)))
                  (f32x4.mul (local.get $w1) (f32x4.add (v128.load offset=0 (local.get $pb)) (v128.load offset=0 (local.get $pd)))))
                (f32x4.mul (local.get $w2) (f32x4.add (v128.load offset=0 (local.get $pa)) (v128.load offset=0 (local.get $pe)))))
              (local.get $vthr)))
            (local.set $m1 (f32x4.lt
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $w0) (v128.load offset=16 (local.get $pc)))
                  (f32x4.mul (local.get $w1) (f32x4.add (v128.load offset=16 (local.get $pb)) (v128.load offset=16 (local.get $pd)))))
                (f32x4.mul (local.get $w2) (f32x4.add (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pe)))))
              (local.get $vthr)))
            (local.set $m2 (f32x4.lt
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $w0) (v128.load offset=32 (local.get $pc)))
                  (f32x4.mul (local.get $w1) (f32x4.add (v128.load offset=32 (local.get $pb)) (v128.load offset=32 (local.get $pd)))))
                (f32x4.mul (local.get $w2) (f32x4.add (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pe)))))
              (local.get $vthr)))
            (local.set $m3 (f32x4.lt
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (local.get $w0) (v128.load offset=48 (local.get $pc)))
                  (f32x4.mul (local.get $w1) (f32x4.add (v128.load offset=48 (local.get $pb)) (v128.load offset=48 (local.get $pd)))))
                (f32x4.mul (local.get $w2) (f32x4.add (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pe)))))
              (local.get $vthr)))
            (i32.store16 (local.get $o)
              (i8x16.bitmask
                (i8x16.narrow_i16x8_s
                  (i16x8.narrow_i32x4_s (local.get $m0) (local.get $m1))
                  (i16x8.narrow_i32x4_s (local.get $m2) (local.get $m3)))))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))
            (local.set $off (i32.add (local.get $off) (i32.const 64)))
            (br $words)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows2))))

  ;; One slice of the dilation: d (Float32, rows of bw) holds the in-plane distance along x; this
  ;; finishes the in-plane L1 distance with two sweeps along y (rows ya..yb1, columns xa..xb1) and
  ;; writes the slices the voxel may still reach, min(cap, floor((radius - d) * invSz + eps)), or -1 where
  ;; d > limit, as Int8 into reach (same layout).
  (func (export "planeReach")
    (param $d i32) (param $reach i32) (param $bw i32) (param $ya i32) (param $yb1 i32) (param $xa i32) (param $xb1 i32)
    (param $sy f32) (param $radius f32) (param $invSz f32) (param $eps f32) (param $limit f32) (param $cap i32)
    (local $y i32) (local $x i32) (local $xEnd i32) (local $rowBytes i32) (local $p i32) (local $q i32)
    (local $v v128) (local $vsy v128) (local $vrad v128) (local $vinv v128) (local $veps v128) (local $vlim v128)
    (local $vcap v128) (local $vneg v128) (local $n v128) (local $f f32) (local $ni i32)
    (local.set $vsy (f32x4.splat (local.get $sy)))
    (local.set $vrad (f32x4.splat (local.get $radius)))
    (local.set $vinv (f32x4.splat (local.get $invSz)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vlim (f32x4.splat (local.get $limit)))
    (local.set $vcap (i32x4.splat (local.get $cap)))
    (local.set $vneg (i32x4.splat (i32.const -1)))
    (local.set $rowBytes (i32.shl (local.get $bw) (i32.const 2)))
    (local.set $xEnd (i32.add (local.get $xb1) (i32.const 1)))

    ;; Forward along y.
    (local.set $y (i32.add (local.get $ya) (i32.const 1)))
    (block $fDone
      (loop $fRows
        (br_if $fDone (i32.gt_s (local.get $y) (local.get $yb1)))
        (local.set $x (local.get $xa))
        (block $fvDone
          (loop $fv
            (br_if $fvDone (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $xEnd)))
            (local.set $p (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $bw)) (local.get $x)) (i32.const 2))))
            (v128.store (local.get $p)
              (f32x4.min (v128.load (local.get $p))
                         (f32x4.add (v128.load (i32.sub (local.get $p) (local.get $rowBytes))) (local.get $vsy))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $fv)))
        (block $fsDone
          (loop $fs
            (br_if $fsDone (i32.ge_s (local.get $x) (local.get $xEnd)))
            (local.set $p (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $bw)) (local.get $x)) (i32.const 2))))
            (f32.store (local.get $p)
              (f32.min (f32.load (local.get $p))
                       (f32.add (f32.load (i32.sub (local.get $p) (local.get $rowBytes))) (local.get $sy))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $fs)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $fRows)))

    ;; Backward along y, then the conversion to reach.
    (local.set $y (local.get $yb1))
    (block $bDone
      (loop $bRows
        (br_if $bDone (i32.lt_s (local.get $y) (local.get $ya)))
        (local.set $x (local.get $xa))
        (block $bvDone
          (loop $bv
            (br_if $bvDone (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $xEnd)))
            (local.set $q (i32.add (i32.mul (local.get $y) (local.get $bw)) (local.get $x)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 2))))
            (local.set $v (v128.load (local.get $p)))
            (if (i32.lt_s (local.get $y) (local.get $yb1))
              (then
                (local.set $v (f32x4.min (local.get $v)
                  (f32x4.add (v128.load (i32.add (local.get $p) (local.get $rowBytes))) (local.get $vsy))))
                (v128.store (local.get $p) (local.get $v))))
            (local.set $n
              (i32x4.min_s (local.get $vcap)
                (i32x4.trunc_sat_f32x4_s
                  (f32x4.add (f32x4.mul (f32x4.sub (local.get $vrad) (local.get $v)) (local.get $vinv)) (local.get $veps)))))
            (local.set $n (v128.bitselect (local.get $n) (local.get $vneg) (f32x4.le (local.get $v) (local.get $vlim))))
            (local.set $n (i16x8.narrow_i32x4_s (local.get $n) (local.get $n)))
            (i32.store (i32.add (local.get $reach) (local.get $q))
              (i32x4.extract_lane 0 (i8x16.narrow_i16x8_s (local.get $n) (local.get $n))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $bv)))
        (block $bsDone
          (loop $bs
            (br_if $bsDone (i32.ge_s (local.get $x) (local.get $xEnd)))
            (local.set $q (i32.add (i32.mul (local.get $y) (local.get $bw)) (local.get $x)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 2))))
            (local.set $f (f32.load (local.get $p)))
            (if (i32.lt_s (local.get $y) (local.get $yb1))
              (then
                (local.set $f (f32.min (local.get $f) (f32.add (f32.load (i32.add (local.get $p) (local.get $rowBytes))) (local.get $sy))))
                (f32.store (local.get $p) (local.get $f))))
            (local.set $ni (i32.const -1))
            (if (f32.le (local.get $f) (local.get $limit))
              (then
                (local.set $ni (i32.trunc_sat_f32_s
                  (f32.add (f32.mul (f32.sub (local.get $radius) (local.get $f)) (local.get $invSz)) (local.get $eps))))
                (if (i32.gt_s (local.get $ni) (local.get $cap)) (then (local.set $ni (local.get $cap))))))
            (i32.store8 (i32.add (local.get $reach) (local.get $q)) (local.get $ni))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $bs)))
        (local.set $y (i32.sub (local.get $y) (i32.const 1)))
        (br $bRows))))

  ;; The dilation along z over the whole box (Int8, planes of `plane` >= 16 bytes, `total` bytes):
  ;; r(k) = max(r(k), r(k-+1) - 1) forward then backward, then 1 where r >= 0, else 0.
  (func (export "zReach") (param $r i32) (param $plane i32) (param $total i32)
    (local $i i32) (local $p i32) (local $one v128) (local $zero v128) (local $a i32) (local $b i32)
    (local.set $one (i8x16.splat (i32.const 1)))
    (local.set $zero (i8x16.splat (i32.const 0)))
    ;; Forward: i = plane .. total - 1.
    (local.set $i (local.get $plane))
    (block $fDone
      (loop $f
        (br_if $fDone (i32.gt_s (i32.add (local.get $i) (i32.const 16)) (local.get $total)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (v128.store (local.get $p)
          (i8x16.max_s (v128.load (local.get $p))
                       (i8x16.sub_sat_s (v128.load (i32.sub (local.get $p) (local.get $plane))) (local.get $one))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $f)))
    (block $fsDone
      (loop $fs
        (br_if $fsDone (i32.ge_s (local.get $i) (local.get $total)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (local.set $a (i32.load8_s (local.get $p)))
        (local.set $b (i32.sub (i32.load8_s (i32.sub (local.get $p) (local.get $plane))) (i32.const 1)))
        (if (i32.gt_s (local.get $b) (local.get $a)) (then (i32.store8 (local.get $p) (local.get $b))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fs)))
    ;; Backward: chunks from i = total - plane - 16 down, then the head one by one.
    (local.set $i (i32.sub (i32.sub (local.get $total) (local.get $plane)) (i32.const 16)))
    (block $bDone
      (loop $b
        (br_if $bDone (i32.lt_s (local.get $i) (i32.const 0)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (v128.store (local.get $p)
          (i8x16.max_s (v128.load (local.get $p))
                       (i8x16.sub_sat_s (v128.load (i32.add (local.get $p) (local.get $plane))) (local.get $one))))
        (local.set $i (i32.sub (local.get $i) (i32.const 16)))
        (br $b)))
    (local.set $i (i32.add (local.get $i) (i32.const 15)))
    (block $bsDone
      (loop $bs
        (br_if $bsDone (i32.lt_s (local.get $i) (i32.const 0)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (local.set $a (i32.load8_s (local.get $p)))
        (local.set $b (i32.sub (i32.load8_s (i32.add (local.get $p) (local.get $plane))) (i32.const 1)))
        (if (i32.gt_s (local.get $b) (local.get $a)) (then (i32.store8 (local.get $p) (local.get $b))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $bs)))
    ;; To 0/1.
    (local.set $i (i32.const 0))
    (block $cDone
      (loop $c
        (br_if $cDone (i32.gt_s (i32.add (local.get $i) (i32.const 16)) (local.get $total)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (v128.store (local.get $p) (v128.and (i8x16.ge_s (v128.load (local.get $p)) (local.get $zero)) (local.get $one)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $c)))
    (block $csDone
      (loop $cs
        (br_if $csDone (i32.ge_s (local.get $i) (local.get $total)))
        (local.set $p (i32.add (local.get $r) (local.get $i)))
        (i32.store8 (local.get $p) (i32.ge_s (i32.load8_s (local.get $p)) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cs))))

  (func (export "blockMean2") (param $src i32) (param $nx i32) (param $ny i32) (param $dst i32) (param $stride i32)
    (local $y i32) (local $c i32) (local $cx i32) (local $cy i32) (local $a i32) (local $b i32) (local $d i32)
    (local $two v128) (local $s0 v128) (local $s1 v128)
    (local.set $two (i32x4.splat (i32.const 2)))
    (local.set $cx (i32.shr_u (local.get $nx) (i32.const 1)))
    (local.set $cy (i32.shr_u (local.get $ny) (i32.const 1)))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $cy)))
        ;; Rows 2y and 2y + 1 of the slice, row y of the result.
        (local.set $a (i32.add (local.get $src) (i32.shl (i32.mul (i32.shl (local.get $y) (i32.const 1)) (local.get $nx)) (i32.const 1))))
        (local.set $b (i32.add (local.get $a) (i32.shl (local.get $nx) (i32.const 1))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $stride)) (i32.const 1))))
        ;; Eight blocks at a time (16 pixels of each row), then one at a time.
        (local.set $c (i32.const 0))
        (block $done
          (loop $chunks
            (br_if $done (i32.gt_s (i32.add (local.get $c) (i32.const 8)) (local.get $cx)))
            (local.set $s0
              (i32x4.shr_s
                (i32x4.add (local.get $two)
                  (i32x4.add (i32x4.extadd_pairwise_i16x8_s (v128.load (i32.add (local.get $a) (i32.shl (local.get $c) (i32.const 2)))))
                             (i32x4.extadd_pairwise_i16x8_s (v128.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))))
                (i32.const 2)))
            (local.set $s1
              (i32x4.shr_s
                (i32x4.add (local.get $two)
                  (i32x4.add (i32x4.extadd_pairwise_i16x8_s (v128.load offset=16 (i32.add (local.get $a) (i32.shl (local.get $c) (i32.const 2)))))
                             (i32x4.extadd_pairwise_i16x8_s (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))))
                (i32.const 2)))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 1)))
              (i16x8.narrow_i32x4_s (local.get $s0) (local.get $s1)))
            (local.set $c (i32.add (local.get $c) (i32.const 8)))
            (br $chunks)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_s (local.get $c) (local.get $cx)))
            (i32.store16 (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 1)))
              (i32.shr_s
                (i32.add (i32.const 2)
                  (i32.add
                    (i32.add (i32.load16_s (i32.add (local.get $a) (i32.shl (local.get $c) (i32.const 2))))
                             (i32.load16_s offset=2 (i32.add (local.get $a) (i32.shl (local.get $c) (i32.const 2)))))
                    (i32.add (i32.load16_s (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2))))
                             (i32.load16_s offset=2 (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 2)))))))
                (i32.const 2)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $tail)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  (func (export "l1Rows") (param $src i32) (param $d i32) (param $nx i32) (param $rows i32) (param $sx f64)
    (local $r i32) (local $x i32) (local $p i32) (local $q i32) (local $prev f32) (local $inf f32)
    (local.set $inf (f32.div (f32.const 1) (f32.const 0)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        ;; p: the row's first voxel index.
        (local.set $p (i32.mul (local.get $r) (local.get $nx)))
        ;; Forward: 0 on the source, else the left neighbour + sx (Infinity before any source).
        (local.set $prev (local.get $inf))
        (local.set $x (i32.const 0))
        (block $fDone
          (loop $f
            (br_if $fDone (i32.ge_s (local.get $x) (local.get $nx)))
            (local.set $q (i32.add (local.get $p) (local.get $x)))
            (local.set $prev
              (if (result f32) (i32.load8_u (i32.add (local.get $src) (local.get $q)))
                (then (f32.const 0))
                (else (if (result f32) (local.get $x)
                  (then (f32.demote_f64 (f64.add (f64.promote_f32 (local.get $prev)) (local.get $sx))))
                  (else (local.get $inf))))))
            (f32.store (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 2))) (local.get $prev))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $f)))
        ;; Backward: the right neighbour + sx when smaller.
        (local.set $x (i32.sub (local.get $nx) (i32.const 2)))
        (block $bDone
          (loop $b
            (br_if $bDone (i32.lt_s (local.get $x) (i32.const 0)))
            (local.set $q (i32.add (local.get $d) (i32.shl (i32.add (local.get $p) (local.get $x)) (i32.const 2))))
            (local.set $prev (f32.min (f32.demote_f64 (f64.add (f64.promote_f32 (local.get $prev)) (local.get $sx))) (f32.load (local.get $q))))
            (f32.store (local.get $q) (local.get $prev))
            (local.set $x (i32.sub (local.get $x) (i32.const 1)))
            (br $b)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowsLoop))))

  (func (export "l1Sweep") (param $d i32) (param $from i32) (param $to i32) (param $step i32) (param $s f64)
    (local $i i32) (local $p i32) (local $off i32) (local $s2 v128) (local $v v128)
    (local.set $s2 (f64x2.splat (local.get $s)))
    (local.set $off (i32.shl (local.get $step) (i32.const 2)))
    (if (i32.lt_s (local.get $step) (i32.const 0))
      (then
        ;; Upwards: 4 at a time, then the tail one by one.
        (local.set $i (local.get $from))
        (block $vDone
          (loop $v
            (br_if $vDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $to)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2))))
            (v128.store (local.get $p)
              (f32x4.min (block (result v128)
                (local.set $v (v128.load (i32.add (local.get $p) (local.get $off))))
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                  (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $v)) (local.get $s2)))
                  (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $s2))))) (v128.load (local.get $p))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $v)))
        (block $tDone
          (loop $t
            (br_if $tDone (i32.ge_s (local.get $i) (local.get $to)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2))))
            (f32.store (local.get $p)
              (f32.min (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $off)))) (local.get $s))) (f32.load (local.get $p))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $t))))
      (else
        ;; Downwards: chunks from the top, then the head one by one, downwards.
        (local.set $i (i32.sub (local.get $to) (i32.const 4)))
        (block $wDone
          (loop $w
            (br_if $wDone (i32.lt_s (local.get $i) (local.get $from)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2))))
            (v128.store (local.get $p)
              (f32x4.min (block (result v128)
                (local.set $v (v128.load (i32.add (local.get $p) (local.get $off))))
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                  (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4 (local.get $v)) (local.get $s2)))
                  (f32x4.demote_f64x2_zero (f64x2.add (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $s2))))) (v128.load (local.get $p))))
            (local.set $i (i32.sub (local.get $i) (i32.const 4)))
            (br $w)))
        (local.set $i (i32.add (local.get $i) (i32.const 3)))
        (block $hDone
          (loop $h
            (br_if $hDone (i32.lt_s (local.get $i) (local.get $from)))
            (local.set $p (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 2))))
            (f32.store (local.get $p)
              (f32.min (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $off)))) (local.get $s))) (f32.load (local.get $p))))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br $h))))))

  (func (export "growWithin") (param $owner i32) (param $outside i32) (param $queue i32) (param $n i32) (param $w i32) (param $plane i32)
    (local $i i32) (local $j i32) (local $head i32) (local $tail i32) (local $label i32)
    ;; The seeds, in index order.
    (block $seedsDone
      (loop $seeds
        (br_if $seedsDone (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.load8_u (i32.add (local.get $owner) (local.get $i)))
          (then
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $i))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $seeds)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $head) (local.get $tail)))
        (local.set $i (i32.load (i32.add (local.get $queue) (i32.shl (local.get $head) (i32.const 2)))))
        (local.set $label (i32.load8_u (i32.add (local.get $owner) (local.get $i))))
        (local.set $j (i32.sub (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $j (i32.add (local.get $i) (i32.const 1)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $j (i32.sub (local.get $i) (local.get $w)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $j (i32.add (local.get $i) (local.get $w)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $j (i32.sub (local.get $i) (local.get $plane)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $j (i32.add (local.get $i) (local.get $plane)))
        (if (i32.eqz (i32.or (i32.load8_u (i32.add (local.get $outside) (local.get $j))) (i32.load8_u (i32.add (local.get $owner) (local.get $j)))))
          (then
            (i32.store8 (i32.add (local.get $owner) (local.get $j)) (local.get $label))
            (i32.store (i32.add (local.get $queue) (i32.shl (local.get $tail) (i32.const 2))) (local.get $j))
            (local.set $tail (i32.add (local.get $tail) (i32.const 1)))))
        (local.set $head (i32.add (local.get $head) (i32.const 1)))
        (br $next)))
  )

  ;; Joins the runs of rows a and b that overlap when widened by `grow` voxels; the smaller root wins.
  (func $joinRows (param $rowStart i32) (param $x0 i32) (param $x1 i32) (param $parent i32) (param $a i32) (param $b i32) (param $grow i32)
    (local $i i32) (local $j i32) (local $ie i32) (local $je i32) (local $ri i32) (local $rj i32)
    (local $x0i i32) (local $x1i i32) (local $x0j i32) (local $x1j i32) (local $p i32)
    (local.set $i (i32.load (i32.add (local.get $rowStart) (i32.shl (local.get $a) (i32.const 2)))))
    (local.set $ie (i32.load (i32.add (local.get $rowStart) (i32.shl (i32.add (local.get $a) (i32.const 1)) (i32.const 2)))))
    (local.set $j (i32.load (i32.add (local.get $rowStart) (i32.shl (local.get $b) (i32.const 2)))))
    (local.set $je (i32.load (i32.add (local.get $rowStart) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 2)))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $ie)))
        (br_if $done (i32.ge_s (local.get $j) (local.get $je)))
        (local.set $x0i (i32.load (i32.add (local.get $x0) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $x1i (i32.load (i32.add (local.get $x1) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $x0j (i32.load (i32.add (local.get $x0) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $x1j (i32.load (i32.add (local.get $x1) (i32.shl (local.get $j) (i32.const 2)))))
        (if (i32.and
              (i32.lt_s (local.get $x0i) (i32.add (local.get $x1j) (local.get $grow)))
              (i32.lt_s (local.get $x0j) (i32.add (local.get $x1i) (local.get $grow))))
          (then
            (local.set $ri (local.get $i))
            (block $findIDone
              (loop $findI
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $ri) (i32.const 2)))))
                (br_if $findIDone (i32.eq (local.get $p) (local.get $ri)))
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $p) (i32.const 2)))))
                (i32.store (i32.add (local.get $parent) (i32.shl (local.get $ri) (i32.const 2))) (local.get $p))
                (local.set $ri (local.get $p))
                (br $findI)))
            (local.set $rj (local.get $j))
            (block $findJDone
              (loop $findJ
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $rj) (i32.const 2)))))
                (br_if $findJDone (i32.eq (local.get $p) (local.get $rj)))
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $p) (i32.const 2)))))
                (i32.store (i32.add (local.get $parent) (i32.shl (local.get $rj) (i32.const 2))) (local.get $p))
                (local.set $rj (local.get $p))
                (br $findJ)))
            (if (i32.lt_s (local.get $ri) (local.get $rj))
              (then (i32.store (i32.add (local.get $parent) (i32.shl (local.get $rj) (i32.const 2))) (local.get $ri)))
              (else (if (i32.lt_s (local.get $rj) (local.get $ri))
                (then (i32.store (i32.add (local.get $parent) (i32.shl (local.get $ri) (i32.const 2))) (local.get $rj))))))))
        (if (i32.lt_s (local.get $x1i) (local.get $x1j))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
          (else (local.set $j (i32.add (local.get $j) (i32.const 1)))))
        (br $step))))

  (func (export "labelRuns") (param $rowStart i32) (param $x0 i32) (param $x1 i32) (param $parent i32) (param $label i32)
    (param $ny i32) (param $nz i32) (param $count i32) (param $grow i32) (param $threeD i32) (param $corners i32) (result i32)
    (local $i i32) (local $k i32) (local $y i32) (local $r i32) (local $below i32) (local $root i32) (local $n i32) (local $p i32)
    (block $initDone
      (loop $init
        (br_if $initDone (i32.ge_s (local.get $i) (local.get $count)))
        (i32.store (i32.add (local.get $parent) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $init)))
    (block $slicesDone
      (loop $slices
        (br_if $slicesDone (i32.ge_s (local.get $k) (local.get $nz)))
        (local.set $y (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $y) (local.get $ny)))
            (local.set $r (i32.add (i32.mul (local.get $k) (local.get $ny)) (local.get $y)))
            ;; Rows without runs join nothing.
            (if (i32.ne
                  (i32.load (i32.add (local.get $rowStart) (i32.shl (local.get $r) (i32.const 2))))
                  (i32.load (i32.add (local.get $rowStart) (i32.shl (i32.add (local.get $r) (i32.const 1)) (i32.const 2)))))
              (then
                (if (local.get $y)
                  (then (call $joinRows (local.get $rowStart) (local.get $x0) (local.get $x1) (local.get $parent)
                    (local.get $r) (i32.sub (local.get $r) (i32.const 1)) (local.get $grow))))
                (if (i32.and (local.get $threeD) (i32.gt_s (local.get $k) (i32.const 0)))
                  (then
                    (local.set $below (i32.sub (local.get $r) (local.get $ny)))
                    (call $joinRows (local.get $rowStart) (local.get $x0) (local.get $x1) (local.get $parent)
                      (local.get $r) (local.get $below) (local.get $grow))
                    (if (local.get $corners)
                      (then
                        (if (local.get $y)
                          (then (call $joinRows (local.get $rowStart) (local.get $x0) (local.get $x1) (local.get $parent)
                            (local.get $r) (i32.sub (local.get $below) (i32.const 1)) (i32.const 1))))
                        (if (i32.lt_s (local.get $y) (i32.sub (local.get $ny) (i32.const 1)))
                          (then (call $joinRows (local.get $rowStart) (local.get $x0) (local.get $x1) (local.get $parent)
                            (local.get $r) (i32.add (local.get $below) (i32.const 1)) (i32.const 1))))))))))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $rows)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $slices)))
    ;; Labels: roots numbered in run order; every other run takes its root's (the root comes first).
    (local.set $i (i32.const 0))
    (block $labelsDone
      (loop $labels
        (br_if $labelsDone (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $root (local.get $i))
            (block $findRootDone
              (loop $findRoot
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $root) (i32.const 2)))))
                (br_if $findRootDone (i32.eq (local.get $p) (local.get $root)))
                (local.set $p (i32.load (i32.add (local.get $parent) (i32.shl (local.get $p) (i32.const 2)))))
                (i32.store (i32.add (local.get $parent) (i32.shl (local.get $root) (i32.const 2))) (local.get $p))
                (local.set $root (local.get $p))
                (br $findRoot)))
        (if (i32.eq (local.get $root) (local.get $i))
          (then
            (i32.store (i32.add (local.get $label) (i32.shl (local.get $i) (i32.const 2))) (local.get $n))
            (local.set $n (i32.add (local.get $n) (i32.const 1))))
          (else
            (i32.store (i32.add (local.get $label) (i32.shl (local.get $i) (i32.const 2)))
              (i32.load (i32.add (local.get $label) (i32.shl (local.get $root) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $labels)))
    (local.get $n))

  ;; Rows dilated by the disc, within [0, width): per row the union of the rows within reach, each
  ;; interval widened by that row offset's half-chord, merged list by list (cur/next: pairs).
  (func $discDilate (param $sS i32) (param $sA i32) (param $sB i32) (param $h i32) (param $half i32) (param $r i32) (param $width i32)
    (param $cur i32) (param $next i32) (param $oS i32) (param $oA i32) (param $oB i32) (result i32)
    (local $y i32) (local $dy i32) (local $row i32) (local $first i32) (local $last i32) (local $w i32)
    (local $n i32) (local $m i32) (local $i i32) (local $j i32) (local $a i32) (local $b i32) (local $t i32) (local $count i32)
    (i32.store (i32.add (local.get $oS) (i32.shl (i32.const 0) (i32.const 2))) (i32.const 0))
    (block $yDone
      (loop $yLoop
        (br_if $yDone (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $n (i32.const 0))
        ;; dy from max(−r, −y) while dy ≤ r and y + dy < h
        (local.set $dy (i32.sub (i32.const 0) (local.get $r)))
        (if (i32.lt_s (local.get $dy) (i32.sub (i32.const 0) (local.get $y)))
          (then (local.set $dy (i32.sub (i32.const 0) (local.get $y)))))
        (block $dyDone
          (loop $dyLoop
            (br_if $dyDone (i32.gt_s (local.get $dy) (local.get $r)))
            (local.set $row (i32.add (local.get $y) (local.get $dy)))
            (br_if $dyDone (i32.ge_s (local.get $row) (local.get $h)))
            (local.set $first (i32.load (i32.add (local.get $sS) (i32.shl (local.get $row) (i32.const 2)))))
            (local.set $last (i32.load (i32.add (local.get $sS) (i32.shl (i32.add (local.get $row) (i32.const 1)) (i32.const 2)))))
            (if (i32.ne (local.get $first) (local.get $last))
              (then
                (local.set $w (i32.load (i32.add (local.get $half) (i32.shl (select (i32.sub (i32.const 0) (local.get $dy)) (local.get $dy) (i32.lt_s (local.get $dy) (i32.const 0))) (i32.const 2)))))
                (local.set $m (i32.const 0))
                (local.set $i (i32.const 0))
                (local.set $j (local.get $first))
                (block $mDone
                  (loop $mLoop
                    (br_if $mDone (i32.and (i32.ge_s (local.get $i) (local.get $n)) (i32.ge_s (local.get $j) (local.get $last))))
                    (if (i32.or (i32.ge_s (local.get $j) (local.get $last))
                          (i32.and (i32.lt_s (local.get $i) (local.get $n))
                            (i32.le_s (i32.load (i32.add (local.get $cur) (i32.shl (i32.shl (local.get $i) (i32.const 1)) (i32.const 2))))
                              (i32.sub (i32.load (i32.add (local.get $sA) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))))
                      (then
                        (local.set $a (i32.load (i32.add (local.get $cur) (i32.shl (i32.shl (local.get $i) (i32.const 1)) (i32.const 2)))))
                        (local.set $b (i32.load (i32.add (local.get $cur) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (i32.const 2)))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1))))
                      (else
                        (local.set $a (i32.sub (i32.load (i32.add (local.get $sA) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                        (if (i32.lt_s (local.get $a) (i32.const 0)) (then (local.set $a (i32.const 0))))
                        (local.set $b (i32.add (i32.load (i32.add (local.get $sB) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                        (if (i32.gt_s (local.get $b) (local.get $width)) (then (local.set $b (local.get $width))))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))))
                    (if (i32.and (i32.gt_s (local.get $m) (i32.const 0))
                          (i32.le_s (local.get $a) (i32.load (i32.add (local.get $next) (i32.shl (i32.sub (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2))))))
                      (then
                        (if (i32.gt_s (local.get $b) (i32.load (i32.add (local.get $next) (i32.shl (i32.sub (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2)))))
                          (then (i32.store (i32.add (local.get $next) (i32.shl (i32.sub (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2))) (local.get $b)))))
                      (else
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.shl (local.get $m) (i32.const 1)) (i32.const 2))) (local.get $a))
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.add (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2))) (local.get $b))
                        (local.set $m (i32.add (local.get $m) (i32.const 1)))))
                    (br $mLoop)))
                (local.set $t (local.get $cur))
                (local.set $cur (local.get $next))
                (local.set $next (local.get $t))
                (local.set $n (local.get $m))))
            (local.set $dy (i32.add (local.get $dy) (i32.const 1)))
            (br $dyLoop)))
        (local.set $i (i32.const 0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_s (local.get $i) (local.get $n)))
            (i32.store (i32.add (local.get $oA) (i32.shl (local.get $count) (i32.const 2))) (i32.load (i32.add (local.get $cur) (i32.shl (i32.shl (local.get $i) (i32.const 1)) (i32.const 2)))))
            (i32.store (i32.add (local.get $oB) (i32.shl (local.get $count) (i32.const 2))) (i32.load (i32.add (local.get $cur) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (i32.const 2)))))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $cLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (i32.store (i32.add (local.get $oS) (i32.shl (local.get $y) (i32.const 2))) (local.get $count))
        (br $yLoop)))
    (local.get $count))

  ;; Rows eroded by the disc: x stays where every row y + dy (|dy| ≤ r) holds [x − half, x + half],
  ;; the intersection of the rows' intervals each shrunk by its half-chord (none beyond the box).
  (func $discErode (param $sS i32) (param $sA i32) (param $sB i32) (param $h i32) (param $half i32) (param $r i32)
    (param $cur i32) (param $next i32) (param $oS i32) (param $oA i32) (param $oB i32) (result i32)
    (local $y i32) (local $dy i32) (local $row i32) (local $first i32) (local $last i32) (local $w i32)
    (local $n i32) (local $m i32) (local $i i32) (local $j i32) (local $a i32) (local $b i32) (local $t i32) (local $count i32)
    (local $ca i32) (local $cb i32) (local $sb i32)
    (i32.store (i32.add (local.get $oS) (i32.shl (i32.const 0) (i32.const 2))) (i32.const 0))
    (block $yDone
      (loop $yLoop
        (br_if $yDone (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $n (i32.const -1))
        (local.set $dy (i32.sub (i32.const 0) (local.get $r)))
        (block $dyDone
          (loop $dyLoop
            (br_if $dyDone (i32.gt_s (local.get $dy) (local.get $r)))
            (br_if $dyDone (i32.eqz (local.get $n)))
            (local.set $row (i32.add (local.get $y) (local.get $dy)))
            (if (i32.or (i32.lt_s (local.get $row) (i32.const 0)) (i32.ge_s (local.get $row) (local.get $h)))
              (then
                (local.set $n (i32.const 0))
                (br $dyDone)))
            (local.set $w (i32.load (i32.add (local.get $half) (i32.shl (select (i32.sub (i32.const 0) (local.get $dy)) (local.get $dy) (i32.lt_s (local.get $dy) (i32.const 0))) (i32.const 2)))))
            (local.set $first (i32.load (i32.add (local.get $sS) (i32.shl (local.get $row) (i32.const 2)))))
            (local.set $last (i32.load (i32.add (local.get $sS) (i32.shl (i32.add (local.get $row) (i32.const 1)) (i32.const 2)))))
            (local.set $m (i32.const 0))
            (if (i32.lt_s (local.get $n) (i32.const 0))
              (then
                (local.set $j (local.get $first))
                (block $fDone
                  (loop $fLoop
                    (br_if $fDone (i32.ge_s (local.get $j) (local.get $last)))
                    (local.set $a (i32.add (i32.load (i32.add (local.get $sA) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                    (local.set $b (i32.sub (i32.load (i32.add (local.get $sB) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                    (if (i32.gt_s (local.get $b) (local.get $a))
                      (then
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.shl (local.get $m) (i32.const 1)) (i32.const 2))) (local.get $a))
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.add (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2))) (local.get $b))
                        (local.set $m (i32.add (local.get $m) (i32.const 1)))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $fLoop))))
              (else
                (local.set $i (i32.const 0))
                (local.set $j (local.get $first))
                (block $iDone
                  (loop $iLoop
                    (br_if $iDone (i32.ge_s (local.get $i) (local.get $n)))
                    (br_if $iDone (i32.ge_s (local.get $j) (local.get $last)))
                    (local.set $ca (i32.load (i32.add (local.get $cur) (i32.shl (i32.shl (local.get $i) (i32.const 1)) (i32.const 2)))))
                    (local.set $cb (i32.load (i32.add (local.get $cur) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (i32.const 2)))))
                    (local.set $sb (i32.sub (i32.load (i32.add (local.get $sB) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                    (local.set $a (i32.add (i32.load (i32.add (local.get $sA) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w)))
                    (if (i32.gt_s (local.get $ca) (local.get $a)) (then (local.set $a (local.get $ca))))
                    (local.set $b (local.get $sb))
                    (if (i32.lt_s (local.get $cb) (local.get $b)) (then (local.set $b (local.get $cb))))
                    (if (i32.gt_s (local.get $b) (local.get $a))
                      (then
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.shl (local.get $m) (i32.const 1)) (i32.const 2))) (local.get $a))
                        (i32.store (i32.add (local.get $next) (i32.shl (i32.add (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)) (i32.const 2))) (local.get $b))
                        (local.set $m (i32.add (local.get $m) (i32.const 1)))))
                    (if (i32.lt_s (local.get $cb) (local.get $sb))
                      (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
                      (else (local.set $j (i32.add (local.get $j) (i32.const 1)))))
                    (br $iLoop)))))
            (local.set $t (local.get $cur))
            (local.set $cur (local.get $next))
            (local.set $next (local.get $t))
            (local.set $n (local.get $m))
            (local.set $dy (i32.add (local.get $dy) (i32.const 1)))
            (br $dyLoop)))
        (local.set $i (i32.const 0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_s (local.get $i) (local.get $n)))
            (i32.store (i32.add (local.get $oA) (i32.shl (local.get $count) (i32.const 2))) (i32.load (i32.add (local.get $cur) (i32.shl (i32.shl (local.get $i) (i32.const 1)) (i32.const 2)))))
            (i32.store (i32.add (local.get $oB) (i32.shl (local.get $count) (i32.const 2))) (i32.load (i32.add (local.get $cur) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (i32.const 2)))))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $cLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (i32.store (i32.add (local.get $oS) (i32.shl (local.get $y) (i32.const 2))) (local.get $count))
        (br $yLoop)))
    (local.get $count))

  (func (export "closeRows") (param $inS i32) (param $inA i32) (param $inB i32) (param $h i32) (param $half i32) (param $r i32) (param $width i32)
    (param $dS i32) (param $dA i32) (param $dB i32) (param $eS i32) (param $eA i32) (param $eB i32) (param $cur i32) (param $next i32)
    (param $oS i32) (param $oA i32) (param $oB i32) (result i32)
    (local $y i32) (local $i i32) (local $ie i32) (local $k i32) (local $ke i32) (local $count i32)
    (local $a i32) (local $b i32) (local $runStart i32) (local $runEnd i32) (local $fromE i32)
    (drop (call $discDilate (local.get $inS) (local.get $inA) (local.get $inB) (local.get $h) (local.get $half) (local.get $r) (local.get $width)
      (local.get $cur) (local.get $next) (local.get $dS) (local.get $dA) (local.get $dB)))
    (drop (call $discErode (local.get $dS) (local.get $dA) (local.get $dB) (local.get $h) (local.get $half) (local.get $r)
      (local.get $cur) (local.get $next) (local.get $eS) (local.get $eA) (local.get $eB)))
    ;; Per row: the eroded and the input intervals merged in order of start, touching ones coalesced.
    (i32.store (i32.add (local.get $oS) (i32.shl (i32.const 0) (i32.const 2))) (i32.const 0))
    (block $yDone
      (loop $yLoop
        (br_if $yDone (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $i (i32.load (i32.add (local.get $eS) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $ie (i32.load (i32.add (local.get $eS) (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 2)))))
        (local.set $k (i32.load (i32.add (local.get $inS) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $ke (i32.load (i32.add (local.get $inS) (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 2)))))
        (local.set $runStart (i32.const -1))
        (block $mDone
          (loop $mLoop
            (br_if $mDone (i32.and (i32.ge_s (local.get $i) (local.get $ie)) (i32.ge_s (local.get $k) (local.get $ke))))
            (local.set $fromE (i32.or (i32.ge_s (local.get $k) (local.get $ke))
              (i32.and (i32.lt_s (local.get $i) (local.get $ie))
                (i32.le_s (i32.load (i32.add (local.get $eA) (i32.shl (local.get $i) (i32.const 2)))) (i32.load (i32.add (local.get $inA) (i32.shl (local.get $k) (i32.const 2))))))))
            (if (local.get $fromE)
              (then
                (local.set $a (i32.load (i32.add (local.get $eA) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $b (i32.load (i32.add (local.get $eB) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1))))
              (else
                (local.set $a (i32.load (i32.add (local.get $inA) (i32.shl (local.get $k) (i32.const 2)))))
                (local.set $b (i32.load (i32.add (local.get $inB) (i32.shl (local.get $k) (i32.const 2)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))))
            (if (i32.and (i32.ge_s (local.get $runStart) (i32.const 0)) (i32.le_s (local.get $a) (local.get $runEnd)))
              (then
                (if (i32.gt_s (local.get $b) (local.get $runEnd)) (then (local.set $runEnd (local.get $b)))))
              (else
                (if (i32.ge_s (local.get $runStart) (i32.const 0))
                  (then
                    (i32.store (i32.add (local.get $oA) (i32.shl (local.get $count) (i32.const 2))) (local.get $runStart))
                    (i32.store (i32.add (local.get $oB) (i32.shl (local.get $count) (i32.const 2))) (local.get $runEnd))
                    (local.set $count (i32.add (local.get $count) (i32.const 1)))))
                (local.set $runStart (local.get $a))
                (local.set $runEnd (local.get $b))))
            (br $mLoop)))
        (if (i32.ge_s (local.get $runStart) (i32.const 0))
          (then
            (i32.store (i32.add (local.get $oA) (i32.shl (local.get $count) (i32.const 2))) (local.get $runStart))
            (i32.store (i32.add (local.get $oB) (i32.shl (local.get $count) (i32.const 2))) (local.get $runEnd))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (i32.store (i32.add (local.get $oS) (i32.shl (local.get $y) (i32.const 2))) (local.get $count))
        (br $yLoop)))
    (local.get $count))
)
