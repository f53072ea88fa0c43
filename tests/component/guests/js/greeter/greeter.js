// The greeter world's one export. Non-ASCII input comes back intact: the
// string crosses the ABI as UTF-8 both ways.
export function greet(name) {
  return `Hello, ${name}!`;
}
