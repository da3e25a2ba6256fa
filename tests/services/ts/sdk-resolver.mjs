// Loaded with `node --import`: resolves @restatedev/* from the folder scripts/install-restate
// installs the TypeScript SDK into ($RESTATE_TS_SDK_DIR), so the services import it by name.
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
