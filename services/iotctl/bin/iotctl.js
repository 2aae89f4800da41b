#!/usr/bin/env node
// A checked-in launcher rather than `bin: dist/cli.js`: npm links a workspace's bin at `npm ci` only when the
// file exists, and dist/ exists only after the build. Without the link, `npx iotctl` would fetch whatever
// package of that name a registry serves.
try {
  await import("../dist/cli.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli.js")) {
    process.stderr.write("iotctl is not built yet: run `npm run build` at the repository root, then try again\n");
    process.exit(2);
  }
  throw err;
}
