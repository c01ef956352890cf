import { useTestEnv } from "@/lib/dev/testing/env";

export { useTestEnv };

// imported first by every test file: the defaults are in place before anything reads getConfig()
useTestEnv();
