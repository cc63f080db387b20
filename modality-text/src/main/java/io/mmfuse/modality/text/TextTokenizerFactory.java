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

  /**
   * 0.6 for free text, else 0. Free text is a column of non-numeric cells that average three or more words, or short
   * phrases (1.5 words or more on average) with many distinct values (at least one per ten rows) built from a shared
   * vocabulary (most distinct values share a word with another one): names and titles, which a categorical column
   * would learn value by value and never generalize from.
   */
  @Override
  public double claim(io.mmfuse.api.ColumnSample column) {
    long words = 0;
    int texts = 0;
    // Each distinct non-numeric value's words (lower-cased, once each), and per word how many values hold it.
    java.util.Map<String, java.util.Set<String>> values = new java.util.HashMap<>();
    java.util.Map<String, Integer> vocabulary = new java.util.HashMap<>();
    for (String v : column.values()) {
      try {
        Double.parseDouble(v);
      } catch (NumberFormatException e) {
        texts++;
        String[] w = v.trim().split("\\s+");
        words += w.length;
        if (!values.containsKey(v)) {
          java.util.Set<String> distinct = new java.util.HashSet<>();
          for (String word : w) {
            distinct.add(word.toLowerCase(java.util.Locale.ROOT));
          }
          values.put(v, distinct);
          distinct.forEach(word -> vocabulary.merge(word, 1, Integer::sum));
        }
      }
    }
    if (texts == 0 || texts < column.values().size() / 2) {
      return 0;
    }
    double meanWords = (double) words / texts;
    if (meanWords >= 3) {
      return 0.6;
    }
    long sharing = values.values().stream()
        .filter(ws -> ws.stream().anyMatch(word -> vocabulary.get(word) > 1)).count();
    boolean manyValues = values.size() >= 20 && values.size() * 10L >= texts;
    boolean sharedWords = sharing * 2 >= values.size();
    return meanWords >= 1.5 && manyValues && sharedWords ? 0.6 : 0;
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
    TextSettings t = settings(saved);
    String summary = "tokenizer " + (settings(in).getTokenizerFile().isEmpty() ? DEFAULT_VOCABULARY + " (the default)"
        : settings(in).getTokenizerFile()) + (t.getLowercase() ? ", lower-cased" : "")
        + (t.getMaxLength() > 0 ? ", at most " + t.getMaxLength() + " tokens" : "");
    return new Fitted(TextTokenizer.fromContext(new TokenizerContext(saved, bundle)), saved, summary);
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
