;; Standardized (Wasm 3.0, exnref) exception handling: try_table, throw,
;; throw_ref. The pinned testsuite's proposals/exception-handling predates
;; try_table, so these are weft's own cases, each checked against the
;; spec's typing and execution rules.

(module
  (tag $e0)
  (tag $e1 (param i32))
  (tag $e2 (param i32 i64))
  (tag $ef (param f64))

  (func $throw-e1 (param i32) (throw $e1 (local.get 0)))
  (func $throw-e2 (param i32 i64) (throw $e2 (local.get 0) (local.get 1)))

  ;; catch delivers the tag's values to the label
  (func (export "catch-e1") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h) (call $throw-e1 (local.get 0)))
      (i32.const -1)))

  (func (export "catch-multi") (param i32 i64) (result i64)
    (block $h (result i32 i64)
      (try_table (catch $e2 $h) (call $throw-e2 (local.get 0) (local.get 1)))
      (return (i64.const -1)))
    (local.set 1)
    (i64.add (i64.extend_i32_u) (local.get 1)))

  ;; the innermost matching handler wins; a non-matching one is skipped
  (func (export "nested") (param i32) (result i32)
    (block $outer (result i32)
      (block $inner
        (try_table (catch $e1 $outer)
          (try_table (catch $e0 $inner)
            (if (local.get 0) (then (throw $e1 (i32.const 10))) (else (throw $e0)))))
        (return (i32.const -1)))
      (i32.const 20)))

  ;; catch_all, and no catch when nothing throws
  (func (export "catch-all") (param i32) (result i32)
    (block $h
      (try_table (catch_all $h)
        (if (local.get 0) (then (throw $ef (f64.const 1.5)))))
      (return (i32.const 0)))
    (i32.const 1))

  ;; catch_ref + throw_ref rethrows the same exception (with its values)
  (func (export "rethrow") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $e1 $outer)
        (block $h (result i32 exnref)
          (try_table (catch_ref $e1 $h) (call $throw-e1 (local.get 0)))
          (unreachable))
        (throw_ref)
        (drop))
      (i32.const -1)))

  ;; catch_all_ref: an exnref of any tag
  (func (export "all-ref") (result i32)
    (block $outer (result i32)
      (try_table (catch $e1 $outer)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (throw $e1 (i32.const 33)))
          (unreachable))
        (throw_ref))
      (i32.const -1)))

  ;; a catch that names the function's own label returns
  (func (export "to-func") (param i32) (result i32)
    (try_table (catch $e1 0) (call $throw-e1 (local.get 0)))
    (i32.const -1))

  ;; a catch that names a loop re-enters it
  (func (export "loop") (result i32)
    (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (try_table (catch $e0 $l)
        (if (i32.lt_u (local.get $n) (i32.const 5)) (then (throw $e0)))))
    (local.get $n))

  ;; values below the try_table survive the unwinding
  (func (export "stack") (param i32) (result i32)
    (i32.const 100)
    (block $h (result i32)
      (try_table (result i32) (catch $e1 $h)
        (i32.const 7)
        (call $throw-e1 (local.get 0))
        (drop) (i32.const 0)))
    (i32.add))

  ;; a try_table with params
  (func (export "params") (param i32) (result i32)
    (block $h (result i32)
      (local.get 0)
      (try_table (param i32) (catch $e1 $h) (throw $e1))
      (i32.const -1)))

  (func (export "uncaught") (throw $e1 (i32.const 1)))
  (func (export "uncaught-mismatch")
    (block $h
      (try_table (catch $e0 $h) (throw $e1 (i32.const 1)))))
  (func (export "null-ref") (throw_ref (ref.null exn)))

  ;; exnref as a value: locals, params, ref.is_null, select t
  (func $get-ref (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $e1 (i32.const 5)))
      (unreachable)))
  (func (export "exnref-local") (result i32)
    (local $x exnref)
    (local.set $x (call $get-ref))
    (i32.add (ref.is_null (local.get $x))
             (ref.is_null (select (result exnref) (ref.null exn) (local.get $x) (i32.const 1)))))
  (func (export "rethrow-later") (result i32)
    (local $x exnref)
    (local.set $x (call $get-ref))
    (block $h (result i32)
      (try_table (catch $e1 $h) (throw_ref (local.get $x)))
      (i32.const -1)))

  ;; a trap is not an exception: catch_all does not catch it
  (func (export "trap")
    (block $h (try_table (catch_all $h) (unreachable))))

  ;; deep recursion unwinds many frames
  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $e1 (i32.const 1234))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "deep") (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h) (call $deep (i32.const 1000)))
      (i32.const -1)))
)

