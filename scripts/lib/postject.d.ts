// postject (npm) ships JavaScript only; the one call scripts/lib/assistant-pack.ts makes
declare module "postject" {
  export function inject(
    file: string,
    resourceName: string,
    resourceData: Buffer,
    options: { sentinelFuse: string; overwrite?: boolean; machoSegmentName?: string },
  ): Promise<void>;
}
