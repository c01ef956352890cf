import NextLink from "next/link";
import type { ComponentProps } from "react";

/**
 * next/link without prefetching, for every link of the site (lint refuses next/link elsewhere). Each page here is
 * rendered per request (the nonce CSP) and none has a loading state, so a prefetch brought the browser only the
 * route's tree and metadata, and cost the server 1.5–2 ms of CPU each: a holder's wizard made eight of them (the
 * header's four links on two pages), a fifth of what its pages cost the portal (bench/README.md). A click renders
 * the page as it did.
 */
export default function Link(props: ComponentProps<typeof NextLink>) {
  return <NextLink prefetch={false} {...props} />;
}
