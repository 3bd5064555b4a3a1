// Fixture plugin in JavaScript (componentize-js with stdio): failures, with and without a WIT result.

export function fail(message) {
  throw new Error(message);
}

export function noisy(lines) {
  for (let i = 1; i <= lines; i++) console.error(`noise line ${i}`);
  throw new Error(`gave up after ${lines} lines`);
}

// In an export returning result<T, E>, componentize-js turns a thrown value into err(value):
// throw the E payload (here a string) instead of an Error, and the host gets { tag: 'err', val }.
export function shout(input) {
  if (input === '') throw 'empty input';
  return input.toUpperCase();
}
