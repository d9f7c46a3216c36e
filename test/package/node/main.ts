// The Node recipe of docs/verifying-tokens.md (node-server.ts, copied in as printed), listening.
import { server } from "./node-server.ts";

server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`listening on ${process.env.PORT}`));
