import type { IncidentChannel, Pager } from '../core/engagement-ports';
import { VendorRejectedError } from '../core/errors';

/**
 * The pager when no routing key is configured: every page is rejected with a
 * clear reason, which the workflow writes to the timeline. Firebreak never
 * pretends to have paged.
 */
export class UnconfiguredPager implements Pager {
  async send(): Promise<never> {
    throw new VendorRejectedError('pagerduty', 'PAGERDUTY_ROUTING_KEY is not set: nobody can be paged', 'not_configured');
  }
}

/** The incident channel when no Slack token is configured: every call is rejected with the reason. */
export class UnconfiguredIncidentChannel implements IncidentChannel {
  private fail(): never {
    throw new VendorRejectedError('slack', 'SLACK_BOT_TOKEN is not set: no incident channel can be opened', 'not_configured');
  }
  async open(): Promise<never> {
    return this.fail();
  }
  async invite(): Promise<never> {
    return this.fail();
  }
  async findUserByEmail(): Promise<never> {
    return this.fail();
  }
  async postToThread(): Promise<never> {
    return this.fail();
  }
  async updateSummary(): Promise<never> {
    return this.fail();
  }
}
