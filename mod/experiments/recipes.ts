/**
 * Training recipes as data: every experiment of the original (GTZAN tournament, FMA-small, Indian
 * genres, tabla taalas, 5-fold CV) is one {@linkcode TrainRecipe}; one runner
 * (`experiment.ts`) executes them all.
 *
 * @module
 */
import type { SpecAugmentOptions } from "../features/augment.ts";
import type { ModelName } from "../models/mod.ts";
import type { OptimizerConfig } from "../engine/train.ts";

/** How one model is trained. Field comments give the Keras equivalent. */
export interface TrainRecipe {
  /** Short name (report titles, file names). */
  name: string;
  /** Samples per optimizer step (`batch_size`). */
  batchSize: number;
  /** Upper bound on epochs (`epochs`). */
  maxEpochs: number;
  /** Optimizer (`Adam(1e-3)`, `AdamW(...)`). */
  optimizer: OptimizerConfig;
  /** Cosine decay of the learning rate over all steps (`CosineDecay`), instead of plateaus. */
  cosineDecay?: boolean;
  /** `CategoricalCrossentropy(label_smoothing=...)`. */
  labelSmoothing?: number;
  /** `class_weight` computed as sklearn's "balanced". */
  balancedClassWeights?: boolean;
  /** `EarlyStopping(monitor, patience, restore_best_weights=True)`. */
  earlyStopping?: { monitor: string; patience: number };
  /** `ReduceLROnPlateau(monitor, factor, patience, min_lr)`. */
  reduceLr?: { monitor: string; factor: number; patience: number; minLr?: number };
  /** SpecAugment on training batches for the `WITH_AUG` tag (null: none). */
  specAugment: SpecAugmentOptions | null;
  /** Dropout before the classifier (model default when absent). */
  dropout?: number;
  /** BatchNormalization momentum (Keras default 0.99 when absent). */
  bnMomentum?: number;
  /** Also report top-3 accuracy. */
  top3?: boolean;
  /** Metric that picks the best epoch / checkpoint (`ModelCheckpoint(monitor=...)`). */
  monitor: string;
  /** Models this recipe trains by default. */
  models: readonly ModelName[];
}

/** The original's SpecAugment: one frequency and one time mask, widths 1..24, value 0. */
export const GTZAN_SPECAUGMENT: Readonly<SpecAugmentOptions> = Object.freeze({
  freqMasks: 1,
  timeMasks: 1,
  maxFreqWidth: 24,
  maxTimeWidth: 24,
  minWidth: 1,
});

/** WP1/WP2: the GTZAN tournament (original `01_train_tournament.py`). */
export const GTZAN_TOURNAMENT: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  name: "gtzan-tournament",
  batchSize: 48,
  maxEpochs: 120,
  optimizer: { kind: "adam", lr: 1e-3 },
  earlyStopping: { monitor: "val_accuracy", patience: 25 },
  reduceLr: { monitor: "val_loss", factor: 0.2, patience: 8 },
  specAugment: GTZAN_SPECAUGMENT,
  monitor: "val_accuracy",
  models: ["Efficient_VGG", "ResSE_AudioCNN", "UNet_Audio_Classifier"],
});

/** WP3: FMA-small with the Lean UNet. */
export const FMA_RECIPE: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  name: "fma",
  batchSize: 32,
  maxEpochs: 80,
  optimizer: { kind: "adam", lr: 1e-3 },
  labelSmoothing: 0.05,
  earlyStopping: { monitor: "val_accuracy", patience: 15 },
  reduceLr: { monitor: "val_loss", factor: 0.2, patience: 7 },
  specAugment: { freqMasks: 2, timeMasks: 2, maxFreqWidth: 16, maxTimeWidth: 32, minWidth: 0 },
  monitor: "val_accuracy",
  models: ["Lean_UNet"],
});

/** Indian music genres: the GTZAN UNet transferred, AdamW with cosine decay. */
export const INDIAN_RECIPE: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  name: "indian",
  batchSize: 48,
  maxEpochs: 80,
  optimizer: { kind: "adamw", lr: 4e-4, weightDecay: 1e-5, clipnorm: 1.0 },
  cosineDecay: true,
  labelSmoothing: 0.01,
  earlyStopping: { monitor: "val_accuracy", patience: 12 },
  specAugment: null,
  dropout: 0.6,
  monitor: "val_accuracy",
  models: ["UNet_Audio_Classifier"],
});

/** Tabla taalas: the GTZAN UNet transferred, balanced class weights, top-3 accuracy. */
export const TABLA_RECIPE: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  name: "tabla",
  batchSize: 48,
  maxEpochs: 70,
  optimizer: { kind: "adam", lr: 5e-4 },
  labelSmoothing: 0.02,
  balancedClassWeights: true,
  earlyStopping: { monitor: "val_accuracy", patience: 10 },
  reduceLr: { monitor: "val_loss", factor: 0.5, patience: 5, minLr: 1e-6 },
  specAugment: null,
  top3: true,
  monitor: "val_accuracy",
  models: ["UNet_Audio_Classifier"],
});

/** WP4: 5-fold CV with the Lean UNet (the original's settings). */
export const KFOLD_RECIPE: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  name: "kfold",
  batchSize: 16,
  maxEpochs: 60,
  optimizer: { kind: "adam", lr: 1e-3 },
  earlyStopping: { monitor: "val_accuracy", patience: 10 },
  reduceLr: { monitor: "val_loss", factor: 0.2, patience: 5 },
  specAugment: null,
  monitor: "val_accuracy",
  models: ["Lean_UNet"],
});

/**
 * The demo's short tournament on 32×32 log-mels (`DEMO_FEATURES`): the GTZAN recipe with batch 32,
 * learning rate 2e-3, BatchNormalization momentum 0.9 (the demo trains for about a hundred steps,
 * where Keras's 0.99 leaves the moving statistics that inference uses near their initial values)
 * and SpecAugment masks of at most 6 bins (the original's 24 of 128, scaled to 32). Not a
 * reproduction setting: it makes the whole pipeline run in minutes on two cores.
 */
export const DEMO_TOURNAMENT: Readonly<TrainRecipe> = Object.freeze<TrainRecipe>({
  ...GTZAN_TOURNAMENT,
  name: "demo-tournament",
  batchSize: 32,
  maxEpochs: 8,
  optimizer: { kind: "adam", lr: 2e-3 },
  bnMomentum: 0.9,
  specAugment: { ...GTZAN_SPECAUGMENT, maxFreqWidth: 6, maxTimeWidth: 6 },
});
