/**
 * Port: the chat channel the weekly review's summary is posted to (a Slack
 * channel on both targets). The message is built by `reviewBlocks`: ids,
 * SLO ids, severities, taxonomy and figures only, never prompt text.
 */
export interface ReviewChannel {
  /**
   * Posts one message: `text` is the notification and screen-reader
   * fallback, `blocks` the Block Kit layout.
   *
   * @throws VendorTransientError when the chat service failed in a way that may pass (429, 5xx, timeout)
   * @throws VendorRejectedError when it refused the message for good (bad token, unknown channel, invalid blocks)
   */
  post(text: string, blocks: unknown[]): Promise<void>;
}
