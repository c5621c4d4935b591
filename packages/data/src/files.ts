/** The four files of Fashion-MNIST with the sha256 and size of their DECOMPRESSED bytes
 * (Debian re-gzips them, so the .gz bytes differ between sources; the content does not). */
export const DATASET_FILES = {
  trainImages: {
    name: "train-images-idx3-ubyte",
    sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    bytes: 47_040_016,
  },
  trainLabels: {
    name: "train-labels-idx1-ubyte",
    sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    bytes: 60_008,
  },
  testImages: {
    name: "t10k-images-idx3-ubyte",
    sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    bytes: 7_840_016,
  },
  testLabels: {
    name: "t10k-labels-idx1-ubyte",
    sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    bytes: 10_008,
  },
} as const;

export type DatasetFileKey = keyof typeof DATASET_FILES;
export const DATASET_FILE_KEYS = Object.keys(DATASET_FILES) as DatasetFileKey[];

/** Zalando Research's official mirror (the one linked from github.com/zalandoresearch/fashion-mnist). */
export const OFFICIAL_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

export const DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

/** A directory with this manifest holds a declared subset (test fixtures): its own checksums apply. */
export const SUBSET_MANIFEST = "subset.json";

export interface SubsetManifest {
  description: string;
  files: Record<DatasetFileKey, { sha256: string; bytes: number }>;
}
