package io.mmfuse.modality.table;

import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;

/** Builds table tokenizers from an input's spec. */
public final class TableTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "table";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TableTokenizer.class;
  }

  /** Loads the fitted state that the input's settings name. */
  static TableTokenizer load(TokenizerContext context) {
    String file = context.spec().getTable().getStateFile();
    if (file.isEmpty()) {
      throw new io.mmfuse.api.InvalidConfigurationException(
          "input '" + context.spec().getName() + "': the table tokenizer is not fitted; train the model first,"
              + " or set table.state_file to a fitted TableState");
    }
    java.nio.file.Path path = context.resolve(file);
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
      return new TableTokenizer(io.mmfuse.api.proto.TableState.parseFrom(in));
    } catch (java.io.IOException e) {
      throw new io.mmfuse.api.InvalidConfigurationException(
          "input '" + context.spec().getName() + "': table state " + path + " cannot be read: " + e, e);
    }
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    return TableTokenizerFactory.load(context);
  }
}
