// Loaded with `node --import`: resolves @restatedev/* as if imported from the folder that
// scripts/install-restate installs the TypeScript SDK into ($RESTATE_TS_SDK_DIR), so the
// services import the SDK by its name.
import { registerHooks } from "node:module";
import { pathToFileURL } from "node:url";

const base = pathToFileURL(`${process.env.RESTATE_TS_SDK_DIR}/package.json`).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith("@restatedev/")) {
      return nextResolve(specifier, { ...context, parentURL: base });
    }
    return nextResolve(specifier, context);
  },
});
