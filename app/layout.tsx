import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { SiteHeader } from "@/components/SiteHeader";
import { SiteFooter } from "@/components/SiteFooter";
import { getT } from "./_lib/i18n";
import { pageCentre } from "./_lib/centre";

export async function generateMetadata(): Promise<Metadata> {
  const { t } = await getT();
  return {
    title: { default: `${t.common.appName} · CertRenew`, template: "%s · CertRenew" },
    description: t.home.metaDescription,
  };
}

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { locale, t } = await getT();
  const centre = await pageCentre(locale);
  return (
    <html lang={locale}>
      <body>
        <a className="skip" href="#main">
          {t.common.skipToContent}
        </a>
        <SiteHeader t={t} locale={locale} centre={centre} />
        <main id="main">{children}</main>
        <SiteFooter t={t} centre={centre} />
      </body>
    </html>
  );
}
