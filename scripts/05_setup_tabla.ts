/**
 * `deno task tabla:setup`: the tabla taala clips → per-mel standardised 128×130 log-mel arrays.
 *
 * The recipe (all of it is `mod/prepare.ts` run on the `TABLA` config of
 * `mod/datasets_tabla.ts`):
 *
 * 1. Read `<data-dir>/file_name.csv` (`fname,label`; `train.csv`/`test.csv`, or the file named
 *    by `--list`) and match its rows to the `.wav` files of its flat audio folder (`wavfiles/`);
 *    without a CSV, read one folder per taal (`<taal>/*.wav`). 8 taals (Addhatrital … Trital =
 *    0 … 7), labels in any case, `Zaptal` read as Jhaptal. Rows with an unknown label or a missing
 *    file, and WAVs no row names, are reported, not fatal.
 * 2. Split whole clips: stratified 80/10/10 per taal, seeded by `--seed`.
 * 3. One example per clip: its first 3.0 s (zero-padded when shorter), n_fft 1024, hop 512:
 *    128×130 log-mel.
 * 4. Fit one mean and std per mel band over the training clips and their frames (std floored
 *    at 1e-6).
 * 5. Write `X_*.npy`, `y_*.npy`, `track_*.npy`, the scaler, `labels.json` and `manifest.json`
 *    into `--out` atomically. Corrupt files are skipped and listed.
 *
 * @module
 */
import { parseCli, runMain } from "../mod/cli.ts";
import { TABLA, tablaConfig } from "../mod/datasets/mod.ts";
import { prepareDataset, readSetupFlags, setupFlags, setupSummary } from "../mod/prepare/mod.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage:
      "deno task tabla:setup [--data-dir DIR] [--list CSV] [--seed N] [--out DIR] [--workers N]",
    description: "Decode the tabla clips, compute one 128×130 log-mel per clip, split whole " +
      "clips 80/10/10 per taal, fit a per-mel scaler on train only and write the arrays.",
    flags: {
      ...setupFlags(
        TABLA,
        "random",
        "folder holding wavfiles/*.wav and file_name.csv (or train.csv/test.csv), wavfiles/ " +
          "itself, or one folder per taal",
      ),
      list: {
        type: "string",
        help: "the fname,label CSV when it has another name (path, or relative to --data-dir)",
      },
    },
  });
  const list = typeof values.list === "string" ? values.list : undefined;
  const r = await prepareDataset(tablaConfig(list === undefined ? {} : { list }), {
    ...readSetupFlags(values, TABLA, "random"),
    createdBy: "scripts/05_setup_tabla.ts",
  });
  console.log(setupSummary(r, { title: "Tabla taalas", unit: "clips" }).join("\n"));
}

if (import.meta.main) await runMain(main);
