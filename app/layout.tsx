import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { SiteHeader } from "@/components/SiteHeader";
import { SiteFooter } from "@/components/SiteFooter";
import { getT } from "./_lib/i18n";

export const metadata: Metadata = {
  title: { default: "数字证书在线服务 · CertRenew", template: "%s · CertRenew" },
  description: "USB-key certificate renewal, status, revocation and PIN unlock online",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { locale, t } = await getT();
  return (
    <html lang={locale}>
      <body>
        <a className="skip" href="#main">
          {t.common.skipToContent}
        </a>
        <SiteHeader t={t} locale={locale} />
        <main id="main">{children}</main>
        <SiteFooter t={t} />
      </body>
    </html>
  );
}
