/**
 * The link that opens the Alipay app on a phone at the order's payment: what a holder already on the phone taps
 * instead of scanning the QR code shown on that same phone. Alipay's own scheme hands the QR content (the
 * precreate answer's qr_code) to its scanner (saId 10000007). The sandbox has no app: its scan-and-pay page
 * (which the QR content already is) opens instead.
 */
export function alipayAppLink(qrCode: string, sandbox: boolean): string {
  if (sandbox) return qrCode;
  return `alipays://platformapi/startapp?saId=10000007&qrcode=${encodeURIComponent(qrCode)}`;
}
