import type { GuardrailCategory } from './guardrail';
import type { JsonlAppender } from './evidence';
import type { ReplyVerdict } from './versions';

/** A response held for a person to review before it goes out (human-review routing). */
export interface ReviewItem {
  readonly review_id: string;
  readonly time: string;
  readonly request_id: string;
  readonly model: string;
  readonly version: string;
  /** The user turns, oldest first. */
  readonly prompt: readonly string[];
  /** The answer the model drafted; not delivered. */
  readonly draft_response: string;
  readonly draft_verdict: ReplyVerdict;
  readonly adversarial: boolean;
  readonly detector: string;
  readonly category?: GuardrailCategory;
}

/**
 * The responses held for review, in arrival order: kept in memory (served
 * on `GET /review-queue`) and, when a file is given, appended to it as JSON
 * lines.
 *
 * @example
 * const queue = new ReviewQueue();
 * queue.add(item);
 * queue.items().length // => 1
 */
export class ReviewQueue {
  private readonly held: ReviewItem[] = [];

  constructor(private readonly file?: JsonlAppender) {}

  add(item: ReviewItem): void {
    this.held.push(item);
    this.file?.append(item);
  }

  /** Every held item, oldest first. */
  items(): readonly ReviewItem[] {
    return [...this.held];
  }
}
