;; The pixel conversion kernel of pixels.ts, in WebAssembly text: `npm run wasm` compiles it (wabt) into
;; pixelswasm.ts, and a test checks that the two agree.
;;
;; convert: for each of `pixels` pixels of `srcStep` interleaved bytes starting at byte `src`, the bytes at
;; offsets `o0`, `o1`, `o2` become output channels 0, 1, 2. With `bytes` 0 the value is x * scale_c +
;; shift_c, computed in float64 and stored as float32 (as JavaScript would); with `bytes` 1 it is x itself,
;; stored as a byte (uint8 is never scaled). Output channel c of pixel p is the element
;; `c * planeStep + p * pixelStep` counted from byte `dst` (elements of 4 bytes, or 1 with `bytes`).
(module
  (memory (export "memory") 1)

  (func (export "convert")
    (param $src i32) (param $dst i32) (param $pixels i32) (param $srcStep i32)
    (param $o0 i32) (param $o1 i32) (param $o2 i32)
    (param $pixelStep i32) (param $planeStep i32) (param $bytes i32)
    (param $scale0 f64) (param $scale1 f64) (param $scale2 f64)
    (param $shift0 f64) (param $shift1 f64) (param $shift2 f64)
    (local $end i32) (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $shift i32)
    ;; steps in bytes: elements of 1 byte (shift 0) or 4 bytes (shift 2)
    (local.set $shift (select (i32.const 0) (i32.const 2) (local.get $bytes)))
    (local.set $pixelStep (i32.shl (local.get $pixelStep) (local.get $shift)))
    (local.set $planeStep (i32.shl (local.get $planeStep) (local.get $shift)))
    (local.set $t0 (local.get $dst))
    (local.set $t1 (i32.add (local.get $t0) (local.get $planeStep)))
    (local.set $t2 (i32.add (local.get $t1) (local.get $planeStep)))
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $pixels) (local.get $srcStep))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (if (local.get $bytes)
          (then
            (i32.store8 (local.get $t0) (i32.load8_u (i32.add (local.get $src) (local.get $o0))))
            (i32.store8 (local.get $t1) (i32.load8_u (i32.add (local.get $src) (local.get $o1))))
            (i32.store8 (local.get $t2) (i32.load8_u (i32.add (local.get $src) (local.get $o2)))))
          (else
            (f32.store (local.get $t0) (f32.demote_f64 (f64.add (local.get $shift0) (f64.mul (local.get $scale0)
              (f64.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $o0))))))))
            (f32.store (local.get $t1) (f32.demote_f64 (f64.add (local.get $shift1) (f64.mul (local.get $scale1)
              (f64.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $o1))))))))
            (f32.store (local.get $t2) (f32.demote_f64 (f64.add (local.get $shift2) (f64.mul (local.get $scale2)
              (f64.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $o2))))))))))
        (local.set $src (i32.add (local.get $src) (local.get $srcStep)))
        (local.set $t0 (i32.add (local.get $t0) (local.get $pixelStep)))
        (local.set $t1 (i32.add (local.get $t1) (local.get $pixelStep)))
        (local.set $t2 (i32.add (local.get $t2) (local.get $pixelStep)))
        (br $next))))
)
