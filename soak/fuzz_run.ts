// Runs the serializer fuzz (soak/fuzz.ts) on this runtime: `<runs>` as the
// last argument; prints one JSON line of counts.

import process from "node:process";
import { fuzzSerializer } from "./fuzz.ts";

console.log(JSON.stringify(fuzzSerializer(Number(process.argv[process.argv.length - 1]) || 1000)));
