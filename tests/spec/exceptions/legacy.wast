;; The legacy (phase 3 proposal) instructions beyond what the proposal's
;; scripts cover: the caught exception of a catch arm survives calls and
;; nested arms until rethrow; arm results with pending locals and
;; constants; delegate into a try_table; try_table inside a catch arm.

(module
  (tag $a (param i32))
  (tag $b (param i64))
  (func $id (param i32) (result i32) (local.get 0))
  (func $throw-b (param i64) (throw $b (local.get 0)))
  (func $thrower (param i32) (throw $a (local.get 0)))

  ;; A call (whose frame overlaps the operand stack) inside the arm must not
  ;; clobber the exception that rethrow 0 throws again.
  (func (export "rethrow-after-call") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $thrower (local.get 0)) (i32.const -1))
          (catch $a
            (drop (call $id (i32.const 1000)))
            (drop (call $id (i32.const 2000)))
            (rethrow 0))))
      (catch $a)))

  ;; rethrow 1 from a nested arm throws the outer arm's exception.
  (func (export "rethrow-outer") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (throw $a (i32.const 1)))
          (catch $a
            (drop)
            (try (result i32)
              (do (call $throw-b (i64.const 2)) (i32.const -1))
              (catch $b (drop) (rethrow 1))))))
      (catch $a)
      (catch $b (drop) (i32.const -2))))

  ;; Arm results from a local, a constant and a computed value.
  (func (export "arm-results") (param i32) (result i32 i32 i32)
    (local $x i32)
    (local.set $x (i32.const 7))
    (try (result i32 i32 i32)
      (do (call $thrower (local.get 0)) (i32.const 0) (i32.const 0) (i32.const 0))
      (catch $a (local.set $x (i32.add (local.get $x))) (local.get $x) (i32.const 5) (i32.const 6))
      (catch_all (i32.const 1) (i32.const 2) (i32.const 3))))

  ;; delegate to a try_table.
  (func (export "delegate-to-try-table") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $a $h)
        (block
          (try (do (call $thrower (local.get 0))) (delegate 1))))
      (i32.const -1)))

  ;; A try_table inside a catch arm catches what the arm throws.
  (func (export "try-table-in-arm") (result i64)
    (try (result i64)
      (do (throw $a (i32.const 3)) (i64.const -1))
      (catch $a
        (drop)
        (block $h (result i64)
          (try_table (catch $b $h) (call $throw-b (i64.const 44)))
          (i64.const -1)))))

  ;; A throw in the arm itself is not caught by the same try.
  (func (export "throw-in-arm") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (throw $a (i32.const 1)))
          (catch $a (drop) (throw $a (i32.const 9)))))
      (catch $a (i32.add (i32.const 100)))))
)

(assert_return (invoke "rethrow-after-call" (i32.const 17)) (i32.const 17))
(assert_return (invoke "rethrow-outer") (i32.const 1))
(assert_return (invoke "arm-results" (i32.const 3)) (i32.const 10) (i32.const 5) (i32.const 6))
(assert_return (invoke "delegate-to-try-table" (i32.const 8)) (i32.const 8))
(assert_return (invoke "try-table-in-arm") (i64.const 44))
(assert_return (invoke "throw-in-arm") (i32.const 109))

(assert_invalid
  (module (func (block (rethrow 0))))
  "invalid rethrow label")
(assert_invalid
  (module (func (try (do (rethrow 0)))))
  "invalid rethrow label")
(assert_invalid
  (module (func (try (do) (delegate 1))))
  "unknown label")
