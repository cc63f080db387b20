package io.mmfuse.modality.text.internal;

/** Adds special tokens around one sequence or a pair, with their type (segment) ids. */
public interface PostProcessor {
  /** Returns how many ids {@link #process} adds to one sequence, or to a pair. */
  int addedTokens(boolean pair);

  /**
   * Writes the final ids and type ids. {@code b} is null for a single sequence; without {@code addSpecial} only the
   * sequences' own ids and type ids are written.
   */
  void process(int[] a, int[] b, boolean addSpecial, IntList ids, IntList typeIds);

  /** No special tokens: sequence A has type 0, sequence B type 1. */
  PostProcessor NONE =
      new PostProcessor() {
        @Override
        public int addedTokens(boolean pair) {
          return 0;
        }

        @Override
        public void process(int[] a, int[] b, boolean addSpecial, IntList ids, IntList typeIds) {
          plain(a, b, ids, typeIds);
        }
      };

  /** The pair without special tokens, as Hugging Face returns it: A with type 0, B with type 1. */
  static void plain(int[] a, int[] b, IntList ids, IntList typeIds) {
    ids.addAll(a);
    for (int i = 0; i < a.length; i++) {
      typeIds.add(0);
    }
    if (b != null) {
      ids.addAll(b);
      for (int i = 0; i < b.length; i++) {
        typeIds.add(1);
      }
    }
  }
}
