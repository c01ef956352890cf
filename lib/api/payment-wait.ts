/**
 * How long the payment page's status request may wait on the server for the payment to land (seconds): below the
 * idle timeouts of the proxies in front of the portal, and the poll's interval for asking Alipay
 * (POLL_QUERY_INTERVAL_MS), so a page whose notification was lost still makes the portal ask every 10 s (from
 * POLL_FIRST_QUERY_MS after the QR code was shown).
 * No zod here: the browser's bundle imports it.
 */
export const PAYMENT_WAIT_MAX_S = 10;
