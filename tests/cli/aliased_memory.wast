;; One memory imported twice, as memory 0 and memory 1: a grow through
;; memory 1 grows memory 0 too, which code reading memory 0 must see (the
;; interpreter reloads memory 0 after every other-memory instruction, and
;; so does native code).
(module $M (memory (export "m") 1))
(register "M")
(module
  (import "M" "m" (memory $a 1))
  (import "M" "m" (memory $b 1))
  (func (export "grow-then-use") (result i32)
    (drop (memory.grow $b (i32.const 1)))
    ;; past memory 0's old size: in bounds only after the grow
    (i32.store $a (i32.const 70000) (i32.const 42))
    (i32.add (i32.load $a (i32.const 70000)) (memory.size $a)))
  (func (export "fill-after-grow") (result i32)
    (drop (memory.grow $b (i32.const 1)))
    (memory.fill $a (i32.const 140000) (i32.const 7) (i32.const 4))
    (i32.load8_u $b (i32.const 140003))))
(assert_return (invoke "grow-then-use") (i32.const 44))
(assert_return (invoke "fill-after-grow") (i32.const 7))