(assert_return (invoke "catch-e1" (i32.const 42)) (i32.const 42))
(assert_return (invoke "catch-multi" (i32.const 2) (i64.const 40)) (i64.const 42))
(assert_return (invoke "nested" (i32.const 1)) (i32.const 10))
(assert_return (invoke "nested" (i32.const 0)) (i32.const 20))
(assert_return (invoke "catch-all" (i32.const 1)) (i32.const 1))
(assert_return (invoke "catch-all" (i32.const 0)) (i32.const 0))
(assert_return (invoke "rethrow" (i32.const 9)) (i32.const 9))
(assert_return (invoke "all-ref") (i32.const 33))
(assert_return (invoke "to-func" (i32.const 8)) (i32.const 8))
(assert_return (invoke "loop") (i32.const 5))
(assert_return (invoke "stack" (i32.const 5)) (i32.const 105))
(assert_return (invoke "params" (i32.const 6)) (i32.const 6))
(assert_exception (invoke "uncaught"))
(assert_exception (invoke "uncaught-mismatch"))
(assert_trap (invoke "null-ref") "null exception reference")
(assert_return (invoke "exnref-local") (i32.const 1))
(assert_return (invoke "rethrow-later") (i32.const 5))
(assert_trap (invoke "trap") "unreachable")
(assert_return (invoke "deep") (i32.const 1234))

;; Tags cross module boundaries by identity, and throws cross calls
;; between instances.
(module $M1
  (tag $t (export "t") (param i32))
  (func (export "throw") (param i32) (throw $t (local.get 0))))
(register "m1")
(module $M2
  (import "m1" "t" (tag $t (param i32)))
  (import "m1" "throw" (func $throw (param i32)))
  (tag $local (param i32))
  (func (export "catch-imported") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (call $throw (local.get 0)))
      (i32.const -1)))
  (func (export "wrong-tag") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $local $h) (call $throw (local.get 0)))
      (i32.const -1))))
(assert_return (invoke $M2 "catch-imported" (i32.const 3)) (i32.const 3))
(assert_exception (invoke $M2 "wrong-tag" (i32.const 3)))

(assert_unlinkable
  (module (import "m1" "t" (tag (param i64))))
  "incompatible import type")
(assert_unlinkable
  (module (import "m1" "throw" (tag (param i32))))
  "incompatible import type")

;; Validation
(assert_invalid
  (module (func (block $h (try_table (catch 0 $h)))))
  "unknown tag")
(assert_invalid
  (module (func (throw 0)))
  "unknown tag")
(assert_invalid
  (module (tag $e (param i32)) (func (block $h (try_table (catch $e $h)))))
  "type mismatch")
(assert_invalid
  (module (tag $e (param i32))
    (func (block $h (result i64) (try_table (catch $e $h)) (i64.const 0)) (drop)))
  "type mismatch")
(assert_invalid
  (module (tag $e (param i32))
    (func (block $h (result i32) (try_table (catch_ref $e $h)) (i32.const 0)) (drop)))
  "type mismatch")
(assert_invalid
  (module (func (block $h (result exnref) (try_table (catch_all $h)) (ref.null exn)) (drop)))
  "type mismatch")
(assert_invalid
  (module (func (block $h (try_table (catch_all_ref $h)))))
  "type mismatch")
(assert_invalid
  (module (func (try_table (catch_all 1))))
  "unknown label")
(assert_invalid
  (module (tag $e (param i32)) (func (throw $e)))
  "type mismatch")
(assert_invalid
  (module (func (throw_ref (i32.const 0))))
  "type mismatch")
(assert_invalid
  (module (func (result i32) (try_table (result i32) (i64.const 0))))
  "type mismatch")
(assert_invalid
  (module (tag (param i32) (result i32)))
  "non-empty tag result type")
(assert_invalid
  (module (export "t" (tag 0)))
  "unknown tag")

;; Binary: a catch clause kind other than 0..3 is malformed.
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"          ;; type: [] -> []
    "\03\02\01\00"                ;; func 0: type 0
    "\0a\09\01\07\00"             ;; code: 1 body, 7 bytes, no locals
    "\1f\40\01\04\00"             ;; try_table [] 1 clause: kind 4
    "\0b\0b")
  "malformed catch clause")
