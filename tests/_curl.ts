// curl as a child process (`curl -N`, the way a person tries a stream), with
// what it prints recorded as it arrives.
import { type ChildProcess, spawn } from "node:child_process";

export interface Curl {
  /** Everything curl printed so far. */
  output(): string;
  /** Each piece of output with `performance.now()` when it arrived. */
  chunks: { at: number; text: string }[];
  /** Resolves with the arrival time of the `occurrence`th `needle` (default: the first). */
  waitFor(needle: string, ms?: number, occurrence?: number): Promise<number>;
  /** Resolves with curl's exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Runs `curl ...args url`, for example `curl -N -s url`. */
export function curl(args: string[], url: string): Curl {
  const child: ChildProcess = spawn("curl", [...args, url], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  let text = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (chunk: Uint8Array) => {
    const piece = decoder.decode(chunk, { stream: true });
    chunks.push({ at: performance.now(), text: piece });
    text += piece;
    for (const wake of [...waiters]) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    output: () => text,
    chunks,
    exited,
    waitFor(needle, ms = 2000, occurrence = 1) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `curl printed no ${occurrence}× ${JSON.stringify(needle)} in ${ms} ms: ${text}`,
            ),
          );
        }, ms);
        const check = () => {
          let index = -1;
          for (let n = 0; n < occurrence; n++) {
            index = text.indexOf(needle, index + 1);
            if (index < 0) return;
          }
          // The time of the chunk that completed the needle.
          let seen = 0;
          const chunk = chunks.find((c) => (seen += c.text.length) >= index + needle.length);
          waiters.delete(check);
          clearTimeout(timer);
          resolve(chunk!.at);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}
