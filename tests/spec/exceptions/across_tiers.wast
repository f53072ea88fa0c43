;; Exceptions through machine code (ctest runs this with --tier optimized
;; too, and tests/cli/tier_optimized.sh with some of the functions kept
;; interpreted, so that each throw crosses between the tiers both ways):
;; thrown two frames down, caught with the values intact, caught whole and
;; thrown again, passed over by a handler of another tag, and uncaught.

(module
  (tag $e (param i32 i64))
  (tag $other)
  (func $thrower (param i32) (throw $e (local.get 0) (i64.const 7)))
  (func $middle (param i32) (call $thrower (i32.add (local.get 0) (i32.const 1))))
  (func $rethrow (param exnref) (throw_ref (local.get 0)))
  (func $throw-other (throw $other))

  ;; 5 + 7: the values thrown two native frames down
  (func (export "catch") (param i32) (result i64)
    (local $y i64)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $middle (local.get 0)))
      (return (i64.const -1)))
    (local.set $y)
    (i64.add (i64.extend_i32_u) (local.get $y)))

  ;; caught whole (catch_all_ref), thrown again by native code, caught outside
  (func (export "relay") (param i32) (result i32)
    (block $outer (result i32 i64)
      (try_table (catch $e $outer)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (call $middle (local.get 0)))
          (unreachable))
        (call $rethrow))
      (unreachable))
    (drop))

  ;; a handler for another tag lets it pass; catch_all takes it
  (func (export "mismatch") (result i32)
    (block $all
      (block $h (result i32 i64)
        (try_table (catch $e $h) (catch_all $all) (call $throw-other))
        (return (i32.const -1)))
      (return (i32.const -2)))
    (i32.const 3))

  (func (export "uncaught") (call $middle (i32.const 1)))
  (func (export "null-ref") (call $rethrow (ref.null exn)))
)

(assert_return (invoke "catch" (i32.const 4)) (i64.const 12))
(assert_return (invoke "relay" (i32.const 4)) (i32.const 5))
(assert_return (invoke "mismatch") (i32.const 3))
(assert_exception (invoke "uncaught"))
(assert_trap (invoke "null-ref") "null exception reference")
