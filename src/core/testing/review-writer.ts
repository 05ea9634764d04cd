/**
 * A second process writing to the review database (tests: concurrent writers, SIGKILL in the
 * middle of a burst). Usage: review-writer.ts DB WHO KEY FIRST_SLICE COUNT MARK; prints "ok N"
 * after each committed edit.
 */
import { ReviewStore } from '../review/review-store.js';

const [file, who, key, first, count, mark] = process.argv.slice(2);
const store = ReviewStore.open(file!);
const start = Number(first), n = Number(count);
for (let i = 0; i < n; i++) {
  const slice = start + (i % 100_000);
  store.setMark(key!, who!, slice, mark as 'lesion' | 'clear');
  if (i % 10 === 0) store.setReview(key!, who!, { note: `${who} edit ${i}` });
  process.stdout.write(`ok ${slice}\n`);
}
store.close();
