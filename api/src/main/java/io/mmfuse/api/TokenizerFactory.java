package io.mmfuse.api;

/**
 * Builds the tokenizer of one modality from an input's spec. A plugin binds its factories with {@link
 * io.mmfuse.api.plugin.ModalityPlugin#tokenizerFactories(com.google.inject.Binder)}; exactly one factory may claim a
 * modality name.
 */
public interface TokenizerFactory {

  /** Returns the modality name this factory claims ("text", "image", ...). */
  String modality();

  /** Returns the class of the tokenizers this factory builds. */
  Class<?> tokenizerType();

  /** Builds a tokenizer for one input. */
  ModalityTokenizer<?> create(TokenizerContext context);

  /**
   * Builds a tokenizer fitted on training inputs (one per example; null for a missing one), writing any fitted state
   * into {@code stateDirectory} and returning the input's spec as it must be saved with the model (naming that
   * state). Tokenizers without fitted state ignore the inputs: the default creates the tokenizer as it is.
   */
  default Fitted fit(TokenizerContext context, java.util.List<?> trainingInputs, java.nio.file.Path stateDirectory) {
    return new Fitted(create(context), context.spec());
  }

  /**
   * How strongly this modality claims a data column whose kind no spec names: 0 (not at all) to 1 (certainly
   * mine). When a data set infers its inputs, every registered modality is asked about every column and the highest
   * claim wins; a claim of 0 never does. The built-ins: image (0.9 for a column of image file names), text (0.6 for
   * free text of three or more words on average), table (0.1 for anything: what nobody else wants).
   */
  default double claim(ColumnSample column) {
    return 0;
  }

  /**
   * Whether every column this modality claims becomes an input of its own, named after the column (true, the
   * default), or all of them together one input named after the modality (a table row).
   */
  default boolean inputPerColumn() {
    return true;
  }

  /**
   * The value an input of this modality takes from one cell of a data file (present, untrimmed): the text itself by
   * default; an image modality resolves a file name against {@code baseDirectory}, the data file's directory.
   */
  default Object cellValue(String cell, java.nio.file.Path baseDirectory) {
    return cell;
  }

  /**
   * A fitted tokenizer and the spec to save with the model.
   *
   * @param tokenizer the tokenizer, ready to use
   * @param spec the input's spec, naming any state file written into the state directory
   * @param summary what fitting chose, in one line for the training log (a table's column kinds, the image size
   *     picked); "" for nothing to say
   */
  record Fitted(ModalityTokenizer<?> tokenizer, io.mmfuse.api.proto.InputSpec spec, String summary) {
    public Fitted {
      java.util.Objects.requireNonNull(summary, "summary");
    }

    /** A fitted tokenizer with nothing to report. */
    public Fitted(ModalityTokenizer<?> tokenizer, io.mmfuse.api.proto.InputSpec spec) {
      this(tokenizer, spec, "");
    }
  }
}
