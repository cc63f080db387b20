package io.mmfuse.modality.text;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.internal.AtomicFiles;
import io.mmfuse.api.proto.InputSpec;
import io.mmfuse.modality.text.proto.TextSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds text tokenizers from an input's spec. A spec that names no {@code tokenizer_file} gets the BERT uncased
 * WordPiece vocabulary shipped with this module (lower-cased, with {@code [CLS]}/{@code [SEP]}). Fitting copies the
 * tokenizer file into the model bundle, so that a bundle needs nothing from where it was trained.
 */
public final class TextTokenizerFactory implements TokenizerFactory {
  /** The modality name this plugin claims. */
  public static final String MODALITY = "text";
  /** The vocabulary used when a spec names none. */
  public static final String DEFAULT_VOCABULARY = "bert-base-uncased-vocab.txt";

  @Override
  public String modality() {
    return MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TextTokenizer.class;
  }

  /** 0.6 for free text: cells that are not numbers average three or more words; else 0. */
  @Override
  public double claim(io.mmfuse.api.ColumnSample column) {
    long words = 0;
    int texts = 0;
    for (String v : column.values()) {
      try {
        Double.parseDouble(v);
      } catch (NumberFormatException e) {
        texts++;
        words += v.split("\\s+").length;
      }
    }
    return texts > 0 && (double) words / texts >= 3 ? 0.6 : 0;
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    if (settings(context.spec()).getTokenizerFile().isEmpty()) {
      Path dir;
      try {
        dir = Files.createTempDirectory("mmfuse-text");
      } catch (IOException e) {
        throw new InvalidConfigurationException("the default vocabulary cannot be unpacked: " + e, e);
      }
      InputSpec spec = withDefaultVocabulary(context.spec(), dir);
      try {
        return TextTokenizer.fromContext(new TokenizerContext(spec, dir));
      } finally {
        try {
          Files.deleteIfExists(dir.resolve(settings(spec).getTokenizerFile()));
          Files.deleteIfExists(dir);
        } catch (IOException e) {
          // A temporary copy left behind is harmless.
        }
      }
    }
    return TextTokenizer.fromContext(context);
  }

  /** Copies the input's tokenizer file (or the default vocabulary) into the bundle and names the copy in the spec. */
  @Override
  public Fitted fit(TokenizerContext context, List<?> trainingInputs, Path bundle) {
    InputSpec in = context.spec();
    InputSpec saved;
    if (settings(in).getTokenizerFile().isEmpty()) {
      saved = withDefaultVocabulary(in, bundle);
    } else {
      Path src = context.resolve(settings(in).getTokenizerFile());
      if (!Files.isRegularFile(src)) {
        throw new InvalidConfigurationException("input '" + in.getName() + "': tokenizer file " + src
            + " does not exist");
      }
      String name = in.getName() + "-" + src.getFileName();
      try {
        AtomicFiles.write(bundle.resolve(name), Files.readAllBytes(src));
      } catch (IOException e) {
        throw new InvalidConfigurationException("input '" + in.getName() + "': tokenizer file " + src
            + " cannot be read: " + e, e);
      }
      saved = Settings.with(in, settings(in).toBuilder().setTokenizerFile(name).build());
    }
    return new Fitted(TextTokenizer.fromContext(new TokenizerContext(saved, bundle)), saved);
  }

  private static InputSpec withDefaultVocabulary(InputSpec in, Path dir) {
    String name = in.getName() + "-" + DEFAULT_VOCABULARY;
    try (InputStream vocab = TextTokenizerFactory.class.getResourceAsStream(DEFAULT_VOCABULARY)) {
      if (vocab == null) {
        throw new InvalidConfigurationException("the default vocabulary " + DEFAULT_VOCABULARY
            + " is missing from mmfuse-modality-text's jar");
      }
      AtomicFiles.write(dir.resolve(name), vocab.readAllBytes());
    } catch (IOException e) {
      throw new InvalidConfigurationException("the default vocabulary cannot be written to " + dir + ": " + e, e);
    }
    TextSettings.Builder t = settings(in).toBuilder().setTokenizerFile(name).setLowercase(true)
        .setAddSpecialTokens(true);
    return Settings.with(in, t.build());
  }

  private static TextSettings settings(InputSpec in) {
    return Settings.of(in, TextSettings.class);
  }
}
