/**
 * A hashing worker of `hash_files.ts`: hashes the files it is sent, one at a time in arrival
 * order (a job that arrives while one is running waits its turn, so the read buffer is reused),
 * and posts each digest back.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { hashFile, type HashJob, type HashReply } from "./hash_files.ts";

const buffer = new Uint8Array(1 << 20);
let chain: Promise<void> = Promise.resolve();

self.onmessage = (e: MessageEvent<HashJob>) => {
  const job = e.data;
  chain = chain.then(async () => {
    const r = await hashFile(job.path, job.algorithm, buffer);
    self.postMessage({ index: job.index, ...r } satisfies HashReply);
  });
};
