import { assert, assertEquals } from "../_assert.ts";
import { benchVerify } from "./verify_bench.ts";

Deno.test("benchVerify reports MB/s for MD5 (all workers, one), SHA-1, SHA-256 (one tiny run; speed is not asserted)", async () => {
  const rows = await benchVerify({ files: 4, workers: 2, runs: 1 });
  const names = rows.map((r) => r.name);
  for (
    const n of [
      "verify_md5_mb_per_s",
      "verify_md5_mb_per_s_1_worker",
      "verify_sha1_mb_per_s",
      "verify_sha256_mb_per_s",
    ]
  ) assert(names.includes(n), n);
  assert(rows.every((r) => r.unit === "MB/s" && r.value > 0 && r.files === 4));
  // md5sum's figures come when it can run (the test task allows subprocesses).
  const md5sum = rows.find((r) => r.name === "md5sum_mb_per_s");
  if (md5sum) assertEquals(typeof rows[0]!.ratio_to_md5sum, "number");
});
