;; stochastic-kernel.wat: the random-walk enhancement's inner loops, 128-bit SIMD. Assembled into
;; stochastic-kernel.wasm.ts by scripts/build-wasm.mjs; driven by stochastic-kernel.ts. It computes
;; exactly what stochastic-reference.ts states (bit-identical sums, tested): read that first.
;;
;; Memory is imported and shared: every worker thread instantiates this module on the same memory,
;; which holds a job block (JOB in stochastic-kernel.ts), the spray angle table at 1024, the
;; image's 16-bit codes at 132096, its float32 values, (value, gradient) float32 pairs, the
;; float64 sums and one scratch area per thread. `prepare` fills codes, values and pairs from the
;; input; `row` does one row of the pixel grid (every `step`-th pixel of every `step`-th image row)
;; for chains [chainStart, chainEnd) in batches of at most `batch` chains and adds the results to
;; the sums (the caller hands out the rows); `upsample` interpolates a preview.
;;
;; SIMD layout: four lanes = four independent (pixel, chain) tasks. A row's tasks (pixel-major,
;; chains in order) form a queue; when a lane's task ends, its results are written out and the
;; lane takes the next task with replace_lane, so no lane waits for a slower one (walks last 1 to
;; M/2 steps). Per row and batch:
;;   $walk   every task's walk (positions packed as x | y << 16: i32x4.dot_i16x8_s gives both the
;;           pixel index and the squared distance). A finished walk writes Σ w·I and Σ w, and either
;;           its final min and max, or a spray record (48 bytes) when samples remain;
;;   $spray  the records' remaining samples, proposed per quadrant of directions (its stacked
;;           radius ranges C1 ≤ C2 ≤ C3 ≤ L, see sprayRanges in the reference) and software-
;;           pipelined (each iteration reads the codes of the draw the previous one computed).
;;           Sprayed samples only move min and max, so the spray reads the 16-bit codes (a quarter
;;           of the float32 image: these random reads are what the spray waits on) and tracks
;;           codes. A task stops as soon as its min and max codes
;;           equal the image's minimum and maximum: no later sample can change either, so s is
;;           already what the full M samples give (the reference draws them all; the sums agree);
;;   $sum    per pixel, chains in order, into the float64 sums (so rounds do not change them).
;; The step limit of a walk and the draw limit of a spray are deadlines on a scalar iteration
;; count (checked with one compare per iteration, not per lane). Gathers use v128.load*_lane.
;; Float32 math only; a spray position is rounded to a pixel by adding 1.5·2^23 (MAGIC) and reading
;; the bits.
;;
;; Scratch layout (bytes from the thread's scratch base):
;;   0 walk task per lane, 16 its grid column, 32 spray task per lane, 48 its samples needed;
;;   64… the walk queue's state (next task, chain, column; record count; the next task's index,
;;   column, packed position, key, value, gradient; pixel key); 128 walk start iteration per lane,
;;   144 walk deadline per lane, 160 spray deadline per lane;
;;   1024… tcap entries each: Σ w·I, Σ w (f32), min and max codes (i32); then tcap spray records
;;   of 48 bytes (ctr, min, max, x0 + MAGIC, L/65536, code index of x0, samples needed, task,
;;   C1, C2, C3); then per grid column [L/65536 (−1: no spray), C1, C2, C3] (f32).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; "lowbias32" (scalar), for the chain keys.
  (func $mix (param $x i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0x7feb352d)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 15))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0x846ca68b)))
    (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))

  ;; The smallest of four i32 at $p (the lanes' deadlines).
  (func $min4 (param $p i32) (result i32)
    (local $a i32) (local $b i32)
    (local.set $a (select (i32.load (local.get $p)) (i32.load offset=4 (local.get $p))
      (i32.lt_s (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))))
    (local.set $b (select (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p))
      (i32.lt_s (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p)))))
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))

  ;; Bit L set where lane L's deadline (four i32 at $p) is ≤ $it.
  (func $due (param $p i32) (param $it i32) (result i32)
    (i32.or
      (i32.or (i32.le_s (i32.load (local.get $p)) (local.get $it))
              (i32.shl (i32.le_s (i32.load offset=4 (local.get $p)) (local.get $it)) (i32.const 1)))
      (i32.or (i32.shl (i32.le_s (i32.load offset=8 (local.get $p)) (local.get $it)) (i32.const 2))
              (i32.shl (i32.le_s (i32.load offset=12 (local.get $p)) (local.get $it)) (i32.const 3)))))

  ;; The next walk task (chain offset fastest) into the scratch (64…); 0 when none is left.
  (func $walkNext (param $job i32) (param $scr i32) (param $y0 i32) (param $cb i32) (param $nc i32) (param $T i32) (result i32)
    (local $nt i32) (local $c i32) (local $xi i32) (local $x0 i32) (local $p i32) (local $ig i32)
    (local.set $nt (i32.load offset=64 (local.get $scr)))
    (if (i32.ge_u (local.get $nt) (local.get $T)) (then (return (i32.const 0))))
    (local.set $c (i32.load offset=68 (local.get $scr)))
    (local.set $xi (i32.load offset=72 (local.get $scr)))
    (if (i32.eqz (local.get $c))
      (then
        ;; a new pixel: its position, value, gradient and key
        (local.set $x0 (i32.mul (local.get $xi) (i32.load offset=8 (local.get $job))))
        (local.set $p (i32.add (i32.mul (local.get $y0) (i32.load (local.get $job))) (local.get $x0)))
        (local.set $ig (i32.add (i32.load offset=48 (local.get $job)) (i32.shl (local.get $p) (i32.const 3))))
        (i32.store offset=92 (local.get $scr) (i32.or (local.get $x0) (i32.shl (local.get $y0) (i32.const 16))))
        (f32.store offset=100 (local.get $scr) (f32.load (local.get $ig)))
        (f32.store offset=104 (local.get $scr) (f32.load offset=4 (local.get $ig)))
        (i32.store offset=108 (local.get $scr)
          (call $mix (i32.xor (i32.mul (local.get $p) (i32.const 0x9e3779b9)) (i32.load offset=40 (local.get $job)))))))
    (i32.store offset=96 (local.get $scr)
      (call $mix (i32.add (i32.load offset=108 (local.get $scr))
        (i32.mul (i32.add (i32.add (local.get $cb) (local.get $c)) (i32.const 1)) (i32.const 0x85ebca77)))))
    (i32.store offset=84 (local.get $scr) (local.get $nt))
    (i32.store offset=88 (local.get $scr) (local.get $xi))
    (i32.store offset=64 (local.get $scr) (i32.add (local.get $nt) (i32.const 1)))
    (local.set $c (i32.add (local.get $c) (i32.const 1)))
    (if (i32.eq (local.get $c) (local.get $nc))
      (then
        (local.set $c (i32.const 0))
        (i32.store offset=72 (local.get $scr) (i32.add (local.get $xi) (i32.const 1)))))
    (i32.store offset=68 (local.get $scr) (local.get $c))
    (i32.const 1))

  ;; A finished walk: Σ w·I and Σ w to the results; its min and max as codes (values are code/65535,
  ;; so value·65535 is within 0.01 of the code) either to the results, or into a spray record when
  ;; samples remain, the pixel has a spray range and min and max are not already the image's.
  (func $walkDone (param $job i32) (param $scr i32) (param $y0 i32) (param $t i32) (param $xi i32)
    (param $ctr i32) (param $taken i32) (param $wi f32) (param $ws f32) (param $mn f32) (param $mx f32)
    (local $tcap4 i32) (local $g i32) (local $mnC i32) (local $mxC i32) (local $need i32) (local $span f32) (local $rec i32) (local $x0 i32) (local $col i32)
    (local.set $tcap4 (i32.shl (i32.load offset=72 (local.get $job)) (i32.const 2)))
    (local.set $g (i32.add (i32.add (local.get $scr) (i32.const 1024)) (i32.shl (local.get $t) (i32.const 2))))
    (f32.store (local.get $g) (local.get $wi))
    (f32.store (i32.add (local.get $g) (local.get $tcap4)) (local.get $ws))
    (local.set $mnC (i32.trunc_f32_s (f32.add (f32.mul (local.get $mn) (f32.const 65535)) (f32.const 0.5))))
    (local.set $mxC (i32.trunc_f32_s (f32.add (f32.mul (local.get $mx) (f32.const 65535)) (f32.const 0.5))))
    (local.set $need (i32.sub (i32.load offset=28 (local.get $job)) (local.get $taken)))
    (local.set $col (i32.add
      (i32.add (i32.add (local.get $scr) (i32.const 1024)) (i32.shl (local.get $tcap4) (i32.const 4)))
      (i32.shl (local.get $xi) (i32.const 4))))
    (local.set $span (f32.load (local.get $col)))
    (if (i32.and
          (i32.and (i32.gt_s (local.get $need) (i32.const 0)) (f32.ge (local.get $span) (f32.const 0)))
          (i32.eqz (i32.and
            (i32.eq (local.get $mnC) (i32.load offset=92 (local.get $job)))
            (i32.eq (local.get $mxC) (i32.load offset=96 (local.get $job))))))
      (then
        (local.set $rec (i32.load offset=76 (local.get $scr)))
        (i32.store offset=76 (local.get $scr) (i32.add (local.get $rec) (i32.const 1)))
        (local.set $rec (i32.add
          (i32.add (i32.add (local.get $scr) (i32.const 1024)) (i32.shl (local.get $tcap4) (i32.const 2)))
          (i32.mul (local.get $rec) (i32.const 48))))
        (local.set $x0 (i32.mul (local.get $xi) (i32.load offset=8 (local.get $job))))
        (i32.store offset=0 (local.get $rec) (local.get $ctr))
        (i32.store offset=4 (local.get $rec) (local.get $mnC))
        (i32.store offset=8 (local.get $rec) (local.get $mxC))
        (f32.store offset=12 (local.get $rec) (f32.convert_i32_s (i32.add (local.get $x0) (i32.const 12582912))))
        (f32.store offset=16 (local.get $rec) (local.get $span))
        (i32.store offset=20 (local.get $rec)
          (i32.add (i32.mul (local.get $y0) (i32.load (local.get $job))) (local.get $x0)))
        (i32.store offset=24 (local.get $rec) (local.get $need))
        (i32.store offset=28 (local.get $rec) (local.get $t))
        (i64.store offset=32 (local.get $rec) (i64.load offset=4 (local.get $col)))
        (f32.store offset=40 (local.get $rec) (f32.load offset=12 (local.get $col))))
      (else
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $tcap4) (i32.const 1))))
        (i32.store (local.get $g) (local.get $mnC))
        (i32.store (i32.add (local.get $g) (local.get $tcap4)) (local.get $mxC)))))

  ;; Every walk of tasks [0, T) of this row and batch; returns the samples read.
  (func $walk (param $job i32) (param $scr i32) (param $y0 i32) (param $cb i32) (param $nc i32) (param $T i32) (result f64)
    (local $reads f64) (local $active i32) (local $mask i32) (local $t i32) (local $g i32)
    (local $vWH v128) (local $vStride v128) (local $vR1sq v128)
    (local $vInvI v128) (local $vInvG v128) (local $vMinW v128) (local $vIG v128)
    (local $it i32) (local $dl i32) (local $half i32)
    (local $pos v128) (local $pos0 v128) (local $ctr v128)
    (local $i0 v128) (local $gp v128) (local $tv v128) (local $wi v128) (local $ws v128) (local $mn v128) (local $mx v128)
    (local $h v128) (local $k v128) (local $np v128) (local $out v128) (local $addr v128)
    (local $a v128) (local $b v128) (local $v v128) (local $gv v128) (local $outR1 v128)
    (local $e v128) (local $nm v128) (local $x v128) (local $x2 v128) (local $q v128) (local $w v128)
    ;; (width, height) and (1, width) as i16 pairs
    (local.set $vWH (i32x4.splat (i32.or (i32.load (local.get $job)) (i32.shl (i32.load offset=4 (local.get $job)) (i32.const 16)))))
    (local.set $vStride (i32x4.splat (i32.or (i32.const 1) (i32.shl (i32.load (local.get $job)) (i32.const 16)))))
    (local.set $half (i32.load offset=32 (local.get $job)))
    (local.set $vR1sq (i32x4.splat (i32.sub (i32.load offset=36 (local.get $job)) (i32.const 1))))
    (local.set $vIG (i32x4.splat (i32.load offset=48 (local.get $job))))
    (local.set $vInvI (f32x4.splat (f32.load offset=80 (local.get $job))))
    (local.set $vInvG (f32x4.splat (f32.load offset=84 (local.get $job))))
    (local.set $vMinW (f32x4.splat (f32.load offset=88 (local.get $job))))
    (i32.store offset=64 (local.get $scr) (i32.const 0))
    (i32.store offset=68 (local.get $scr) (i32.const 0))
    (i32.store offset=72 (local.get $scr) (i32.const 0))
    (i32.store offset=76 (local.get $scr) (i32.const 0))
    (v128.store offset=0 (local.get $scr) (v128.const i32x4 -1 -1 -1 -1))
    (local.set $mask (i32.const 15))
    (block $done
      (loop $iter
        ;; Lanes whose task ended: write its results, take the next task (or idle). The four blocks
        ;; differ only in the lane index (extract_lane/replace_lane take it as an immediate).
        (if (i32.and (local.get $mask) (i32.const 1))
          (then
            (local.set $t (i32.load offset=0 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.sub (local.get $it) (i32.load offset=128 (local.get $scr))))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s (local.get $g))))
                (call $walkDone (local.get $job) (local.get $scr) (local.get $y0) (local.get $t) (i32.load offset=16 (local.get $scr))
                  (i32x4.extract_lane 0 (local.get $ctr)) (local.get $g)
                  (f32x4.extract_lane 0 (local.get $wi)) (f32x4.extract_lane 0 (local.get $ws))
                  (f32x4.extract_lane 0 (local.get $mn)) (f32x4.extract_lane 0 (local.get $mx)))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (call $walkNext (local.get $job) (local.get $scr) (local.get $y0) (local.get $cb) (local.get $nc) (local.get $T))
              (then
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (i32.store offset=0 (local.get $scr) (i32.load offset=84 (local.get $scr)))
                (i32.store offset=16 (local.get $scr) (i32.load offset=88 (local.get $scr)))
                (local.set $pos (i32x4.replace_lane 0 (local.get $pos) (i32.load offset=92 (local.get $scr))))
                (local.set $pos0 (i32x4.replace_lane 0 (local.get $pos0) (i32.load offset=92 (local.get $scr))))
                (local.set $ctr (i32x4.replace_lane 0 (local.get $ctr) (i32.load offset=96 (local.get $scr))))
                ;; taken = 1 + steps = it − (it_now − 1); the step limit is reached at it_now + halfSteps
                (i32.store offset=128 (local.get $scr) (i32.sub (local.get $it) (i32.const 1)))
                (i32.store offset=144 (local.get $scr) (i32.add (local.get $it) (local.get $half)))
                (local.set $i0 (f32x4.replace_lane 0 (local.get $i0) (f32.load offset=100 (local.get $scr))))
                (local.set $gp (f32x4.replace_lane 0 (local.get $gp) (f32.load offset=104 (local.get $scr))))
                (local.set $tv (f32x4.replace_lane 0 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 0 (local.get $wi) (f32.load offset=100 (local.get $scr))))
                (local.set $ws (f32x4.replace_lane 0 (local.get $ws) (f32.const 1)))
                (local.set $mn (f32x4.replace_lane 0 (local.get $mn) (f32.load offset=100 (local.get $scr))))
                (local.set $mx (f32x4.replace_lane 0 (local.get $mx) (f32.load offset=100 (local.get $scr)))))
              (else
                ;; idle: a harmless walk from (0, y0) that never ends by length
                (i32.store offset=0 (local.get $scr) (i32.const -1))
                (local.set $pos (i32x4.replace_lane 0 (local.get $pos) (i32.shl (local.get $y0) (i32.const 16))))
                (local.set $pos0 (i32x4.replace_lane 0 (local.get $pos0) (i32.shl (local.get $y0) (i32.const 16))))
                (i32.store offset=144 (local.get $scr) (i32.const 0x7fffffff))
                (local.set $i0 (f32x4.replace_lane 0 (local.get $i0) (f32.const 0)))
                (local.set $gp (f32x4.replace_lane 0 (local.get $gp) (f32.const 0)))
                (local.set $tv (f32x4.replace_lane 0 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 0 (local.get $wi) (f32.const 0)))
                (local.set $ws (f32x4.replace_lane 0 (local.get $ws) (f32.const 0)))
                (local.set $mn (f32x4.replace_lane 0 (local.get $mn) (f32.const 0)))
                (local.set $mx (f32x4.replace_lane 0 (local.get $mx) (f32.const 0)))))))
        (if (i32.and (local.get $mask) (i32.const 2))
          (then
            (local.set $t (i32.load offset=4 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.sub (local.get $it) (i32.load offset=132 (local.get $scr))))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s (local.get $g))))
                (call $walkDone (local.get $job) (local.get $scr) (local.get $y0) (local.get $t) (i32.load offset=20 (local.get $scr))
                  (i32x4.extract_lane 1 (local.get $ctr)) (local.get $g)
                  (f32x4.extract_lane 1 (local.get $wi)) (f32x4.extract_lane 1 (local.get $ws))
                  (f32x4.extract_lane 1 (local.get $mn)) (f32x4.extract_lane 1 (local.get $mx)))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (call $walkNext (local.get $job) (local.get $scr) (local.get $y0) (local.get $cb) (local.get $nc) (local.get $T))
              (then
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (i32.store offset=4 (local.get $scr) (i32.load offset=84 (local.get $scr)))
                (i32.store offset=20 (local.get $scr) (i32.load offset=88 (local.get $scr)))
                (local.set $pos (i32x4.replace_lane 1 (local.get $pos) (i32.load offset=92 (local.get $scr))))
                (local.set $pos0 (i32x4.replace_lane 1 (local.get $pos0) (i32.load offset=92 (local.get $scr))))
                (local.set $ctr (i32x4.replace_lane 1 (local.get $ctr) (i32.load offset=96 (local.get $scr))))
                ;; taken = 1 + steps = it − (it_now − 1); the step limit is reached at it_now + halfSteps
                (i32.store offset=132 (local.get $scr) (i32.sub (local.get $it) (i32.const 1)))
                (i32.store offset=148 (local.get $scr) (i32.add (local.get $it) (local.get $half)))
                (local.set $i0 (f32x4.replace_lane 1 (local.get $i0) (f32.load offset=100 (local.get $scr))))
                (local.set $gp (f32x4.replace_lane 1 (local.get $gp) (f32.load offset=104 (local.get $scr))))
                (local.set $tv (f32x4.replace_lane 1 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 1 (local.get $wi) (f32.load offset=100 (local.get $scr))))
                (local.set $ws (f32x4.replace_lane 1 (local.get $ws) (f32.const 1)))
                (local.set $mn (f32x4.replace_lane 1 (local.get $mn) (f32.load offset=100 (local.get $scr))))
                (local.set $mx (f32x4.replace_lane 1 (local.get $mx) (f32.load offset=100 (local.get $scr)))))
              (else
                ;; idle: a harmless walk from (0, y0) that never ends by length
                (i32.store offset=4 (local.get $scr) (i32.const -1))
                (local.set $pos (i32x4.replace_lane 1 (local.get $pos) (i32.shl (local.get $y0) (i32.const 16))))
                (local.set $pos0 (i32x4.replace_lane 1 (local.get $pos0) (i32.shl (local.get $y0) (i32.const 16))))
                (i32.store offset=148 (local.get $scr) (i32.const 0x7fffffff))
                (local.set $i0 (f32x4.replace_lane 1 (local.get $i0) (f32.const 0)))
                (local.set $gp (f32x4.replace_lane 1 (local.get $gp) (f32.const 0)))
                (local.set $tv (f32x4.replace_lane 1 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 1 (local.get $wi) (f32.const 0)))
                (local.set $ws (f32x4.replace_lane 1 (local.get $ws) (f32.const 0)))
                (local.set $mn (f32x4.replace_lane 1 (local.get $mn) (f32.const 0)))
                (local.set $mx (f32x4.replace_lane 1 (local.get $mx) (f32.const 0)))))))
        (if (i32.and (local.get $mask) (i32.const 4))
          (then
            (local.set $t (i32.load offset=8 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.sub (local.get $it) (i32.load offset=136 (local.get $scr))))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s (local.get $g))))
                (call $walkDone (local.get $job) (local.get $scr) (local.get $y0) (local.get $t) (i32.load offset=24 (local.get $scr))
                  (i32x4.extract_lane 2 (local.get $ctr)) (local.get $g)
                  (f32x4.extract_lane 2 (local.get $wi)) (f32x4.extract_lane 2 (local.get $ws))
                  (f32x4.extract_lane 2 (local.get $mn)) (f32x4.extract_lane 2 (local.get $mx)))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (call $walkNext (local.get $job) (local.get $scr) (local.get $y0) (local.get $cb) (local.get $nc) (local.get $T))
              (then
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (i32.store offset=8 (local.get $scr) (i32.load offset=84 (local.get $scr)))
                (i32.store offset=24 (local.get $scr) (i32.load offset=88 (local.get $scr)))
                (local.set $pos (i32x4.replace_lane 2 (local.get $pos) (i32.load offset=92 (local.get $scr))))
                (local.set $pos0 (i32x4.replace_lane 2 (local.get $pos0) (i32.load offset=92 (local.get $scr))))
                (local.set $ctr (i32x4.replace_lane 2 (local.get $ctr) (i32.load offset=96 (local.get $scr))))
                ;; taken = 1 + steps = it − (it_now − 1); the step limit is reached at it_now + halfSteps
                (i32.store offset=136 (local.get $scr) (i32.sub (local.get $it) (i32.const 1)))
                (i32.store offset=152 (local.get $scr) (i32.add (local.get $it) (local.get $half)))
                (local.set $i0 (f32x4.replace_lane 2 (local.get $i0) (f32.load offset=100 (local.get $scr))))
                (local.set $gp (f32x4.replace_lane 2 (local.get $gp) (f32.load offset=104 (local.get $scr))))
                (local.set $tv (f32x4.replace_lane 2 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 2 (local.get $wi) (f32.load offset=100 (local.get $scr))))
                (local.set $ws (f32x4.replace_lane 2 (local.get $ws) (f32.const 1)))
                (local.set $mn (f32x4.replace_lane 2 (local.get $mn) (f32.load offset=100 (local.get $scr))))
                (local.set $mx (f32x4.replace_lane 2 (local.get $mx) (f32.load offset=100 (local.get $scr)))))
              (else
                ;; idle: a harmless walk from (0, y0) that never ends by length
                (i32.store offset=8 (local.get $scr) (i32.const -1))
                (local.set $pos (i32x4.replace_lane 2 (local.get $pos) (i32.shl (local.get $y0) (i32.const 16))))
                (local.set $pos0 (i32x4.replace_lane 2 (local.get $pos0) (i32.shl (local.get $y0) (i32.const 16))))
                (i32.store offset=152 (local.get $scr) (i32.const 0x7fffffff))
                (local.set $i0 (f32x4.replace_lane 2 (local.get $i0) (f32.const 0)))
                (local.set $gp (f32x4.replace_lane 2 (local.get $gp) (f32.const 0)))
                (local.set $tv (f32x4.replace_lane 2 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 2 (local.get $wi) (f32.const 0)))
                (local.set $ws (f32x4.replace_lane 2 (local.get $ws) (f32.const 0)))
                (local.set $mn (f32x4.replace_lane 2 (local.get $mn) (f32.const 0)))
                (local.set $mx (f32x4.replace_lane 2 (local.get $mx) (f32.const 0)))))))
        (if (i32.and (local.get $mask) (i32.const 8))
          (then
            (local.set $t (i32.load offset=12 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.sub (local.get $it) (i32.load offset=140 (local.get $scr))))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s (local.get $g))))
                (call $walkDone (local.get $job) (local.get $scr) (local.get $y0) (local.get $t) (i32.load offset=28 (local.get $scr))
                  (i32x4.extract_lane 3 (local.get $ctr)) (local.get $g)
                  (f32x4.extract_lane 3 (local.get $wi)) (f32x4.extract_lane 3 (local.get $ws))
                  (f32x4.extract_lane 3 (local.get $mn)) (f32x4.extract_lane 3 (local.get $mx)))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (call $walkNext (local.get $job) (local.get $scr) (local.get $y0) (local.get $cb) (local.get $nc) (local.get $T))
              (then
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (i32.store offset=12 (local.get $scr) (i32.load offset=84 (local.get $scr)))
                (i32.store offset=28 (local.get $scr) (i32.load offset=88 (local.get $scr)))
                (local.set $pos (i32x4.replace_lane 3 (local.get $pos) (i32.load offset=92 (local.get $scr))))
                (local.set $pos0 (i32x4.replace_lane 3 (local.get $pos0) (i32.load offset=92 (local.get $scr))))
                (local.set $ctr (i32x4.replace_lane 3 (local.get $ctr) (i32.load offset=96 (local.get $scr))))
                ;; taken = 1 + steps = it − (it_now − 1); the step limit is reached at it_now + halfSteps
                (i32.store offset=140 (local.get $scr) (i32.sub (local.get $it) (i32.const 1)))
                (i32.store offset=156 (local.get $scr) (i32.add (local.get $it) (local.get $half)))
                (local.set $i0 (f32x4.replace_lane 3 (local.get $i0) (f32.load offset=100 (local.get $scr))))
                (local.set $gp (f32x4.replace_lane 3 (local.get $gp) (f32.load offset=104 (local.get $scr))))
                (local.set $tv (f32x4.replace_lane 3 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 3 (local.get $wi) (f32.load offset=100 (local.get $scr))))
                (local.set $ws (f32x4.replace_lane 3 (local.get $ws) (f32.const 1)))
                (local.set $mn (f32x4.replace_lane 3 (local.get $mn) (f32.load offset=100 (local.get $scr))))
                (local.set $mx (f32x4.replace_lane 3 (local.get $mx) (f32.load offset=100 (local.get $scr)))))
              (else
                ;; idle: a harmless walk from (0, y0) that never ends by length
                (i32.store offset=12 (local.get $scr) (i32.const -1))
                (local.set $pos (i32x4.replace_lane 3 (local.get $pos) (i32.shl (local.get $y0) (i32.const 16))))
                (local.set $pos0 (i32x4.replace_lane 3 (local.get $pos0) (i32.shl (local.get $y0) (i32.const 16))))
                (i32.store offset=156 (local.get $scr) (i32.const 0x7fffffff))
                (local.set $i0 (f32x4.replace_lane 3 (local.get $i0) (f32.const 0)))
                (local.set $gp (f32x4.replace_lane 3 (local.get $gp) (f32.const 0)))
                (local.set $tv (f32x4.replace_lane 3 (local.get $tv) (f32.const 0)))
                (local.set $wi (f32x4.replace_lane 3 (local.get $wi) (f32.const 0)))
                (local.set $ws (f32x4.replace_lane 3 (local.get $ws) (f32.const 0)))
                (local.set $mn (f32x4.replace_lane 3 (local.get $mn) (f32.const 0)))
                (local.set $mx (f32x4.replace_lane 3 (local.get $mx) (f32.const 0)))))))
        (br_if $done (i32.eqz (local.get $active)))
        (local.set $dl (call $min4 (i32.add (local.get $scr) (i32.const 144))))
        (block $stepped (loop $steps
          ;; One draw per lane; its top 3 bits k pick the neighbour from a table of (dx + 1, dy + 1)
          ;; byte pairs: swizzle bytes [2k, −, 2k + 1, −] into the i16 halves.
          (local.set $h (v128.xor (local.get $ctr) (i32x4.shr_u (local.get $ctr) (i32.const 16))))
          (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x7feb352d 0x7feb352d 0x7feb352d 0x7feb352d)))
          (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 15))))
          (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x846ca68b 0x846ca68b 0x846ca68b 0x846ca68b)))
          (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
          (local.set $ctr (i32x4.add (local.get $ctr) (v128.const i32x4 0x9e3779b9 0x9e3779b9 0x9e3779b9 0x9e3779b9)))
          (local.set $k (v128.and (i32x4.shr_u (local.get $h) (i32.const 28)) (v128.const i32x4 14 14 14 14)))
          (local.set $k (i32x4.add (v128.or (local.get $k) (i32x4.shl (local.get $k) (i32.const 16)))
            (v128.const i32x4 0x80018000 0x80018000 0x80018000 0x80018000)))
          (local.set $np (i16x8.sub (i16x8.add (local.get $pos) (i8x16.swizzle (v128.const i8x16 2 1 0 1 1 2 1 0 0 0 2 2 2 0 0 2) (local.get $k)))
            (v128.const i16x8 1 1 1 1 1 1 1 1)))
          (local.set $out (i16x8.ge_u (local.get $np) (local.get $vWH)))
          ;; Near the border: lanes whose neighbour is outside draw again (at most 64 times, then stay).
          (if (i8x16.bitmask (local.get $out))
            (then
              (local.set $out (i32x4.ne (local.get $out) (v128.const i32x4 0 0 0 0)))
              (local.set $g (i32.const 0))
              (block $placed
                (loop $redraw
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (if (i32.gt_u (local.get $g) (i32.const 64))
                    (then
                      (local.set $np (v128.bitselect (local.get $pos) (local.get $np) (local.get $out)))
                      (br $placed)))
                  (local.set $h (v128.xor (local.get $ctr) (i32x4.shr_u (local.get $ctr) (i32.const 16))))
                  (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x7feb352d 0x7feb352d 0x7feb352d 0x7feb352d)))
                  (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 15))))
                  (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x846ca68b 0x846ca68b 0x846ca68b 0x846ca68b)))
                  (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
                  (local.set $ctr (i32x4.add (local.get $ctr)
                    (v128.and (local.get $out) (v128.const i32x4 0x9e3779b9 0x9e3779b9 0x9e3779b9 0x9e3779b9))))
                  (local.set $k (v128.and (i32x4.shr_u (local.get $h) (i32.const 28)) (v128.const i32x4 14 14 14 14)))
                  (local.set $k (i32x4.add (v128.or (local.get $k) (i32x4.shl (local.get $k) (i32.const 16)))
                    (v128.const i32x4 0x80018000 0x80018000 0x80018000 0x80018000)))
                  (local.set $np (v128.bitselect
                    (i16x8.sub (i16x8.add (local.get $pos) (i8x16.swizzle (v128.const i8x16 2 1 0 1 1 2 1 0 0 0 2 2 2 0 0 2) (local.get $k)))
                      (v128.const i16x8 1 1 1 1 1 1 1 1))
                    (local.get $np) (local.get $out)))
                  (local.set $out (i32x4.ne (i16x8.ge_u (local.get $np) (local.get $vWH)) (v128.const i32x4 0 0 0 0)))
                  (br_if $redraw (i8x16.bitmask (local.get $out)))))))
          (local.set $pos (local.get $np))
          ;; Gather (value, gradient) pairs at x + y·width.
          (local.set $addr (i32x4.add (local.get $vIG) (i32x4.shl (i32x4.dot_i16x8_s (local.get $pos) (local.get $vStride)) (i32.const 3))))
          (local.set $a (v128.load64_lane 1 (i32x4.extract_lane 1 (local.get $addr)) (v128.load64_zero (i32x4.extract_lane 0 (local.get $addr)))))
          (local.set $b (v128.load64_lane 1 (i32x4.extract_lane 3 (local.get $addr)) (v128.load64_zero (i32x4.extract_lane 2 (local.get $addr)))))
          (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $gv (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $tv (f32x4.add (local.get $tv)
            (v128.and (f32x4.sub (local.get $gv) (local.get $gp)) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))))
          (local.set $gp (local.get $gv))
          (local.set $mn (f32x4.pmin (local.get $mn) (local.get $v)))
          (local.set $mx (f32x4.pmax (local.get $mx) (local.get $v)))
          ;; Left R1: the walk ends with this sample (counted for min/max, not weighted).
          (local.set $np (i16x8.sub (local.get $pos) (local.get $pos0)))
          (local.set $outR1 (i32x4.gt_s (i32x4.dot_i16x8_s (local.get $np) (local.get $np)) (local.get $vR1sq)))
          ;; w = exp(−a) = 2^t, t = −a/ln 2 = n + x: 2^x by the polynomial (Estrin), 2^n into the exponent.
          (local.set $e (f32x4.add
            (f32x4.mul (v128.and (f32x4.sub (local.get $v) (local.get $i0)) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)) (local.get $vInvI))
            (f32x4.mul (local.get $tv) (local.get $vInvG))))
          (local.set $e (f32x4.mul (f32x4.pmin (local.get $e) (v128.const f32x4 80 80 80 80))
            (v128.const f32x4 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0 -0x1.715476p+0)))
          (local.set $nm (f32x4.add (local.get $e) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
          (local.set $x (f32x4.sub (local.get $e) (f32x4.sub (local.get $nm) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000))))
          (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
          (local.set $q (f32x4.add (v128.const f32x4 0x1.c6b75c0000000p-5 0x1.c6b75c0000000p-5 0x1.c6b75c0000000p-5 0x1.c6b75c0000000p-5) (f32x4.mul (v128.const f32x4 0x1.3cea2c0000000p-7 0x1.3cea2c0000000p-7 0x1.3cea2c0000000p-7 0x1.3cea2c0000000p-7) (local.get $x))))
          (local.set $q (f32x4.add (local.get $q) (f32x4.mul (local.get $x2) (v128.const f32x4 0x1.5bb6820000000p-10 0x1.5bb6820000000p-10 0x1.5bb6820000000p-10 0x1.5bb6820000000p-10))))
          (local.set $q (f32x4.add (f32x4.add (v128.const f32x4 0x1.62e42a0000000p-1 0x1.62e42a0000000p-1 0x1.62e42a0000000p-1 0x1.62e42a0000000p-1) (f32x4.mul (v128.const f32x4 0x1.ebf9bc0000000p-3 0x1.ebf9bc0000000p-3 0x1.ebf9bc0000000p-3 0x1.ebf9bc0000000p-3) (local.get $x))) (f32x4.mul (local.get $x2) (local.get $q))))
          (local.set $w (i32x4.add
            (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $x) (local.get $q)))
            (i32x4.shl (i32x4.sub (local.get $nm) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)) (i32.const 23))))
          (local.set $w (v128.and (local.get $w)
            (v128.andnot (f32x4.ge (local.get $w) (local.get $vMinW)) (local.get $outR1))))
          (local.set $wi (f32x4.add (local.get $wi) (f32x4.mul (local.get $w) (local.get $v))))
          (local.set $ws (f32x4.add (local.get $ws) (local.get $w)))
          (local.set $it (i32.add (local.get $it) (i32.const 1)))
          (br_if $stepped (local.tee $mask (i32x4.bitmask (local.get $outR1))))
          (br_if $steps (i32.lt_s (local.get $it) (local.get $dl)))))
        ;; (leaving by the deadline, $mask is 0)
        ;; lanes that left R1, and those that took their M/2 steps (the loop also ends when none left R1)
        (local.set $mask (i32.or (local.get $mask) (call $due (i32.add (local.get $scr) (i32.const 144)) (local.get $it))))
        (br $iter)))
    (local.get $reads))

  ;; The spray records' remaining samples; returns the samples read.
  (func $spray (param $job i32) (param $scr i32) (param $y0 i32) (result f64)
    (local $reads f64) (local $active i32) (local $mask i32) (local $t i32) (local $g i32)
    (local $tcap4 i32) (local $tcap8 i32) (local $res i32) (local $queue i32) (local $qi i32) (local $qlen i32)
    (local $vW v128) (local $vWm1 v128) (local $vHm1 v128) (local $vR1 v128) (local $vY0M v128) (local $vMin v128) (local $vMax v128)
    (local $ctr v128) (local $mn v128) (local $mx v128) (local $x0m v128) (local $span v128) (local $p0 v128)
    (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $rem v128) (local $it i32) (local $dl i32)
    (local $h v128) (local $r v128) (local $addr v128) (local $a v128) (local $b v128) (local $ix v128) (local $iy v128)
    (local $in v128) (local $v v128)
    (local.set $vWm1 (i32x4.splat (i32.sub (i32.load (local.get $job)) (i32.const 1))))
    (local.set $vHm1 (i32x4.splat (i32.sub (i32.load offset=4 (local.get $job)) (i32.const 1))))
    (local.set $vR1 (f32x4.splat (f32.load offset=76 (local.get $job))))
    (local.set $vMin (i32x4.splat (i32.load offset=92 (local.get $job))))
    (local.set $vMax (i32x4.splat (i32.load offset=96 (local.get $job))))
    (local.set $vW (i32x4.splat (i32.load (local.get $job))))
    (local.set $vY0M (f32x4.splat (f32.convert_i32_s (i32.add (local.get $y0) (i32.const 12582912)))))
    (local.set $tcap4 (i32.shl (i32.load offset=72 (local.get $job)) (i32.const 2)))
    (local.set $tcap8 (i32.shl (local.get $tcap4) (i32.const 1)))
    (local.set $res (i32.add (local.get $scr) (i32.const 1024)))
    (local.set $queue (i32.add (local.get $res) (i32.shl (local.get $tcap4) (i32.const 2))))
    (local.set $qlen (i32.load offset=76 (local.get $scr)))
    (v128.store offset=32 (local.get $scr) (v128.const i32x4 -1 -1 -1 -1))
    (local.set $mask (i32.const 15))
    (block $done
      (loop $iter
        ;; Lanes whose task ended: write its min and max, take the next record (or idle); the four
        ;; blocks differ only in the lane index.
        (if (i32.and (local.get $mask) (i32.const 1))
          (then
            (local.set $t (i32.load offset=32 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.add (local.get $res) (i32.shl (local.get $t) (i32.const 2))))
                (i32.store (i32.add (local.get $g) (local.get $tcap8)) (i32x4.extract_lane 0 (local.get $mn)))
                (i32.store (i32.add (i32.add (local.get $g) (local.get $tcap8)) (local.get $tcap4)) (i32x4.extract_lane 0 (local.get $mx)))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s
                  (i32.sub (i32.load offset=48 (local.get $scr)) (i32x4.extract_lane 0 (local.get $rem))))))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (i32.lt_u (local.get $qi) (local.get $qlen))
              (then
                (local.set $g (i32.add (local.get $queue) (i32.mul (local.get $qi) (i32.const 48))))
                (local.set $qi (i32.add (local.get $qi) (i32.const 1)))
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (local.set $ctr (i32x4.replace_lane 0 (local.get $ctr) (i32.load offset=0 (local.get $g))))
                (local.set $mn (i32x4.replace_lane 0 (local.get $mn) (i32.load offset=4 (local.get $g))))
                (local.set $mx (i32x4.replace_lane 0 (local.get $mx) (i32.load offset=8 (local.get $g))))
                (local.set $x0m (f32x4.replace_lane 0 (local.get $x0m) (f32.load offset=12 (local.get $g))))
                (local.set $span (f32x4.replace_lane 0 (local.get $span) (f32.load offset=16 (local.get $g))))
                (local.set $c1 (f32x4.replace_lane 0 (local.get $c1) (f32.load offset=32 (local.get $g))))
                (local.set $c2 (f32x4.replace_lane 0 (local.get $c2) (f32.load offset=36 (local.get $g))))
                (local.set $c3 (f32x4.replace_lane 0 (local.get $c3) (f32.load offset=40 (local.get $g))))
                (local.set $p0 (i32x4.replace_lane 0 (local.get $p0) (i32.load offset=20 (local.get $g))))
                (local.set $rem (i32x4.replace_lane 0 (local.get $rem) (i32.load offset=24 (local.get $g))))
                ;; give up after 4096 + 64·need draws (only degenerate images get there)
                (i32.store offset=160 (local.get $scr)
                  (i32.add (local.get $it) (i32.add (i32.const 4096) (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 6)))))
                (i32.store offset=48 (local.get $scr) (i32.load offset=24 (local.get $g)))
                (i32.store offset=32 (local.get $scr) (i32.load offset=28 (local.get $g))))
              (else
                ;; idle: min −1 never equals the image's minimum code; 2^30 samples are never reached
                (i32.store offset=32 (local.get $scr) (i32.const -1))
                (local.set $mn (i32x4.replace_lane 0 (local.get $mn) (i32.const -1)))
                (local.set $x0m (f32x4.replace_lane 0 (local.get $x0m) (f32.const 12582912)))
                (local.set $span (f32x4.replace_lane 0 (local.get $span) (f32.const 0)))
                (local.set $p0 (i32x4.replace_lane 0 (local.get $p0) (i32.const 0)))
                (local.set $rem (i32x4.replace_lane 0 (local.get $rem) (i32.const 1073741824)))
                (i32.store offset=160 (local.get $scr) (i32.const 0x7fffffff))))))
        (if (i32.and (local.get $mask) (i32.const 2))
          (then
            (local.set $t (i32.load offset=36 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.add (local.get $res) (i32.shl (local.get $t) (i32.const 2))))
                (i32.store (i32.add (local.get $g) (local.get $tcap8)) (i32x4.extract_lane 1 (local.get $mn)))
                (i32.store (i32.add (i32.add (local.get $g) (local.get $tcap8)) (local.get $tcap4)) (i32x4.extract_lane 1 (local.get $mx)))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s
                  (i32.sub (i32.load offset=52 (local.get $scr)) (i32x4.extract_lane 1 (local.get $rem))))))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (i32.lt_u (local.get $qi) (local.get $qlen))
              (then
                (local.set $g (i32.add (local.get $queue) (i32.mul (local.get $qi) (i32.const 48))))
                (local.set $qi (i32.add (local.get $qi) (i32.const 1)))
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (local.set $ctr (i32x4.replace_lane 1 (local.get $ctr) (i32.load offset=0 (local.get $g))))
                (local.set $mn (i32x4.replace_lane 1 (local.get $mn) (i32.load offset=4 (local.get $g))))
                (local.set $mx (i32x4.replace_lane 1 (local.get $mx) (i32.load offset=8 (local.get $g))))
                (local.set $x0m (f32x4.replace_lane 1 (local.get $x0m) (f32.load offset=12 (local.get $g))))
                (local.set $span (f32x4.replace_lane 1 (local.get $span) (f32.load offset=16 (local.get $g))))
                (local.set $c1 (f32x4.replace_lane 1 (local.get $c1) (f32.load offset=32 (local.get $g))))
                (local.set $c2 (f32x4.replace_lane 1 (local.get $c2) (f32.load offset=36 (local.get $g))))
                (local.set $c3 (f32x4.replace_lane 1 (local.get $c3) (f32.load offset=40 (local.get $g))))
                (local.set $p0 (i32x4.replace_lane 1 (local.get $p0) (i32.load offset=20 (local.get $g))))
                (local.set $rem (i32x4.replace_lane 1 (local.get $rem) (i32.load offset=24 (local.get $g))))
                ;; give up after 4096 + 64·need draws (only degenerate images get there)
                (i32.store offset=164 (local.get $scr)
                  (i32.add (local.get $it) (i32.add (i32.const 4096) (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 6)))))
                (i32.store offset=52 (local.get $scr) (i32.load offset=24 (local.get $g)))
                (i32.store offset=36 (local.get $scr) (i32.load offset=28 (local.get $g))))
              (else
                ;; idle: min −1 never equals the image's minimum code; 2^30 samples are never reached
                (i32.store offset=36 (local.get $scr) (i32.const -1))
                (local.set $mn (i32x4.replace_lane 1 (local.get $mn) (i32.const -1)))
                (local.set $x0m (f32x4.replace_lane 1 (local.get $x0m) (f32.const 12582912)))
                (local.set $span (f32x4.replace_lane 1 (local.get $span) (f32.const 0)))
                (local.set $p0 (i32x4.replace_lane 1 (local.get $p0) (i32.const 0)))
                (local.set $rem (i32x4.replace_lane 1 (local.get $rem) (i32.const 1073741824)))
                (i32.store offset=164 (local.get $scr) (i32.const 0x7fffffff))))))
        (if (i32.and (local.get $mask) (i32.const 4))
          (then
            (local.set $t (i32.load offset=40 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.add (local.get $res) (i32.shl (local.get $t) (i32.const 2))))
                (i32.store (i32.add (local.get $g) (local.get $tcap8)) (i32x4.extract_lane 2 (local.get $mn)))
                (i32.store (i32.add (i32.add (local.get $g) (local.get $tcap8)) (local.get $tcap4)) (i32x4.extract_lane 2 (local.get $mx)))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s
                  (i32.sub (i32.load offset=56 (local.get $scr)) (i32x4.extract_lane 2 (local.get $rem))))))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (i32.lt_u (local.get $qi) (local.get $qlen))
              (then
                (local.set $g (i32.add (local.get $queue) (i32.mul (local.get $qi) (i32.const 48))))
                (local.set $qi (i32.add (local.get $qi) (i32.const 1)))
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (local.set $ctr (i32x4.replace_lane 2 (local.get $ctr) (i32.load offset=0 (local.get $g))))
                (local.set $mn (i32x4.replace_lane 2 (local.get $mn) (i32.load offset=4 (local.get $g))))
                (local.set $mx (i32x4.replace_lane 2 (local.get $mx) (i32.load offset=8 (local.get $g))))
                (local.set $x0m (f32x4.replace_lane 2 (local.get $x0m) (f32.load offset=12 (local.get $g))))
                (local.set $span (f32x4.replace_lane 2 (local.get $span) (f32.load offset=16 (local.get $g))))
                (local.set $c1 (f32x4.replace_lane 2 (local.get $c1) (f32.load offset=32 (local.get $g))))
                (local.set $c2 (f32x4.replace_lane 2 (local.get $c2) (f32.load offset=36 (local.get $g))))
                (local.set $c3 (f32x4.replace_lane 2 (local.get $c3) (f32.load offset=40 (local.get $g))))
                (local.set $p0 (i32x4.replace_lane 2 (local.get $p0) (i32.load offset=20 (local.get $g))))
                (local.set $rem (i32x4.replace_lane 2 (local.get $rem) (i32.load offset=24 (local.get $g))))
                ;; give up after 4096 + 64·need draws (only degenerate images get there)
                (i32.store offset=168 (local.get $scr)
                  (i32.add (local.get $it) (i32.add (i32.const 4096) (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 6)))))
                (i32.store offset=56 (local.get $scr) (i32.load offset=24 (local.get $g)))
                (i32.store offset=40 (local.get $scr) (i32.load offset=28 (local.get $g))))
              (else
                ;; idle: min −1 never equals the image's minimum code; 2^30 samples are never reached
                (i32.store offset=40 (local.get $scr) (i32.const -1))
                (local.set $mn (i32x4.replace_lane 2 (local.get $mn) (i32.const -1)))
                (local.set $x0m (f32x4.replace_lane 2 (local.get $x0m) (f32.const 12582912)))
                (local.set $span (f32x4.replace_lane 2 (local.get $span) (f32.const 0)))
                (local.set $p0 (i32x4.replace_lane 2 (local.get $p0) (i32.const 0)))
                (local.set $rem (i32x4.replace_lane 2 (local.get $rem) (i32.const 1073741824)))
                (i32.store offset=168 (local.get $scr) (i32.const 0x7fffffff))))))
        (if (i32.and (local.get $mask) (i32.const 8))
          (then
            (local.set $t (i32.load offset=44 (local.get $scr)))
            (if (i32.ge_s (local.get $t) (i32.const 0))
              (then
                (local.set $g (i32.add (local.get $res) (i32.shl (local.get $t) (i32.const 2))))
                (i32.store (i32.add (local.get $g) (local.get $tcap8)) (i32x4.extract_lane 3 (local.get $mn)))
                (i32.store (i32.add (i32.add (local.get $g) (local.get $tcap8)) (local.get $tcap4)) (i32x4.extract_lane 3 (local.get $mx)))
                (local.set $reads (f64.add (local.get $reads) (f64.convert_i32_s
                  (i32.sub (i32.load offset=60 (local.get $scr)) (i32x4.extract_lane 3 (local.get $rem))))))
                (local.set $active (i32.sub (local.get $active) (i32.const 1)))))
            (if (i32.lt_u (local.get $qi) (local.get $qlen))
              (then
                (local.set $g (i32.add (local.get $queue) (i32.mul (local.get $qi) (i32.const 48))))
                (local.set $qi (i32.add (local.get $qi) (i32.const 1)))
                (local.set $active (i32.add (local.get $active) (i32.const 1)))
                (local.set $ctr (i32x4.replace_lane 3 (local.get $ctr) (i32.load offset=0 (local.get $g))))
                (local.set $mn (i32x4.replace_lane 3 (local.get $mn) (i32.load offset=4 (local.get $g))))
                (local.set $mx (i32x4.replace_lane 3 (local.get $mx) (i32.load offset=8 (local.get $g))))
                (local.set $x0m (f32x4.replace_lane 3 (local.get $x0m) (f32.load offset=12 (local.get $g))))
                (local.set $span (f32x4.replace_lane 3 (local.get $span) (f32.load offset=16 (local.get $g))))
                (local.set $c1 (f32x4.replace_lane 3 (local.get $c1) (f32.load offset=32 (local.get $g))))
                (local.set $c2 (f32x4.replace_lane 3 (local.get $c2) (f32.load offset=36 (local.get $g))))
                (local.set $c3 (f32x4.replace_lane 3 (local.get $c3) (f32.load offset=40 (local.get $g))))
                (local.set $p0 (i32x4.replace_lane 3 (local.get $p0) (i32.load offset=20 (local.get $g))))
                (local.set $rem (i32x4.replace_lane 3 (local.get $rem) (i32.load offset=24 (local.get $g))))
                ;; give up after 4096 + 64·need draws (only degenerate images get there)
                (i32.store offset=172 (local.get $scr)
                  (i32.add (local.get $it) (i32.add (i32.const 4096) (i32.shl (i32.load offset=24 (local.get $g)) (i32.const 6)))))
                (i32.store offset=60 (local.get $scr) (i32.load offset=24 (local.get $g)))
                (i32.store offset=44 (local.get $scr) (i32.load offset=28 (local.get $g))))
              (else
                ;; idle: min −1 never equals the image's minimum code; 2^30 samples are never reached
                (i32.store offset=44 (local.get $scr) (i32.const -1))
                (local.set $mn (i32x4.replace_lane 3 (local.get $mn) (i32.const -1)))
                (local.set $x0m (f32x4.replace_lane 3 (local.get $x0m) (f32.const 12582912)))
                (local.set $span (f32x4.replace_lane 3 (local.get $span) (f32.const 0)))
                (local.set $p0 (i32x4.replace_lane 3 (local.get $p0) (i32.const 0)))
                (local.set $rem (i32x4.replace_lane 3 (local.get $rem) (i32.const 1073741824)))
                (i32.store offset=172 (local.get $scr) (i32.const 0x7fffffff))))))
        (br_if $done (i32.eqz (local.get $active)))
        (local.set $dl (call $min4 (i32.add (local.get $scr) (i32.const 160))))
        ;; Software-pipelined: each iteration reads the codes of the draw computed by the one
        ;; before (or here, for the first), then computes the next draw, so the random reads'
        ;; latency overlaps arithmetic. $ctr is always the counter of the next draw to compute.
        (local.set $h (v128.xor (local.get $ctr) (i32x4.shr_u (local.get $ctr) (i32.const 16))))
        (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x7feb352d 0x7feb352d 0x7feb352d 0x7feb352d)))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 15))))
        (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x846ca68b 0x846ca68b 0x846ca68b 0x846ca68b)))
        (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
        (local.set $ctr (i32x4.add (local.get $ctr) (v128.const i32x4 0x9e3779b9 0x9e3779b9 0x9e3779b9 0x9e3779b9)))
        ;; v = L·u on [0, L) (u: top 16 bits); quadrant q = #{k: C_k ≤ v}; r = R1 + v − C_q; the
        ;; direction: entry 4096·q + (low 12 bits) of the angle table
        (local.set $r (f32x4.mul (local.get $span) (f32x4.convert_i32x4_s (i32x4.shr_u (local.get $h) (i32.const 16)))))
        (local.set $m1 (f32x4.ge (local.get $r) (local.get $c1)))
        (local.set $m2 (f32x4.ge (local.get $r) (local.get $c2)))
        (local.set $m3 (f32x4.ge (local.get $r) (local.get $c3)))
        (local.set $r (f32x4.add (local.get $vR1) (f32x4.sub (local.get $r)
          (f32x4.pmax (v128.and (local.get $m1) (local.get $c1))
            (f32x4.pmax (v128.and (local.get $m2) (local.get $c2)) (v128.and (local.get $m3) (local.get $c3)))))))
        (local.set $addr (i32x4.sub (i32x4.shl (v128.and (local.get $h) (v128.const i32x4 0xfff 0xfff 0xfff 0xfff)) (i32.const 3))
          (i32x4.shl (i32x4.add (local.get $m1) (i32x4.add (local.get $m2) (local.get $m3))) (i32.const 15))))
        (local.set $a (v128.load64_lane offset=1024 1 (i32x4.extract_lane 1 (local.get $addr)) (v128.load64_zero offset=1024 (i32x4.extract_lane 0 (local.get $addr)))))
        (local.set $b (v128.load64_lane offset=1024 1 (i32x4.extract_lane 3 (local.get $addr)) (v128.load64_zero offset=1024 (i32x4.extract_lane 2 (local.get $addr)))))
        ;; nearest pixel: bits(r·cos + x0 + MAGIC) − bits(MAGIC)
        (local.set $ix (i32x4.sub
          (f32x4.add (f32x4.mul (local.get $r) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b))) (local.get $x0m))
          (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
        (local.set $iy (i32x4.sub
          (f32x4.add (f32x4.mul (local.get $r) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))) (local.get $vY0M))
          (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
        ;; inside ⇔ the sign bits of ix, w − 1 − ix, iy, h − 1 − iy are all clear
        (local.set $in (i32x4.gt_s
          (v128.or
            (v128.or (local.get $ix) (i32x4.sub (local.get $vWm1) (local.get $ix)))
            (v128.or (local.get $iy) (i32x4.sub (local.get $vHm1) (local.get $iy))))
          (v128.const i32x4 -1 -1 -1 -1)))
        ;; outside: read x0's own code, which cannot move min or max
        (local.set $addr (i32x4.shl
          (v128.bitselect (i32x4.add (i32x4.mul (local.get $iy) (local.get $vW)) (local.get $ix)) (local.get $p0) (local.get $in))
          (i32.const 1)))
        (block $drawn (loop $draws
          ;; (lane 0 loads two codes; the mask below keeps the low one)
          (local.set $v (v128.load16_lane offset=132096 2 (i32x4.extract_lane 1 (local.get $addr))
            (v128.load32_zero offset=132096 (i32x4.extract_lane 0 (local.get $addr)))))
          (local.set $v (v128.load16_lane offset=132096 4 (i32x4.extract_lane 2 (local.get $addr)) (local.get $v)))
          (local.set $v (v128.load16_lane offset=132096 6 (i32x4.extract_lane 3 (local.get $addr)) (local.get $v)))
          (local.set $v (v128.and (local.get $v) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff)))
          (local.set $mn (i32x4.min_s (local.get $mn) (local.get $v)))
          (local.set $mx (i32x4.max_s (local.get $mx) (local.get $v)))
          (local.set $rem (i32x4.add (local.get $rem) (local.get $in)))
          (local.set $it (i32.add (local.get $it) (i32.const 1)))
          (br_if $drawn (local.tee $mask (i32x4.bitmask (v128.or (i32x4.lt_s (local.get $rem) (v128.const i32x4 1 1 1 1))
            (v128.and (i32x4.eq (local.get $mn) (local.get $vMin)) (i32x4.eq (local.get $mx) (local.get $vMax)))))))
          (br_if $drawn (i32.ge_s (local.get $it) (local.get $dl)))
          (local.set $h (v128.xor (local.get $ctr) (i32x4.shr_u (local.get $ctr) (i32.const 16))))
          (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x7feb352d 0x7feb352d 0x7feb352d 0x7feb352d)))
          (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 15))))
          (local.set $h (i32x4.mul (local.get $h) (v128.const i32x4 0x846ca68b 0x846ca68b 0x846ca68b 0x846ca68b)))
          (local.set $h (v128.xor (local.get $h) (i32x4.shr_u (local.get $h) (i32.const 16))))
          (local.set $ctr (i32x4.add (local.get $ctr) (v128.const i32x4 0x9e3779b9 0x9e3779b9 0x9e3779b9 0x9e3779b9)))
          ;; v = L·u on [0, L) (u: top 16 bits); quadrant q = #{k: C_k ≤ v}; r = R1 + v − C_q; the
          ;; direction: entry 4096·q + (low 12 bits) of the angle table
          (local.set $r (f32x4.mul (local.get $span) (f32x4.convert_i32x4_s (i32x4.shr_u (local.get $h) (i32.const 16)))))
          (local.set $m1 (f32x4.ge (local.get $r) (local.get $c1)))
          (local.set $m2 (f32x4.ge (local.get $r) (local.get $c2)))
          (local.set $m3 (f32x4.ge (local.get $r) (local.get $c3)))
          (local.set $r (f32x4.add (local.get $vR1) (f32x4.sub (local.get $r)
            (f32x4.pmax (v128.and (local.get $m1) (local.get $c1))
              (f32x4.pmax (v128.and (local.get $m2) (local.get $c2)) (v128.and (local.get $m3) (local.get $c3)))))))
          (local.set $addr (i32x4.sub (i32x4.shl (v128.and (local.get $h) (v128.const i32x4 0xfff 0xfff 0xfff 0xfff)) (i32.const 3))
            (i32x4.shl (i32x4.add (local.get $m1) (i32x4.add (local.get $m2) (local.get $m3))) (i32.const 15))))
          (local.set $a (v128.load64_lane offset=1024 1 (i32x4.extract_lane 1 (local.get $addr)) (v128.load64_zero offset=1024 (i32x4.extract_lane 0 (local.get $addr)))))
          (local.set $b (v128.load64_lane offset=1024 1 (i32x4.extract_lane 3 (local.get $addr)) (v128.load64_zero offset=1024 (i32x4.extract_lane 2 (local.get $addr)))))
          ;; nearest pixel: bits(r·cos + x0 + MAGIC) − bits(MAGIC)
          (local.set $ix (i32x4.sub
            (f32x4.add (f32x4.mul (local.get $r) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b))) (local.get $x0m))
            (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
          (local.set $iy (i32x4.sub
            (f32x4.add (f32x4.mul (local.get $r) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))) (local.get $vY0M))
            (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
          ;; inside ⇔ the sign bits of ix, w − 1 − ix, iy, h − 1 − iy are all clear
          (local.set $in (i32x4.gt_s
            (v128.or
              (v128.or (local.get $ix) (i32x4.sub (local.get $vWm1) (local.get $ix)))
              (v128.or (local.get $iy) (i32x4.sub (local.get $vHm1) (local.get $iy))))
            (v128.const i32x4 -1 -1 -1 -1)))
          ;; outside: read x0's own code, which cannot move min or max
          (local.set $addr (i32x4.shl
            (v128.bitselect (i32x4.add (i32x4.mul (local.get $iy) (local.get $vW)) (local.get $ix)) (local.get $p0) (local.get $in))
            (i32.const 1)))
          (br $draws)))
        ;; finished lanes, and those out of draws
        (local.set $mask (i32.or (local.get $mask) (call $due (i32.add (local.get $scr) (i32.const 160)) (local.get $it))))
        (br $iter)))
    (local.get $reads))

  ;; Adds the batch's chains, in chain order, into the float64 sums of the row's pixels.
  (func $sum (param $job i32) (param $scr i32) (param $y0 i32) (param $nc i32)
    (local $gw i32) (local $xi i32) (local $j i32) (local $p i32) (local $tcap4 i32) (local $g i32)
    (local $i0 f64) (local $swi f64) (local $sw f64) (local $ss f64) (local $mn f64) (local $mx f64)
    (local $pWI i32) (local $pW i32) (local $pS i32)
    (local.set $gw (i32.load offset=12 (local.get $job)))
    (local.set $tcap4 (i32.shl (i32.load offset=72 (local.get $job)) (i32.const 2)))
    (local.set $xi (i32.const 0))
    (loop $pixels
      (local.set $p (i32.add (i32.mul (local.get $y0) (i32.load (local.get $job))) (i32.mul (local.get $xi) (i32.load offset=8 (local.get $job)))))
      (local.set $i0 (f64.promote_f32 (f32.load (i32.add (i32.load offset=48 (local.get $job)) (i32.shl (local.get $p) (i32.const 3))))))
      (local.set $pWI (i32.add (i32.load offset=56 (local.get $job)) (i32.shl (local.get $p) (i32.const 3))))
      (local.set $pW (i32.add (i32.load offset=60 (local.get $job)) (i32.shl (local.get $p) (i32.const 3))))
      (local.set $pS (i32.add (i32.load offset=64 (local.get $job)) (i32.shl (local.get $p) (i32.const 3))))
      (local.set $swi (f64.load (local.get $pWI)))
      (local.set $sw (f64.load (local.get $pW)))
      (local.set $ss (f64.load (local.get $pS)))
      (local.set $j (i32.const 0))
      (loop $chains
        (local.set $g (i32.add (i32.add (local.get $scr) (i32.const 1024))
          (i32.shl (i32.add (i32.mul (local.get $xi) (local.get $nc)) (local.get $j)) (i32.const 2))))
        (local.set $swi (f64.add (local.get $swi) (f64.promote_f32 (f32.load (local.get $g)))))
        (local.set $sw (f64.add (local.get $sw) (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $tcap4))))))
        ;; codes back to values: code/65535 in float32, exactly the image's values
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $tcap4) (i32.const 1))))
        (local.set $mn (f64.promote_f32 (f32.div (f32.convert_i32_s (i32.load (local.get $g))) (f32.const 65535))))
        (local.set $mx (f64.promote_f32 (f32.div (f32.convert_i32_s (i32.load (i32.add (local.get $g) (local.get $tcap4)))) (f32.const 65535))))
        (local.set $ss (f64.add (local.get $ss)
          (if (result f64) (f64.gt (local.get $mx) (local.get $mn))
            (then (f64.div (f64.sub (local.get $i0) (local.get $mn)) (f64.sub (local.get $mx) (local.get $mn))))
            (else (f64.const 0.5)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $chains (i32.lt_u (local.get $j) (local.get $nc))))
      (f64.store (local.get $pWI) (local.get $swi))
      (f64.store (local.get $pW) (local.get $sw))
      (f64.store (local.get $pS) (local.get $ss))
      (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
      (br_if $pixels (i32.lt_u (local.get $xi) (local.get $gw)))))

  ;; The image as the enhancement sees it, from the float32 input at $input (width × height, job):
  ;; codes (u16 at 132096), values (f32 at $values and in the pairs), the Sobel gradient magnitude
  ;; (second of each pair) and the minimum and maximum codes (job). The same float64 arithmetic as
  ;; quantiseImage (stochastic-reference.ts) and sobelMagnitude (gradient.ts), so bit-identical.
  (func (export "prepare") (param $job i32) (param $input i32) (param $values i32)
    (local $n i32) (local $i i32) (local $v f32) (local $c i32) (local $lo i32) (local $hi i32) (local $ig i32)
    (local $w i32) (local $h i32) (local $x i32) (local $y i32) (local $ym i32) (local $y0 i32) (local $yp i32) (local $xm i32) (local $xp i32)
    (local $gx f64) (local $gy f64) (local $pa f64) (local $pb f64) (local $pc f64) (local $pd f64) (local $pf f64) (local $pg f64) (local $ph f64) (local $pi f64)
    (local.set $w (i32.load (local.get $job)))
    (local.set $h (i32.load offset=4 (local.get $job)))
    (local.set $n (i32.mul (local.get $w) (local.get $h)))
    (local.set $ig (i32.load offset=48 (local.get $job)))
    (local.set $lo (i32.const 65535))
    (loop $codes
      (local.set $v (f32.load (i32.add (local.get $input) (i32.shl (local.get $i) (i32.const 2)))))
      ;; c = v > 0 ? (v < 1 ? round(v·65535) : 65535) : 0 (NaN → 0); round = floor(x + ½) for x ≥ 0
      (local.set $c
        (if (result i32) (f32.gt (local.get $v) (f32.const 0))
          (then
            (if (result i32) (f32.lt (local.get $v) (f32.const 1))
              (then (i32.trunc_f64_s (f64.floor (f64.add (f64.mul (f64.promote_f32 (local.get $v)) (f64.const 65535)) (f64.const 0.5)))))
              (else (i32.const 65535))))
          (else (i32.const 0))))
      (i32.store16 offset=132096 (i32.shl (local.get $i) (i32.const 1)) (local.get $c))
      (local.set $v (f32.demote_f64 (f64.div (f64.convert_i32_s (local.get $c)) (f64.const 65535))))
      (f32.store (i32.add (local.get $values) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
      (f32.store (i32.add (local.get $ig) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
      (local.set $lo (select (local.get $c) (local.get $lo) (i32.lt_s (local.get $c) (local.get $lo))))
      (local.set $hi (select (local.get $c) (local.get $hi) (i32.gt_s (local.get $c) (local.get $hi))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $codes (i32.lt_u (local.get $i) (local.get $n))))
    (i32.store offset=92 (local.get $job) (local.get $lo))
    (i32.store offset=96 (local.get $job) (local.get $hi))
    ;; Sobel, borders replicated: gx = c + 2f + i − (a + 2d + g), gy = g + 2h + i − (a + 2b + c)
    (loop $rows
      (local.set $ym (i32.mul (select (i32.sub (local.get $y) (i32.const 1)) (i32.const 0) (i32.gt_s (local.get $y) (i32.const 0))) (local.get $w)))
      (local.set $y0 (i32.mul (local.get $y) (local.get $w)))
      (local.set $yp (i32.mul (select (i32.add (local.get $y) (i32.const 1)) (local.get $y) (i32.lt_s (local.get $y) (i32.sub (local.get $h) (i32.const 1)))) (local.get $w)))
      (local.set $x (i32.const 0))
      (loop $cols
        (local.set $xm (select (i32.sub (local.get $x) (i32.const 1)) (i32.const 0) (i32.gt_s (local.get $x) (i32.const 0))))
        (local.set $xp (select (i32.add (local.get $x) (i32.const 1)) (local.get $x) (i32.lt_s (local.get $x) (i32.sub (local.get $w) (i32.const 1)))))
        ;; the 3×3 neighbourhood: a b c / d · f / g h i
        (local.set $pa (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $ym) (local.get $xm)) (i32.const 2))))))
        (local.set $pb (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $ym) (local.get $x)) (i32.const 2))))))
        (local.set $pc (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $ym) (local.get $xp)) (i32.const 2))))))
        (local.set $pd (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $y0) (local.get $xm)) (i32.const 2))))))
        (local.set $pf (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $y0) (local.get $xp)) (i32.const 2))))))
        (local.set $pg (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $yp) (local.get $xm)) (i32.const 2))))))
        (local.set $ph (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $yp) (local.get $x)) (i32.const 2))))))
        (local.set $pi (f64.promote_f32 (f32.load (i32.add (local.get $values) (i32.shl (i32.add (local.get $yp) (local.get $xp)) (i32.const 2))))))
        (local.set $gx (f64.sub
          (f64.add (f64.add (local.get $pc) (f64.mul (f64.const 2) (local.get $pf))) (local.get $pi))
          (f64.add (f64.add (local.get $pa) (f64.mul (f64.const 2) (local.get $pd))) (local.get $pg))))
        (local.set $gy (f64.sub
          (f64.add (f64.add (local.get $pg) (f64.mul (f64.const 2) (local.get $ph))) (local.get $pi))
          (f64.add (f64.add (local.get $pa) (f64.mul (f64.const 2) (local.get $pb))) (local.get $pc))))
        (f32.store offset=4 (i32.add (local.get $ig) (i32.shl (i32.add (local.get $y0) (local.get $x)) (i32.const 3)))
          (f32.demote_f64 (f64.sqrt (f64.add (f64.mul (local.get $gx) (local.get $gx)) (f64.mul (local.get $gy) (local.get $gy))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $x) (local.get $w))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (local.get $h)))))

  ;; Bilinear upsampling of a gw × gh grid (f32 at $grid, grid point (gx, gy) = pixel (gx·step, gy·step))
  ;; to width × height (f32 at $out), in float64 as previewEstimate in stochastic.ts states it.
  (func (export "upsample") (param $grid i32) (param $gw i32) (param $gh i32) (param $step i32) (param $w i32) (param $h i32) (param $out i32)
    (local $x i32) (local $y i32) (local $y1 i32) (local $y2 i32) (local $x1 i32) (local $x2 i32)
    (local $fy f64) (local $ty f64) (local $fx f64) (local $tx f64) (local $a f64) (local $b f64) (local $p f64) (local $r1 i32) (local $r2 i32)
    (loop $rows
      (local.set $fy (f64.div (f64.convert_i32_s (local.get $y)) (f64.convert_i32_s (local.get $step))))
      (local.set $y1 (i32.trunc_f64_s (f64.floor (local.get $fy))))
      (if (i32.gt_s (local.get $y1) (i32.sub (local.get $gh) (i32.const 1))) (then (local.set $y1 (i32.sub (local.get $gh) (i32.const 1)))))
      (local.set $y2 (i32.add (local.get $y1) (i32.const 1)))
      (if (i32.gt_s (local.get $y2) (i32.sub (local.get $gh) (i32.const 1))) (then (local.set $y2 (i32.sub (local.get $gh) (i32.const 1)))))
      (local.set $ty (select (f64.sub (local.get $fy) (f64.convert_i32_s (local.get $y1))) (f64.const 0) (i32.gt_s (local.get $y2) (local.get $y1))))
      (local.set $r1 (i32.add (local.get $grid) (i32.shl (i32.mul (local.get $y1) (local.get $gw)) (i32.const 2))))
      (local.set $r2 (i32.add (local.get $grid) (i32.shl (i32.mul (local.get $y2) (local.get $gw)) (i32.const 2))))
      (local.set $x (i32.const 0))
      (loop $cols
        (local.set $fx (f64.div (f64.convert_i32_s (local.get $x)) (f64.convert_i32_s (local.get $step))))
        (local.set $x1 (i32.trunc_f64_s (f64.floor (local.get $fx))))
        (if (i32.gt_s (local.get $x1) (i32.sub (local.get $gw) (i32.const 1))) (then (local.set $x1 (i32.sub (local.get $gw) (i32.const 1)))))
        (local.set $x2 (i32.add (local.get $x1) (i32.const 1)))
        (if (i32.gt_s (local.get $x2) (i32.sub (local.get $gw) (i32.const 1))) (then (local.set $x2 (i32.sub (local.get $gw) (i32.const 1)))))
        (local.set $tx (select (f64.sub (local.get $fx) (f64.convert_i32_s (local.get $x1))) (f64.const 0) (i32.gt_s (local.get $x2) (local.get $x1))))
        ;; a = s[y1][x1] + (s[y1][x2] − s[y1][x1])·tx, b likewise on row y2
        (local.set $p (f64.promote_f32 (f32.load (i32.add (local.get $r1) (i32.shl (local.get $x1) (i32.const 2))))))
        (local.set $a (f64.add (local.get $p) (f64.mul
          (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $r1) (i32.shl (local.get $x2) (i32.const 2))))) (local.get $p)) (local.get $tx))))
        (local.set $p (f64.promote_f32 (f32.load (i32.add (local.get $r2) (i32.shl (local.get $x1) (i32.const 2))))))
        (local.set $b (f64.add (local.get $p) (f64.mul
          (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $r2) (i32.shl (local.get $x2) (i32.const 2))))) (local.get $p)) (local.get $tx))))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $y) (local.get $w)) (local.get $x)) (i32.const 2)))
          (f32.demote_f64 (f64.add (local.get $a) (f64.mul (f64.sub (local.get $b) (local.get $a)) (local.get $ty)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $x) (local.get $w))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (local.get $h)))))

  ;; One quadrant's radius range, float32(max(0, min(R2, √(dx² + dy²) + 1) − R1)).
  (func $range (param $job i32) (param $dx f64) (param $dy f64) (result f32)
    (f32.demote_f64 (f64.max (f64.const 0)
      (f64.sub
        (f64.min (f64.load offset=112 (local.get $job))
          (f64.add (f64.sqrt (f64.add (f64.mul (local.get $dx) (local.get $dx)) (f64.mul (local.get $dy) (local.get $dy)))) (f64.const 1)))
        (f64.load offset=104 (local.get $job))))))

  ;; Grid row $yi (image row yi·step), chains [chainStart, chainEnd) in batches; returns the
  ;; samples read (x0, walk and sprayed samples actually drawn).
  (func (export "row") (param $job i32) (param $scr i32) (param $yi i32) (result f64)
    (local $y0 i32) (local $w i32) (local $h i32) (local $step i32) (local $gw i32) (local $xi i32) (local $x0 i32)
    (local $fx f64) (local $fy f64) (local $gx f64) (local $gy f64) (local $spans i32) (local $col i32)
    (local $c1 f32) (local $c2 f32) (local $c3 f32) (local $lt f32)
    (local $cb i32) (local $ce i32) (local $nc i32) (local $reads f64)
    (local.set $w (i32.load (local.get $job)))
    (local.set $h (i32.load offset=4 (local.get $job)))
    (local.set $step (i32.load offset=8 (local.get $job)))
    (local.set $gw (i32.load offset=12 (local.get $job)))
    (local.set $y0 (i32.mul (local.get $yi) (local.get $step)))
    ;; Per grid column, the spray's stacked quadrant ranges (stochastic-reference.ts, sprayRanges):
    ;; L_q = max(0, min(R2, |farthest corner in quadrant q| + 1) − R1) in float64, then in float32
    ;; C1 = L0, C2 = C1 + L1, C3 = C2 + L2, L = C3 + L3, stored as [L/65536 (−1: no spray), C1, C2, C3].
    (local.set $spans (i32.add (i32.add (local.get $scr) (i32.const 1024)) (i32.shl (i32.load offset=72 (local.get $job)) (i32.const 6))))
    (local.set $fy (f64.convert_i32_s (i32.sub (i32.sub (local.get $h) (i32.const 1)) (local.get $y0)))) ;; quadrants 0, 1 (sin ≥ 0)
    (local.set $gy (f64.convert_i32_s (local.get $y0)))                                                    ;; quadrants 2, 3
    (local.set $xi (i32.const 0))
    (loop $cols
      (local.set $x0 (i32.mul (local.get $xi) (local.get $step)))
      (local.set $fx (f64.convert_i32_s (i32.sub (i32.sub (local.get $w) (i32.const 1)) (local.get $x0)))) ;; quadrants 0, 3 (cos ≥ 0)
      (local.set $gx (f64.convert_i32_s (local.get $x0)))                                                    ;; quadrants 1, 2
      (local.set $c1 (call $range (local.get $job) (local.get $fx) (local.get $fy)))
      (local.set $c2 (f32.add (local.get $c1) (call $range (local.get $job) (local.get $gx) (local.get $fy))))
      (local.set $c3 (f32.add (local.get $c2) (call $range (local.get $job) (local.get $gx) (local.get $gy))))
      (local.set $lt (f32.add (local.get $c3) (call $range (local.get $job) (local.get $fx) (local.get $gy))))
      (local.set $col (i32.add (local.get $spans) (i32.shl (local.get $xi) (i32.const 4))))
      (f32.store offset=0 (local.get $col)
        (select (f32.mul (local.get $lt) (f32.const 0x1p-16)) (f32.const -1) (f32.gt (local.get $lt) (f32.const 0))))
      (f32.store offset=4 (local.get $col) (local.get $c1))
      (f32.store offset=8 (local.get $col) (local.get $c2))
      (f32.store offset=12 (local.get $col) (local.get $c3))
      (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $xi) (local.get $gw))))
    (local.set $cb (i32.load offset=20 (local.get $job)))
    (local.set $ce (i32.load offset=24 (local.get $job)))
    (block $batches
      (loop $batch
        (br_if $batches (i32.ge_s (local.get $cb) (local.get $ce)))
        (local.set $nc (i32.sub (local.get $ce) (local.get $cb)))
        (if (i32.gt_s (local.get $nc) (i32.load offset=68 (local.get $job)))
          (then (local.set $nc (i32.load offset=68 (local.get $job)))))
        (local.set $reads (f64.add (local.get $reads)
          (call $walk (local.get $job) (local.get $scr) (local.get $y0) (local.get $cb) (local.get $nc) (i32.mul (local.get $nc) (local.get $gw)))))
        (local.set $reads (f64.add (local.get $reads) (call $spray (local.get $job) (local.get $scr) (local.get $y0))))
        (call $sum (local.get $job) (local.get $scr) (local.get $y0) (local.get $nc))
        (local.set $cb (i32.add (local.get $cb) (local.get $nc)))
        (br $batch)))
    (local.get $reads))
)
