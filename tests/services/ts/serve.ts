// Serve services.ts in one of the four ways the TypeScript SDK offers:
//
//   node serve.ts serve PORT        restate.serve(): HTTP/2 cleartext only, BIDI_STREAM
//   node serve.ts http2-rr PORT     http2.createServer(createEndpointHandler({ bidirectional: false }))
//   node serve.ts http1 PORT        http.createServer(createEndpointHandler()): REQUEST_RESPONSE
//   node serve.ts http1-bidi PORT   http.createServer(createEndpointHandler({ bidirectional: true }))
import * as http from "node:http";
import * as http2 from "node:http2";
import * as restate from "@restatedev/restate-sdk";
import { services } from "./services.ts";

const [mode, portText] = process.argv.slice(2);
const port = Number(portText);

if (mode === "serve") {
  await restate.serve({ services, port });
} else {
  const bidirectional = { "http2-rr": false, http1: undefined, "http1-bidi": true }[mode];
  if (!["http2-rr", "http1", "http1-bidi"].includes(mode)) {
    throw new Error(`unknown mode ${mode}`);
  }
  const handler = restate.createEndpointHandler({ services, bidirectional });
  const server = mode === "http2-rr" ? http2.createServer(handler) : http.createServer(handler);
  server.listen(port, "127.0.0.1");
}
